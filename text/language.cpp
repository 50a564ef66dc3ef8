// Languages of the text pipeline and their nonbreaking-prefix lists for Moses'
// period rule. The lists were written for this project from the usage of each
// language (titles, months, common abbreviations; single capitals for initials);
// numeric-only entries abbreviate before a number ("No. 5", "Art. 3").
#include "core/error.h"
#include "text/language.h"
#include "text/utf8.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>

namespace xlm::text {

namespace {

const char* const kInitials =
    "A B C D E F G H I J K L M N O P Q R S T U V W X Y Z";
const char* const kLowerInitials =
    "a b c d e f g h i j k l m n o p q r s t u v w x y z";

struct Lists {
  const char* plain;
  const char* numeric_only;
};

Lists lists_for(Language lang) {
  switch (lang) {
    case Language::en:
      return {"Adj Adm Adv Asst Ave Bart Bldg Blvd Brig Bros Capt Cmdr Col Comdr Con Corp Cpl "
              "Dr Drs Ens Gen Gov Hon Hr Hosp Insp Jr Lt MM MR MRS MS Maj Messrs Mlle Mme Mr "
              "Mrs Ms Msgr Mt Op Ord Pfc Ph Prof Pvt Rep Reps Res Rev Rt Sen Sens Sfc Sgt Sr St "
              "Supt Surg vs v i.e e.g "
              "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec",
              "No Nos Art Nr pp p"};
    case Language::fr:
      return {"M MM Mme Mmes Mlle Mlles Me Mgr Dr Pr Sr St Ste Vve "
              "al av apr ann art bd boul cf chap ch coll dir éd etc env ex fig hab ill inf "
              "intr mat max min ms nb op p pp pl pr réf sec sq suiv sup trad vol vs "
              "janv févr avr juil sept oct nov déc "
              "Av Bd Cf Chap Fig Vol",
              "No no n°"};
    case Language::de:
      return {"Abb Abs Abt Adr allg Anm Art Aufl Bd Bde bes Betr bez Bhf bspw bzgl bzw ca Chr "
              "d.h Dipl Dir Dr Dres ebd Ehem eigtl entspr erg etc ev evtl Fa Fam ff Fr Frl geb "
              "gegr gem Ges ggf Hbf Hr Hrn Hrsg inkl Ing Jh jhrl Kap kath Kfm kgl Kl led Mio "
              "Mrd mtl Nr Nrn od Pfr Pkt Prof Red rd s.o s.u sog St Str Tel u.a usw Verf vgl "
              "z.B z.T zzgl Ziff "
              "Jan Feb Mär Apr Jun Jul Aug Sep Sept Okt Nov Dez "
              "Mo Di Mi Do Fr Sa So",
              ""};
    case Language::es:
      return {"Sr Sra Srta Sres Sras D Dña Dr Dra Lic Ing Arq Prof Profa Excmo Excma Ilmo Ilma "
              "Rvdo Sto Sta Gral Cnel Cap Tte Avda Av Bco Cía Dpto Ed Pág Vol "
              "aprox art atte aum cap cf cía dcha doc dpto ed ej etc fig izq máx mín p pp pág párr "
              "pral pról ss sig tel vol vs "
              "ene feb mar abr may jun jul ago sep sept oct nov dic",
              "núm Núm nº"};
    case Language::it:
      return {"Sig Sigg Sig.ra Sig.na Dott Dr Dott.ssa Prof Prof.ssa Avv Ing Arch Geom Rag "
              "On Sen Mons Rev Gen Col Cap Ten Magg Egr Gent Spett S.p.A "
              "ad all art avv cap cfr ca ecc es fig ill lett pag pagg par pref sec sez "
              "succ suppl tab tav trad vol vs "
              "gen febb mar apr magg giu lug ago sett ott nov dic",
              "No Nr Art n pp p"};
  }
  throw ConfigError("internal: unhandled language");
}

void add_words(const char* text, std::unordered_set<std::u32string>& into) {
  const std::u32string all = utf8_decode(text);
  size_t i = 0;
  while (i < all.size()) {
    size_t j = all.find(U' ', i);
    if (j == std::u32string::npos) j = all.size();
    if (j > i) into.insert(all.substr(i, j - i));
    i = j + 1;
  }
}

NonbreakingPrefixes build(Language lang) {
  NonbreakingPrefixes out;
  const Lists lists = lists_for(lang);
  add_words(kInitials, out.plain);
  // French and German abbreviate with lowercase initials too ("z. B.", "p. ex.", "u. a.").
  if (lang == Language::fr || lang == Language::de) add_words(kLowerInitials, out.plain);
  // German writes ordinals as a number and a period ("am 11. Dezember"): not a sentence end.
  if (lang == Language::de) {
    for (int k = 1; k <= 99; ++k) add_words(std::to_string(k).c_str(), out.plain);
  }
  add_words(lists.plain, out.plain);
  add_words(lists.numeric_only, out.numeric_only);
  for (const auto& w : out.numeric_only) out.plain.erase(w);
  return out;
}

}  // namespace

const NonbreakingPrefixes& nonbreaking_prefixes(Language lang) {
  static const NonbreakingPrefixes tables[] = {build(Language::en), build(Language::fr),
                                               build(Language::de), build(Language::es),
                                               build(Language::it)};
  return tables[static_cast<int>(lang)];
}

const std::vector<std::string>& supported_languages() {
  static const std::vector<std::string> codes = {"en", "fr", "de", "es", "it"};
  return codes;
}

std::string language_code(Language lang) { return supported_languages()[static_cast<int>(lang)]; }

Language parse_language(std::string_view code) {
  const auto& codes = supported_languages();
  for (size_t i = 0; i < codes.size(); ++i) {
    if (code == codes[i]) return static_cast<Language>(i);
  }
  throw ConfigError(fmt::format("--lang: unknown language '{}' (supported: {})", code,
                                fmt::join(codes, ", ")));
}

}  // namespace xlm::text
