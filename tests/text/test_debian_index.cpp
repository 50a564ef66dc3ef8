// Unit tests for the package-description parsers and the topic set: deb822
// stanzas written inline, with the alignments and splits they must give.
#include "text/corpus_split.h"
#include "text/debian_index.h"
#include "text/topic_set.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>

using namespace xlm::text;

namespace {

const char* kEn =
    "Package: foo\n"
    "Description-md5: 1111\n"
    "Description-en: tool to frobnicate files\n"
    " Foo frobnicates files. It is fast, e.g. on large inputs.\n"
    " .\n"
    " Features:\n"
    "  * speed\n"
    "  * safety\n"
    "\n"
    "Package: bar\n"
    "Description-md5: 2222\n"
    "Description-en: bar library\n"
    " Bar does one thing. It does it well.\n"
    "\n";

const char* kFr =
    "Package: foo\n"
    "Description-md5: 1111\n"
    "Description-fr: outil pour frobniquer des fichiers\n"
    " Foo frobnique les fichiers. Il est rapide, par exemple sur de gros\n"
    " fichiers.\n"
    " .\n"
    " Fonctionnalités :\n"
    "  * vitesse\n"
    "  * sûreté\n"
    "\n"
    "Package: bar\n"
    "Description-md5: 2222\n"
    "Description-fr: bar library\n"
    " Bar fait une chose et la fait bien.\n"
    "\n"
    "Package: nodesc\n"
    "Description-md5: 3333\n"
    "\n";

}  // namespace

TEST_CASE("parse_translation_index: fields, paragraphs, list blocks", "[text][corpora]") {
  const auto en = parse_translation_index(kEn, "en");
  REQUIRE(en.size() == 2);
  CHECK(en[0].package == "foo");
  CHECK(en[0].md5 == "1111");
  CHECK(en[0].synopsis == "tool to frobnicate files");
  REQUIRE(en[0].paragraphs.size() == 4);
  CHECK(en[0].paragraphs[0] == "Foo frobnicates files. It is fast, e.g. on large inputs.");
  CHECK(en[0].paragraphs[1] == "Features:");
  CHECK(en[0].paragraphs[2] == "* speed");
  CHECK(en[0].paragraphs[3] == "* safety");
  // A stanza without the language's description field is skipped.
  CHECK(parse_translation_index(kFr, "fr").size() == 2);
  CHECK(parse_translation_index(kFr, "de").empty());
}

TEST_CASE("split_sentences keeps abbreviations and lower-case continuations", "[text][corpora]") {
  CHECK(split_sentences("Foo frobnicates files. It is fast, e.g. on large inputs.") ==
        std::vector<std::string>{"Foo frobnicates files.", "It is fast, e.g. on large inputs."});
  CHECK(split_sentences("Version 2. 0 is out! Really? Yes") ==
        std::vector<std::string>{"Version 2. 0 is out!", "Really?", "Yes"});
  CHECK(split_sentences("").empty());
}

TEST_CASE("align_descriptions pairs sentences only where counts agree", "[text][corpora]") {
  const auto en = parse_translation_index(kEn, "en");
  const auto fr = parse_translation_index(kFr, "fr");
  const auto foo = align_descriptions(en[0], fr[0]);
  REQUIRE(foo.size() == 6);
  CHECK(foo[0].en == "tool to frobnicate files");
  CHECK(foo[0].xx == "outil pour frobniquer des fichiers");
  CHECK(foo[1].en == "Foo frobnicates files.");
  CHECK(foo[1].xx == "Foo frobnique les fichiers.");
  CHECK(foo[2].xx == "Il est rapide, par exemple sur de gros fichiers.");
  CHECK(foo[5].en == "* safety");
  CHECK(foo[5].xx == "* sûreté");
  // bar: synopsis untranslated (dropped); 2 sentences vs 1: the whole block is paired.
  const auto bar = align_descriptions(en[1], fr[1]);
  REQUIRE(bar.size() == 1);
  CHECK(bar[0].en == "Bar does one thing. It does it well.");
  CHECK(bar[0].xx == "Bar fait une chose et la fait bien.");
  CHECK(description_line(en[1]) == "bar library Bar does one thing. It does it well.");
}

TEST_CASE("parse_package_sections and coarse_topic", "[text][corpora]") {
  const auto sec = parse_package_sections(
      "Package: foo\nVersion: 1\nSection: contrib/utils\nDescription-md5: 1111\n\n"
      "Package: foo-dbg\nSection: debug\nDescription-md5: 1111\n\n"
      "Package: bar\nDescription-md5: 2222\nSection: libs\n");
  REQUIRE(sec.size() == 2);
  CHECK(sec.at("1111") == "utils");
  CHECK(sec.at("2222") == "libs");
  CHECK(coarse_topic("libdevel") == "libs");
  CHECK(coarse_topic("python") == "devel");
  CHECK(coarse_topic("sound") == "multimedia");
  CHECK(coarse_topic("misc").empty());
  for (const char* s : {"libs", "devel", "admin", "net", "science", "text", "doc", "games", "sound", "graphics",
                        "web", "x11", "utils"}) {
    const auto t = coarse_topic(s);
    CHECK(std::find(topic_labels().begin(), topic_labels().end(), t) != topic_labels().end());
  }
}

TEST_CASE("build_topic_set: held-out packages never in train, caps, zero-shot tests", "[text][corpora]") {
  std::map<std::string, std::vector<Description>> descs;
  std::map<std::string, std::string> sections;
  const char* secs[] = {"libs", "games", "net"};
  for (int i = 0; i < 600; ++i) {
    const std::string md5 = "md5-" + std::to_string(i);
    sections[md5] = secs[i % 3];
    descs["en"].push_back({"p" + std::to_string(i), md5, "english synopsis " + std::to_string(i), {"Body."}});
    if (i % 2 == 0) descs["fr"].push_back({"p" + std::to_string(i), md5, "résumé " + std::to_string(i), {"Corps."}});
  }
  TopicSetConfig cfg;
  cfg.train_cap = 100;
  const auto set = build_topic_set(descs, sections, cfg);
  const auto& train = set.files.at("topics/train.en");
  const auto& train_labels = set.files.at("topics/train.en.label");
  REQUIRE(train.size() == train_labels.size());
  CHECK(train.size() == 300);  // 3 classes capped at 100 (each has ~130 train items)
  for (const auto& l : train) CHECK_FALSE(set.test_lines.count(l));
  const auto& test_fr = set.files.at("topics/test.fr");
  CHECK(test_fr.size() == set.files.at("topics/test.fr.label").size());
  CHECK(test_fr.size() > 40);
  CHECK(test_fr.size() < 110);
  CHECK_FALSE(set.files.count("topics/train.fr"));
  CHECK(set.heldout_md5.size() > 100);
  CHECK(set.heldout_md5.size() < 200);
  // Deterministic.
  CHECK(build_topic_set(descs, sections, cfg).files == set.files);
}
