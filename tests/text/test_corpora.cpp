// Unit tests for the corpus builders in text/: each rule that decides what
// becomes training text (element extraction, entities, markup, untranslated
// dropping, dedup, hash splits) on small inline inputs with known answers.
#include "core/error.h"
#include "text/corpus_html.h"
#include "text/corpus_layout.h"
#include "text/corpus_split.h"
#include "text/sha256.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>

using namespace xlm::text;

TEST_CASE("decode_entities: named, decimal and hex references", "[text][corpora]") {
  CHECK(decode_entities("a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;") == "a <b> & \"c\" 'd'");
  CHECK(decode_entities("caf&#233; &#x20AC; &#X1F600;") == "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  CHECK(decode_entities("a&nbsp;b") == "a b");
  // Unknown, malformed, surrogate and unterminated references stay as written.
  CHECK(decode_entities("&bogus; &#xZZ; &#55296; & x &amp") == "&bogus; &#xZZ; &#55296; & x &amp");
  // Decoding happens once: &amp;lt; is the text "&lt;".
  CHECK(decode_entities("&amp;lt;") == "&lt;");
}

TEST_CASE("strip_markup: tags, hidden variants, whitespace", "[text][corpora]") {
  CHECK(strip_markup("Choose <span class=\"emph\">Tools</span> - <a href=\"x.html\">Options</a>") ==
        "Choose Tools - Options");
  // The hidden (platform-specific) variant is dropped, the default one kept.
  CHECK(strip_markup("Open <span id=\"s\"><span hidden=\"true\" class=\"MAC\"><span>Prefs</span></span>"
                     "<span id=\"d\">Tools - Options</span></span>.") == "Open Tools - Options.");
  CHECK(strip_markup("one<br>two<br/>three") == "one two three");
  CHECK(strip_markup("  a\n\t b  <script>var x = '<p>';</script> c ") == "a b c");
  CHECK(strip_markup("x &lt;y&gt; <!-- note --> z") == "x <y> z");
  CHECK(strip_markup("") == "");
}

TEST_CASE("extract_segments: elements with ids, in order, text only", "[text][corpora]") {
  const std::string html =
      "<html><body><h1 id=\"hd_1\" dir=\"auto\"><a name=\"x\"></a>Title &amp; more</h1>\n"
      "<p id=\"par_2\" class=\"paragraph\">First <span class=\"emph\">para</span>.</p>\n"
      "<p class=\"paragraph\">No id: skipped.</p>\n"
      "<table><tr><td><p id=\"par_3\">Cell text</p></td></tr></table>\n"
      "<p id=\"par_4\">  </p><p id=\"par_5\">42</p>\n"
      "<li id=\"li_6\">Item <b>one</b></li>\n"
      "<h2 id='hd_7'>Single quoted</h2>"
      "<p id=\"dup\">A</p><p id=\"dup\">B</p>"
      "</body></html>";
  const auto segs = extract_segments(html);
  REQUIRE(segs.size() == 5);
  CHECK(segs[0].id == "hd_1");
  CHECK(segs[0].text == "Title & more");
  CHECK(segs[1].id == "par_2");
  CHECK(segs[1].text == "First para.");
  CHECK(segs[2].id == "par_3");
  CHECK(segs[2].text == "Cell text");
  // par_4 (blank) and par_5 (no letter) are dropped; duplicate ids are ambiguous.
  CHECK(segs[3].id == "li_6");
  CHECK(segs[3].text == "Item one");
  CHECK(segs[4].id == "hd_7");
  CHECK(segs[4].text == "Single quoted");
}

TEST_CASE("extract_segments: nested same-name elements and unterminated input", "[text][corpora]") {
  const auto segs = extract_segments("<li id=\"a\">outer <ul><li>inner</li></ul> tail</li><p id=\"b\">after</p>");
  REQUIRE(segs.size() == 2);
  CHECK(segs[0].text == "outer inner tail");
  CHECK(segs[1].text == "after");
  CHECK(extract_segments("<p id=\"x\">never closed").empty());
}

TEST_CASE("align_by_key drops untranslated and unmatched segments", "[text][corpora]") {
  const std::vector<KeyedText> en = {
      {"a.html#1", "Open the file."}, {"a.html#2", "LibreOffice Calc"}, {"a.html#3", "Save"}, {"b.html#1", "Close"}};
  const std::vector<KeyedText> fr = {{"b.html#1", "Fermer"},
                                     {"a.html#2", "LibreOffice  calc"},  // untranslated up to case/space
                                     {"a.html#1", "Ouvrez le fichier."},
                                     {"c.html#9", "Orphelin"}};
  const auto pairs = align_by_key(en, fr);
  REQUIRE(pairs.size() == 2);
  CHECK(pairs[0].en == "Close");
  CHECK(pairs[0].xx == "Fermer");
  CHECK(pairs[1].en == "Open the file.");
  CHECK(pairs[1].xx == "Ouvrez le fichier.");
  CHECK(is_untranslated("Save", "save "));
  CHECK_FALSE(is_untranslated("Save", "Enregistrer"));
}

TEST_CASE("mono_lines keys translations by their English side", "[text][corpora]") {
  const std::vector<KeyedText> en = {{"k1", "Open"}, {"k2", "Basic"}};
  const std::vector<KeyedText> de = {{"k1", "Öffnen"}, {"k2", "Basic"}, {"k3", "Nur Deutsch"}};
  const auto lines = mono_lines(de, &en);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].text == "Öffnen");
  CHECK(lines[0].split_key == "Open");
  CHECK(lines[1].text == "Nur Deutsch");
  CHECK(lines[1].split_key == "Nur Deutsch");
  const auto en_lines = mono_lines(en, nullptr);
  REQUIRE(en_lines.size() == 2);
  CHECK(en_lines[1].split_key == "Basic");
}

TEST_CASE("split_of is deterministic and close to the requested fraction", "[text][corpora]") {
  CHECK(split_of("hello", 0.03) == split_of("hello", 0.03));
  CHECK(split_of("hello", 0.0) == Split::kTrain);
  CHECK(split_of("hello", 0.5) != Split::kTrain);
  int counts[3] = {0, 0, 0};
  const int n = 20000;
  for (int i = 0; i < n; ++i) ++counts[static_cast<int>(split_of("line " + std::to_string(i), 0.05))];
  CHECK(counts[static_cast<int>(Split::kTest)] > 850);
  CHECK(counts[static_cast<int>(Split::kTest)] < 1150);
  CHECK(counts[static_cast<int>(Split::kValid)] > 850);
  CHECK(counts[static_cast<int>(Split::kValid)] < 1150);
  CHECK_THROWS_AS(split_of("x", 0.7), xlm::ConfigError);
  CHECK(std::string(split_name(Split::kValid)) == "valid");
  CHECK(keyed_hash("") != keyed_hash("", 1));
}

TEST_CASE("dedup_lines and sample_indices are order-stable", "[text][corpora]") {
  CHECK(dedup_lines({"b", "a", "b", "c", "a"}) == std::vector<std::string>{"b", "a", "c"});
  const std::vector<std::string> keys = {"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"};
  const auto s = sample_indices(keys, 3, 7);
  REQUIRE(s.size() == 3);
  CHECK(std::is_sorted(s.begin(), s.end()));
  // The same items are chosen whatever the input order.
  std::vector<std::string> reversed(keys.rbegin(), keys.rend());
  std::set<std::string> a, b;
  for (size_t i : s) a.insert(keys[i]);
  for (size_t i : sample_indices(reversed, 3, 7)) b.insert(reversed[i]);
  CHECK(a == b);
  CHECK(sample_indices(keys, 0, 7).size() == keys.size());
  CHECK(sample_indices(keys, 100, 7).size() == keys.size());
}

TEST_CASE("layout_corpus: XLM names, equal pair files, one split per English sentence", "[text][corpora]") {
  std::map<std::string, std::vector<AlignedPair>> para;
  std::map<std::string, std::vector<MonoLine>> mono;
  for (int i = 0; i < 400; ++i) {
    const std::string e = "sentence " + std::to_string(i);
    para["fr"].push_back({e, "phrase " + std::to_string(i)});
    para["de"].push_back({e, "Satz " + std::to_string(i)});
    mono["en"].push_back({e, e});
    mono["fr"].push_back({"phrase " + std::to_string(i), e});
  }
  para["fr"].push_back(para["fr"][0]);  // exact duplicate pair
  mono["en"].push_back(mono["en"][5]);  // duplicate line
  const auto files = layout_corpus(para, mono, 0.1);
  CHECK(files.size() == 3 * 4 + 3 * 2);  // de-en, en-fr: 2 sides x 3 splits; mono en, fr: 3 splits
  REQUIRE(files.count("para/train.de-en.de"));
  REQUIRE(files.count("para/test.en-fr.fr"));
  REQUIRE(files.count("mono/valid.en"));
  size_t total = 0;
  for (const char* sp : {"train", "valid", "test"}) {
    const std::string s(sp);
    CHECK(files.at("para/" + s + ".en-fr.en").size() == files.at("para/" + s + ".en-fr.fr").size());
    CHECK(files.at("para/" + s + ".de-en.en").size() == files.at("para/" + s + ".de-en.de").size());
    // Same English sentences in the same split everywhere.
    CHECK(files.at("para/" + s + ".en-fr.en") == files.at("para/" + s + ".de-en.en"));
    CHECK(files.at("mono/" + s + ".en") == files.at("para/" + s + ".en-fr.en"));
    CHECK(files.at("mono/" + s + ".fr") == files.at("para/" + s + ".en-fr.fr"));
    total += files.at("mono/" + s + ".en").size();
  }
  CHECK(total == 400);
  CHECK(files.at("para/test.en-fr.en").size() > 10);
  CHECK(files.at("para/valid.en-fr.en").size() > 10);
  CHECK(para_name("fr", "en") == "en-fr");
  CHECK(para_name("en", "de") == "de-en");
}

TEST_CASE("sha256 matches the FIPS 180-4 test vectors", "[text][corpora]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000000, 'a')) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("is_valid_utf8 accepts well-formed text and rejects malformed bytes", "[text][corpora]") {
  CHECK(is_valid_utf8("plain ascii"));
  CHECK(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  CHECK_FALSE(is_valid_utf8("\xC3"));              // truncated
  CHECK_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  CHECK_FALSE(is_valid_utf8("\xFF"));
}

TEST_CASE("dedup_pairs and dedup_mono keep first occurrences", "[text][corpora]") {
  const auto pairs = dedup_pairs({{"a", "x"}, {"a", "y"}, {"a", "x"}, {"b", "x"}});
  REQUIRE(pairs.size() == 3);
  CHECK(pairs[1].xx == "y");
  const auto mono = dedup_mono({{"a", "k1"}, {"b", "k2"}, {"a", "k3"}});
  REQUIRE(mono.size() == 2);
  CHECK(mono[0].split_key == "k1");
}

TEST_CASE("layout_corpus: a translation shared by two English sentences stays in one split", "[text][corpora]") {
  std::map<std::string, std::vector<AlignedPair>> para;
  std::map<std::string, std::vector<MonoLine>> mono;
  for (int i = 0; i < 300; ++i) {
    // "Remarque i" translates both "Note i" and "Remark i": all four texts must share a split.
    para["fr"].push_back({"Note " + std::to_string(i), "Remarque " + std::to_string(i)});
    para["fr"].push_back({"Remark " + std::to_string(i), "Remarque " + std::to_string(i)});
    mono["en"].push_back({"Remark " + std::to_string(i), "Remark " + std::to_string(i)});
  }
  const auto files = layout_corpus(para, mono, 0.2);
  std::set<std::string> train(files.at("para/train.en-fr.fr").begin(), files.at("para/train.en-fr.fr").end());
  train.insert(files.at("mono/train.en").begin(), files.at("mono/train.en").end());
  train.insert(files.at("para/train.en-fr.en").begin(), files.at("para/train.en-fr.en").end());
  size_t heldout = 0;
  for (const char* f : {"para/test.en-fr.fr", "para/valid.en-fr.fr", "para/test.en-fr.en", "mono/test.en",
                        "mono/valid.en"}) {
    for (const auto& l : files.at(f)) {
      CHECK(train.count(l) == 0);
      ++heldout;
    }
  }
  CHECK(heldout > 100);
  CHECK(files.at("para/test.en-fr.en").size() % 2 == 0);  // both English sides of a component move together
}
