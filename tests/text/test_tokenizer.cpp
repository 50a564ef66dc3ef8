// Tokenizer tests: exact outputs per language (each expected line was checked
// against sacremoses' normalize + tokenize, URLs aside, see docs/tokenizer.md),
// detokenization and round trips, accent folding, UTF-8 errors, and the built
// `xlm tokenize` / `xlm detokenize` commands run through popen.
#include "core/error.h"
#include "text/moses_tokenizer.h"
#include "text/tokenizer.h"
#include "text/utf8.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

using xlm::text::Language;

namespace {

using Cases = std::vector<std::pair<std::string, std::string>>;

void check_tokenize(Language lang, const Cases& cases) {
  for (const auto& [input, expected] : cases) {
    INFO("input: " << input);
    CHECK(xlm::text::tokenize(input, lang) == expected);
  }
}

void check_round_trip(Language lang, const std::vector<std::string>& sentences) {
  for (const auto& sentence : sentences) {
    INFO("sentence: " << sentence << "  tokens: " << xlm::text::tokenize(sentence, lang));
    CHECK(xlm::text::detokenize(xlm::text::tokenize(sentence, lang), lang) == sentence);
  }
}

}  // namespace

TEST_CASE("tokenize: English punctuation, contractions, numbers, prefixes, URLs", "[text]") {
  check_tokenize(Language::en,
                 {{"Hello, world!", "Hello , world !"},
                  {"I don't think they'll come; we're late.", "I don 't think they 'll come ; we 're late ."},
                  {"The price is $1,000.5 per unit.", "The price is $ 1,000.5 per unit ."},
                  {"Mr. Smith and Dr. Jones arrived at 5 p.m. with the U.S. team.",
                   "Mr. Smith and Dr. Jones arrived at 5 p.m. with the U.S. team ."},
                  {"Apples, pears, etc. are fruit.", "Apples , pears , etc. are fruit ."},
                  {"See https://example.com/a/b.html, or write to jane.doe@example.org.",
                   "See https://example.com/a/b.html , or write to jane.doe@example.org ."},
                  {"Isn't it 1990's best \"hit\"?", "Isn 't it 1990 's best \" hit \" ?"},
                  {"She said: (quietly) it's the Joneses' house...",
                   "She said : ( quietly ) it 's the Joneses ' house ..."},
                  {"It\u2019s \u201csmart\u201d \u2014 really.", "It 's \" smart \" - really ."},
                  {"No. 5 is the answer. No. It is not.", "No. 5 is the answer . No . It is not ."},
                  {"", ""},
                  {"   spaced \t out   ", "spaced out"}});
}

TEST_CASE("tokenize: French elisions, spacing, guillemets, numbers", "[text]") {
  check_tokenize(Language::fr,
                 {{"L'homme est venu.", "L' homme est venu ."},
                  {"C'est l'\u00e9t\u00e9, n'est-ce pas ?", "C' est l' \u00e9t\u00e9 , n' est-ce pas ?"},
                  {"J'aime l'Italie et d'autres pays.", "J' aime l' Italie et d' autres pays ."},
                  {"Il a dit : \u00ab Bonjour ! \u00bb", "Il a dit : \" Bonjour ! \""},
                  {"Le prix est de 1 000,50 \u20ac.", "Le prix est de 1 000,50 \u20ac ."},
                  {"M. Dupont et Mme Durand sont l\u00e0.", "M. Dupont et Mme Durand sont l\u00e0 ."},
                  {"Voir http://exemple.fr/page, merci.", "Voir http://exemple.fr/page , merci ."},
                  {"Qu'en penses-tu ? Aujourd'hui, jusqu'\u00e0 midi.",
                   "Qu' en penses-tu ? Aujourd' hui , jusqu' \u00e0 midi ."}});
}

TEST_CASE("tokenize: German abbreviations, ordinals, quotes, apostrophes", "[text]") {
  check_tokenize(Language::de,
                 {{"Das ist z.B. ein Test.", "Das ist z.B. ein Test ."},
                  {"Am 11. Dezember 1998 war es kalt.", "Am 11. Dezember 1998 war es kalt ."},
                  {"Er sagte: \u201eIch komme morgen.\u201c", "Er sagte : \" Ich komme morgen . \""},
                  {"Die Stra\u00dfe ist 3,5 km lang.", "Die Stra\u00dfe ist 3,5 km lang ."},
                  {"Prof. M\u00fcller und Dr. Schmidt kommen.", "Prof. M\u00fcller und Dr. Schmidt kommen ."},
                  {"Geht's dir gut?", "Geht ' s dir gut ?"},
                  {"Siehe www.beispiel.de/seite f\u00fcr Details!", "Siehe www.beispiel.de/seite f\u00fcr Details !"},
                  {"\u00c4pfel, Birnen usw. sind Obst.", "\u00c4pfel , Birnen usw. sind Obst ."}});
}

TEST_CASE("tokenize: Spanish inverted marks, abbreviations, numbers", "[text]") {
  check_tokenize(Language::es,
                 {{"\u00bfC\u00f3mo est\u00e1s?", "\u00bf C\u00f3mo est\u00e1s ?"},
                  {"\u00a1Hola, mundo!", "\u00a1 Hola , mundo !"},
                  {"El Sr. Garc\u00eda lleg\u00f3 ayer.", "El Sr. Garc\u00eda lleg\u00f3 ayer ."},
                  {"Cuesta 1.500,00 euros.", "Cuesta 1.500,00 euros ."},
                  {"Ver https://ejemplo.es/x, por favor.", "Ver https://ejemplo.es/x , por favor ."},
                  {"\u00c9l dijo: \"no s\u00e9\".", "\u00c9l dijo : \" no s\u00e9 \" ."},
                  {"Etc. es una abreviatura.", "Etc. es una abreviatura ."},
                  {"Ni\u00f1os, ni\u00f1as y adultos (todos) vinieron.",
                   "Ni\u00f1os , ni\u00f1as y adultos ( todos ) vinieron ."}});
}

TEST_CASE("tokenize: Italian elisions, abbreviations, e-mail", "[text]") {
  check_tokenize(Language::it,
                 {{"L'uomo \u00e8 arrivato.", "L' uomo \u00e8 arrivato ."},
                  {"Dell'Italia e dall'estero.", "Dell' Italia e dall' estero ."},
                  {"Un po' di pi\u00f9, per favore.", "Un po ' di pi\u00f9 , per favore ."},
                  {"Il Sig. Rossi \u00e8 qui.", "Il Sig. Rossi \u00e8 qui ."},
                  {"Costa 1.000,50 euro.", "Costa 1.000,50 euro ."},
                  {"Scrivi a mario.rossi@esempio.it oggi.", "Scrivi a mario.rossi@esempio.it oggi ."},
                  {"Quest'anno c'\u00e8 l'esame!", "Quest' anno c' \u00e8 l' esame !"},
                  {"Perch\u00e9? Non lo so...", "Perch\u00e9 ? Non lo so ..."}});
}

TEST_CASE("tokenize: options (no normalization, no URL protection, escaping)", "[text]") {
  xlm::text::TokenizeOptions raw;
  raw.normalize_punctuation = false;
  CHECK(xlm::text::tokenize("\u00ab Oui \u00bb", Language::fr, raw) == "\u00ab Oui \u00bb");
  raw.protect_urls = false;
  CHECK(xlm::text::tokenize("see http://a.org/x", Language::en, raw) == "see http : / / a.org / x");
  xlm::text::TokenizeOptions escaped;
  escaped.escape = true;
  CHECK(xlm::text::tokenize("A & B <c> \"d\" [e] f|g", Language::en, escaped) ==
        "A &amp; B &lt; c &gt; &quot; d &quot; &#91; e &#93; f &#124; g");
}

TEST_CASE("detokenize: punctuation, elisions, contractions, French spacing", "[text]") {
  using xlm::text::detokenize;
  CHECK(detokenize("Hello , world !", Language::en) == "Hello, world!");
  CHECK(detokenize("I don 't think they 'll come ; we 're late .", Language::en) ==
        "I don't think they'll come; we're late.");
  CHECK(detokenize("the Joneses ' house", Language::en) == "the Joneses' house");
  CHECK(detokenize("he said \" hi \" and ( then ) left", Language::en) == "he said \"hi\" and (then) left");
  CHECK(detokenize("It costs $ 5 .", Language::en) == "It costs $5.");
  CHECK(detokenize("L' homme est venu ; c' est vrai !", Language::fr) == "L'homme est venu ; c'est vrai !");
  CHECK(detokenize("Quoi ? Il a dit : non", Language::fr) == "Quoi ? Il a dit : non");
  CHECK(detokenize("Quoi ? Il a dit : non", Language::en) == "Quoi? Il a dit: non");
  CHECK(detokenize("50 %", Language::fr) == "50 %");
  CHECK(detokenize("50 %", Language::de) == "50%");
  CHECK(detokenize("Dell' Italia e dall' estero .", Language::it) == "Dell'Italia e dall'estero.");
  CHECK(detokenize("\u00bf C\u00f3mo est\u00e1s ?", Language::es) == "\u00bfC\u00f3mo est\u00e1s?");
  CHECK(detokenize("", Language::de).empty());
}

TEST_CASE("tokenize then detokenize restores typical sentences", "[text]") {
  check_round_trip(Language::en, {"Hello, world!", "I don't know what they're doing; it's odd.",
                                  "The U.S. economy grew 3.5% in 2020, says Mr. Smith.",
                                  "He said \"yes\" (twice) and left...", "Prices: $1,000.50 or more?"});
  check_round_trip(Language::fr, {"L'homme qu'on aime est venu aujourd'hui.", "C'est vrai ? Oui !",
                                  "Il a dit : \"bonjour\" ; puis il est parti."});
  check_round_trip(Language::de, {"Das ist z.B. ein Test, oder?", "Er kam am 11. Dezember (wie immer)."});
  check_round_trip(Language::es, {"\u00bfC\u00f3mo est\u00e1s? \u00a1Muy bien!", "El Sr. Garc\u00eda pag\u00f3 1.500,00 euros."});
  check_round_trip(Language::it, {"L'uomo dell'anno \u00e8 arrivato.", "Quest'anno c'\u00e8 l'esame!"});
}

TEST_CASE("lowercase_and_remove_accent: Latin, Greek, Cyrillic, Hangul", "[text]") {
  using xlm::text::lowercase_and_remove_accent;
  CHECK(lowercase_and_remove_accent("\u00c9l\u00e8ve \u00c0 \u00c7a") == "eleve a ca");
  CHECK(lowercase_and_remove_accent("Stra\u00dfe \u00c6\u00d8\u00c5") == "stra\u00dfe \u00e6\u00f8a");
  CHECK(lowercase_and_remove_accent("\u00c5ngstr\u00f6m \u0141\u00d3D\u0179 \u01cd") == "angstrom \u0142odz a");
  CHECK(lowercase_and_remove_accent("\u0386\u03bb\u03c6\u03b1 \u03a9\u03bc\u03ad\u03b3\u03b1 \u0390") ==
        "\u03b1\u03bb\u03c6\u03b1 \u03c9\u03bc\u03b5\u03b3\u03b1 \u03b9");
  CHECK(lowercase_and_remove_accent("\u0419\u043e\u0434 \u0401\u043b\u043a\u0430") ==
        "\u0438\u043e\u0434 \u0435\u043b\u043a\u0430");
  CHECK(lowercase_and_remove_accent("Ti\u1ebfng Vi\u1ec7t") == "tieng viet");
  CHECK(lowercase_and_remove_accent("\u0130stanbul") == "istanbul");
  CHECK(lowercase_and_remove_accent("\ud55c") == "\u1112\u1161\u11ab");  // Hangul syllable -> jamo
  CHECK(lowercase_and_remove_accent("e\u0301te\u0301") == "ete");       // already decomposed
  xlm::text::TokenizeOptions lower;
  lower.lowercase_and_remove_accent = true;
  CHECK(xlm::text::tokenize("L'\u00c9t\u00e9 d\u00e9j\u00e0!", Language::fr, lower) == "l' ete deja !");
}

TEST_CASE("invalid UTF-8 raises FormatError naming the byte", "[text]") {
  using xlm::text::tokenize;
  CHECK_THROWS_AS(tokenize("ok \xff", Language::en), xlm::FormatError);
  CHECK_THROWS_WITH(tokenize("ok \xff", Language::en), Catch::Matchers::Contains("invalid UTF-8 at byte 3"));
  CHECK_THROWS_AS(tokenize("\xc3", Language::en), xlm::FormatError);            // truncated
  CHECK_THROWS_AS(tokenize("\xc0\xaf", Language::en), xlm::FormatError);        // overlong '/'
  CHECK_THROWS_AS(tokenize("\xed\xa0\x80", Language::en), xlm::FormatError);    // surrogate
  CHECK_THROWS_AS(xlm::text::detokenize("a\x80", Language::fr), xlm::FormatError);
  CHECK(xlm::text::utf8_encode(xlm::text::utf8_decode("\xf0\x9f\x98\x80 \xc3\xa9")) == "\xf0\x9f\x98\x80 \xc3\xa9");
}

TEST_CASE("parse_language accepts the five languages and lists them on error", "[text]") {
  CHECK(xlm::text::parse_language("it") == Language::it);
  CHECK(xlm::text::language_code(Language::de) == "de");
  CHECK_THROWS_AS(xlm::text::parse_language("xx"), xlm::ConfigError);
  CHECK_THROWS_WITH(xlm::text::parse_language("xx"), Catch::Matchers::Contains("supported: en, fr, de, es, it"));
}

namespace {

// Runs `command` through the shell with `input` on stdin; returns {stdout+stderr, exit status}.
std::pair<std::string, int> run_with_input(const std::string& command, const std::string& input) {
  char path[] = "/tmp/xlm_tokenize_testXXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  FILE* f = fdopen(fd, "wb");
  REQUIRE(f != nullptr);
  std::fwrite(input.data(), 1, input.size(), f);
  std::fclose(f);
  const std::string full = command + " < " + path + " 2>&1";
  FILE* pipe = popen(full.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  const int status = pclose(pipe);
  std::remove(path);
  return {output, status};
}

}  // namespace

TEST_CASE("xlm tokenize / detokenize filter stdin to stdout", "[text][cli]") {
  const std::string xlm = XLM_BINARY;
  auto [tokens, status] =
      run_with_input(xlm + " tokenize --lang fr", "L'homme est venu, n'est-ce pas ?\n\nC'est \u00ab bien \u00bb !\n");
  CHECK(status == 0);
  CHECK(tokens == "L' homme est venu , n' est-ce pas ?\n\nC' est \" bien \" !\n");
  auto [text, status2] = run_with_input(xlm + " detokenize --lang fr", tokens);
  CHECK(status2 == 0);
  CHECK(text == "L'homme est venu, n'est-ce pas ?\n\nC'est \"bien\" !\n");
  auto [lower, status3] = run_with_input(xlm + " tokenize --lang de --lowercase_and_remove_accent", "\u00dcBER \u00c4rger.\n");
  CHECK(status3 == 0);
  CHECK(lower == "uber arger .\n");
  auto [bad, status4] = run_with_input(xlm + " tokenize --lang en", "fine\nalso fine\nbad \xfe here\n");
  CHECK(status4 != 0);
  CHECK(bad.find("stdin line 3") != std::string::npos);
  CHECK(bad.find("invalid UTF-8") != std::string::npos);
  auto [unknown, status5] = run_with_input(xlm + " detokenize --lang pt", "x\n");
  CHECK(status5 != 0);
  CHECK(unknown.find("supported: en, fr, de, es, it") != std::string::npos);
}
