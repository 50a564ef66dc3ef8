// Unit tests for the man page source: roff snippets written inline with the
// exact text they must give, block alignment on two tiny hand-written pages
// (matching and mismatching counts), and the whole source run offline over a
// fake unpacked tree in a temporary folder.
#include "text/man_align.h"
#include "text/roff.h"
#include "tools/data_manpages.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

using namespace xlm::text;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> blocks_of(const ManPage& p, size_t section) { return p.sections.at(section).blocks; }

const char* kEnPage =
    ".\\\" Copyright line, a comment\n"
    ".TH FOO 1 2024 \"foo 1.0\" \"User Commands\"\n"
    ".SH NAME\n"
    "foo \\- frobnicate files\n"
    ".SH DESCRIPTION\n"
    ".B foo\n"
    "frobnicates files. It is fast.\n"
    ".PP\n"
    "Options are described below.\n"
    ".TP\n"
    ".BR \\-v \", \" \\-\\-verbose\n"
    "Print what is done.\n"
    ".SH \"SEE ALSO\"\n"
    ".BR bar (1)\n";

const char* kFrPage =
    ".TH FOO 1 2024 \"foo 1.0\" \"Commandes de l'utilisateur\"\n"
    ".SH NOM\n"
    "foo \\- frobniquer des fichiers\n"
    ".SH DESCRIPTION\n"
    "\\fBfoo\\fP frobnique les fichiers. Il est rapide.\n"
    ".PP\n"
    "Les options sont d\\('ecrites ci\\-dessous.\n"
    ".TP\n"
    "\\fB\\-v\\fP, \\fB\\-\\-verbose\\fP\n"
    "Afficher ce qui est fait.\n"
    ".SH \"VOIR AUSSI\"\n"
    ".BR bar (1)\n"
    ".SH TRADUCTION\n"
    "Traduit par une \\('equipe.\n";

}  // namespace

TEST_CASE("roff_inline: escapes to text", "[text][man]") {
  CHECK(roff_inline("\\fBls\\fR \\-l \\fI\\,file\\/\\fP") == "ls -l file");
  CHECK(roff_inline("a\\(emb \\(lqq\\(rq \\[u00E9]t\\['e]") == "a\u2014b \u201cq\u201d \u00e9t\u00e9");
  CHECK(roff_inline("C:\\e\\&dir \\*(lqx\\*(rq") == "C:\\dir \u201cx\u201d");
  CHECK(roff_inline("\\s-1SMALL\\s0 and \\s+2big\\s[0]") == "SMALL and big");
  CHECK(roff_inline("non\\ breaking\\~space 100\\|%") == "non breaking space 100%");
  CHECK(roff_inline("text \\\" a comment") == "text ");
  CHECK(roff_inline("d\\('ep\\(^ots \\(:Uber \\(,ca l\\*(Aqun \\[~n]") == "d\u00e9p\u00f4ts \u00dcber \u00e7a l'un \u00f1");
  CHECK(roff_inline("\\(zz\\[nosuch]x") == "x");
  CHECK(roff_inline("\\f(BIbold\\f[]x\\h'2n'y\\c") == "boldxy");
}

TEST_CASE("parse_man: sections, blocks, tags, dropped regions", "[text][man]") {
  const std::string page =
      ".TH T 1\n"
      "before any section: dropped\n"
      ".SH NAME\n"
      "t \\- test\n"
      ".SH DESCRIPTION\n"
      "First line\n"
      "continues here.\n"
      "\n"
      "After a blank line.\n"
      ".nf\n"
      "verbatim code\n"
      ".fi\n"
      ".TS\n"
      "tab;\n"
      ".TE\n"
      ".IP \\(bu 2\n"
      "Bullet body.\n"
      ".SS Subsection title\n"
      ".TP\n"
      ".B \\-x\n"
      "Option body\n"
      ".BR foo (1),\n"
      ".I italic words\n"
      ".de XX\n"
      "macro body\n"
      "..\n"
      ".SH\n"
      "Title on the next line\n"
      ".EX\n"
      "example\n"
      ".EE\n"
      "End.\n";
  const ManPage p = parse_man(page);
  REQUIRE(p.sections.size() == 3);
  CHECK(p.sections[0].heading == "NAME");
  CHECK(blocks_of(p, 0) == std::vector<std::string>{"t - test"});
  CHECK(p.sections[1].heading == "DESCRIPTION");
  CHECK(blocks_of(p, 1) == std::vector<std::string>{"First line continues here.", "After a blank line.",
                                                    "\u2022", "Bullet body.", "Subsection title", "-x",
                                                    "Option body foo(1), italic words"});
  CHECK(p.sections[2].heading == "Title on the next line");
  CHECK(blocks_of(p, 2) == std::vector<std::string>{"End."});
  CHECK(p.so_target.empty());

  const ManPage link = parse_man(".so man1/other.1\n");
  CHECK(link.so_target == "man1/other.1");
  CHECK(link.sections.empty());
}

TEST_CASE("is_option_segment", "[text][man]") {
  CHECK(is_option_segment("-a, --all"));
  CHECK(is_option_segment("--block-size=SIZE"));
  CHECK(is_option_segment("\u2022"));
  CHECK(is_option_segment("123 456"));
  CHECK_FALSE(is_option_segment("-v makes it print more words than usual."));
  CHECK_FALSE(is_option_segment("print the author of each file"));
  CHECK(is_prose_segment("\u00e9t\u00e9"));
  CHECK_FALSE(is_prose_segment(""));
}

TEST_CASE("align_man_pages: matching counts pair sections, blocks and sentences", "[text][man]") {
  const auto pairs = align_man_pages(parse_man(kEnPage), parse_man(kFrPage));
  const std::vector<std::pair<std::string, std::string>> want = {
      {"NAME", "NOM"},
      {"foo - frobnicate files", "foo - frobniquer des fichiers"},
      {"foo frobnicates files.", "foo frobnique les fichiers."},
      {"It is fast.", "Il est rapide."},
      {"Options are described below.", "Les options sont d\u00e9crites ci-dessous."},
      {"Print what is done.", "Afficher ce qui est fait."},
      {"SEE ALSO", "VOIR AUSSI"}};
  REQUIRE(pairs.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CHECK(pairs[i].en == want[i].first);
    CHECK(pairs[i].xx == want[i].second);
  }
}

TEST_CASE("man_segments: the translators' credits are not monolingual text", "[text][man]") {
  const auto segments = man_segments(parse_man(kFrPage));
  REQUIRE(!segments.empty());
  CHECK(segments.front() == "NOM");
  for (const auto& s : segments) {
    INFO(s);
    CHECK(s != "TRADUCTION");
    CHECK(s.find("traduction") == std::string::npos);
  }
  CHECK(is_l10n_credits_heading("ÜBERSETZUNG"));
  CHECK(is_l10n_credits_heading("TRADUCCIÓN"));
  CHECK(!is_l10n_credits_heading("DESCRIPTION"));
}

TEST_CASE("align_man_pages: mismatching counts drop the level", "[text][man]") {
  // One block fewer in DESCRIPTION: that section gives only its heading pair.
  std::string fr_short = kFrPage;
  const std::string drop = ".PP\nLes options sont d\\('ecrites ci\\-dessous.\n";
  fr_short.erase(fr_short.find(drop), drop.size());
  auto pairs = align_man_pages(parse_man(kEnPage), parse_man(fr_short));
  REQUIRE(pairs.size() == 3);
  CHECK(pairs[1].en == "foo - frobnicate files");
  CHECK(pairs[2].xx == "VOIR AUSSI");

  // Two sentences against one: the whole block is paired.
  std::string fr_one = kFrPage;
  const std::string two = "frobnique les fichiers. Il est rapide.";
  fr_one.replace(fr_one.find(two), two.size(), "frobnique les fichiers rapidement.");
  pairs = align_man_pages(parse_man(kEnPage), parse_man(fr_one));
  REQUIRE(pairs.size() == 6);
  CHECK(pairs[2].en == "foo frobnicates files. It is fast.");
  CHECK(pairs[2].xx == "foo frobnique les fichiers rapidement.");

  // A different number of sections (beyond the one credits section): nothing.
  const std::string extra = std::string(kFrPage) + ".SH AUTRE\nTexte.\n";
  CHECK(align_man_pages(parse_man(kEnPage), parse_man(extra)).empty());
}

TEST_CASE("man_corpus_from_roots: offline over a fake unpacked tree", "[text][man]") {
  const fs::path root = fs::temp_directory_path() / fmt::format("xlm-test-man-{}", ::getpid());
  fs::remove_all(root);
  auto write = [&](const fs::path& rel, const std::string& text) {
    fs::create_directories((root / rel).parent_path());
    std::ofstream(root / rel, std::ios::binary) << text;
  };
  write("en/usr/share/man/man1/foo.1", kEnPage);
  write("en/usr/share/man/man1/alias.1", ".so man1/foo.1\n");
  write("fr/usr/share/man/fr/man1/foo.1", kFrPage);
  write("fr/usr/share/man/fr/man1/only-fr.1", ".SH NOM\nUne page sans original anglais.\n.PP\nIt is fast.\n");
  write("fr/usr/share/man/fr/man1/latin1.1", ".SH NOM\nd\xe9j\xe0 vu\n");
  const auto corpus = xlm::tools::man_corpus_from_roots({(root / "en").string(), (root / "fr").string()},
                                                        {"en", "fr"}, 0);
  fs::remove_all(root);
  CHECK(corpus.pages.at("en") == 1);
  CHECK(corpus.pages.at("fr") == 2);  // the Latin-1 page is not valid UTF-8
  CHECK(corpus.paired_pages.at("fr") == 1);
  REQUIRE(corpus.para.at("fr").size() == 7);
  CHECK(corpus.para.at("fr")[3].xx == "Il est rapide.");
  const auto& mono_fr = corpus.mono.at("fr");
  // "It is fast." is an English segment left in a French page: not French mono.
  for (const auto& m : mono_fr) CHECK(m.text != "It is fast.");
  const auto it = std::find_if(mono_fr.begin(), mono_fr.end(), [](const MonoLine& m) { return m.text == "Il est rapide."; });
  REQUIRE(it != mono_fr.end());
  CHECK(it->split_key == "It is fast.");
  CHECK(std::any_of(mono_fr.begin(), mono_fr.end(),
                    [](const MonoLine& m) { return m.text == "Une page sans original anglais."; }));
  // The translators' credits section is not running text.
  CHECK(std::none_of(mono_fr.begin(), mono_fr.end(), [](const MonoLine& m) { return m.text == "Traduit par une \u00e9quipe."; }));
  CHECK(corpus.mono.at("en").size() == 9);  // 3 headings, the NAME line, 4 description sentences, "bar(1)"

  const auto small = xlm::tools::man_corpus_from_roots({}, {"en", "fr"}, 0);
  CHECK(small.para.at("fr").empty());
}
