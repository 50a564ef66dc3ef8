// Dictionary ids (XLM's fixed specials), vocab parsing limits and errors,
// the dictionary hash, line indexing, UTF-8 checks and data_path names.
#include "core/error.h"
#include "core/fnv1a.h"
#include "text/data_paths.h"
#include "text/dictionary.h"
#include "text/utf8.h"
#include "text_fixtures.h"

#include <catch2/catch.hpp>

#include <sstream>

using namespace xlm;
using namespace xlm::text;

namespace {

Dictionary vocab(const std::string& text, int64_t max_vocab = -1, int64_t min_count = 0) {
  std::istringstream in(text);
  return Dictionary::from_vocab_stream(in, "vocab.txt", max_vocab, min_count);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  }
  return "(no FormatError)";
}

}  // namespace

TEST_CASE("dictionary: XLM's special word ids", "[text]") {
  const Dictionary d = vocab("the 10\n, 7\ncat 3\n");
  REQUIRE(d.size() == 17);
  CHECK(d.word(0) == "<s>");
  CHECK(d.word(1) == "</s>");
  CHECK(d.word(2) == "<pad>");
  CHECK(d.word(3) == "<unk>");
  CHECK(d.word(4) == "<special0>");
  CHECK(d.word(kMaskIndex) == "<special1>");
  CHECK(kMaskIndex == 5);
  CHECK(d.word(13) == "<special9>");
  CHECK(d.word(14) == "the");
  CHECK(d.word(15) == ",");
  CHECK(d.word(16) == "cat");
  CHECK(d.index("cat") == 16);
  CHECK(d.index("dog") == kUnkIndex);
  CHECK(d.count(14) == 10);
  CHECK(d.count(16) == 3);
  CHECK(d.count(kEosIndex) == 0);
  CHECK_THROWS_AS(d.word(17), IndexError);
}

TEST_CASE("dictionary: max_vocab counts the specials, min_count drops rare words", "[text]") {
  const std::string text = "a 9\nb 7\nc 5\nd 2\ne 1\n";
  CHECK(vocab(text).size() == 19);
  const Dictionary capped = vocab(text, 16);
  REQUIRE(capped.size() == 16);
  CHECK(capped.word(15) == "b");
  CHECK(capped.index("c") == kUnkIndex);
  const Dictionary common = vocab(text, -1, 5);
  REQUIRE(common.size() == 17);
  CHECK(common.word(16) == "c");
  CHECK(common.index("d") == kUnkIndex);
  const Dictionary both = vocab(text, 15, 5);
  CHECK(both.size() == 15);
  CHECK(vocab(text, 14).size() == 14);
  CHECK_THROWS_AS(vocab(text, 13), ConfigError);
  CHECK_THROWS_AS(vocab(text, -1, -2), ConfigError);
}

TEST_CASE("dictionary: malformed vocab lines name the file and line", "[text]") {
  CHECK_THAT(error_of([] { vocab("a 3\nb 2\na 1\n"); }),
             Catch::Contains("vocab.txt:3") && Catch::Contains("duplicate word \"a\""));
  // Duplicates are reported even beyond max_vocab.
  CHECK_THAT(error_of([] { vocab("a 3\nb 2\na 1\n", 14); }), Catch::Contains("vocab.txt:3"));
  CHECK_THAT(error_of([] { vocab("a 3\nb\n"); }), Catch::Contains("vocab.txt:2") && Catch::Contains("1 field"));
  CHECK_THAT(error_of([] { vocab("a 3 4\n"); }), Catch::Contains("vocab.txt:1") && Catch::Contains("3 field"));
  CHECK_THAT(error_of([] { vocab("a 3\nb x7\n"); }), Catch::Contains("vocab.txt:2") && Catch::Contains("x7"));
  CHECK_THAT(error_of([] { vocab("a -3\n"); }), Catch::Contains("vocab.txt:1"));
  CHECK_THAT(error_of([] { vocab("a 3\n\n"); }), Catch::Contains("vocab.txt:2"));
  CHECK_THAT(error_of([] { vocab("a 3\n<unk> 2\n"); }),
             Catch::Contains("vocab.txt:2") && Catch::Contains("reserved"));
  CHECK_THAT(error_of([] { Dictionary::from_vocab_file("/nonexistent/xlm/vocab"); }),
             Catch::Contains("/nonexistent/xlm/vocab"));
}

TEST_CASE("dictionary: FNV-1a hash over id-ordered words", "[text]") {
  // Published FNV-1a 64 test vectors.
  CHECK(fnv1a64("", 0) == 0xcbf29ce484222325ull);
  CHECK(fnv1a64("a", 1) == 0xaf63dc4c8601ec8cull);
  CHECK(fnv1a64("foobar", 6) == 0x85944171f73967e8ull);

  std::string all = "<s>\n</s>\n<pad>\n<unk>\n";
  for (int i = 0; i < 10; ++i) all += "<special" + std::to_string(i) + ">\n";
  all += "x\ny\n";
  const Dictionary d = vocab("x 5\ny 4\n");
  CHECK(d.hash() == fnv1a64(all.data(), all.size()));
  CHECK(vocab("x 1\ny 1\n").hash() == d.hash());  // counts do not matter, ids do
  CHECK(vocab("y 5\nx 4\n").hash() != d.hash());
  CHECK(vocab("x 5\n").hash() != d.hash());
}

TEST_CASE("dictionary: indexing a line counts unknowns and drops specials", "[text]") {
  const Dictionary d = vocab("the 10\ncat 3\n");
  std::vector<int64_t> ids;
  IndexStats stats;
  d.index_line("  the\tcat  dog <unk> </s> <special1> the\r", ids, stats);
  CHECK(ids == std::vector<int64_t>{14, 15, 3, 3, 14});
  CHECK(stats.words == 5);
  CHECK(stats.unknown == 2);
  CHECK(stats.specials_dropped == 2);
  ids.clear();
  d.index_line("", ids, stats);
  CHECK(ids.empty());
  CHECK(stats.words == 5);
  // Hand-written model inputs keep them (the mask word of a fill-in query).
  ids.clear();
  IndexStats kept;
  d.index_line("the <special1> </s> dog", ids, kept, Dictionary::SpecialWords::keep);
  CHECK(ids == std::vector<int64_t>{14, 5, 1, 3});
  CHECK(kept.specials_dropped == 0);
  CHECK(kept.unknown == 1);
}

TEST_CASE("utf8: well-formed and ill-formed sequences", "[text]") {
  CHECK(find_invalid_utf8("plain ascii") == std::string_view::npos);
  CHECK(find_invalid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == std::string_view::npos);
  CHECK(find_invalid_utf8("ab\xff") == 2);
  CHECK(find_invalid_utf8("\xc0\x80") == 0);          // overlong NUL
  CHECK(find_invalid_utf8("x\xe0\x80\xaf") == 1);     // overlong '/'
  CHECK(find_invalid_utf8("\xed\xa0\x80") == 0);      // surrogate
  CHECK(find_invalid_utf8("\xf4\x90\x80\x80") == 0);  // above U+10FFFF
  CHECK(find_invalid_utf8("ok\xe2\x82") == 2);        // truncated
  CHECK(find_invalid_utf8("\xe2\x28\xa1") == 0);      // bad continuation
}

TEST_CASE("data_paths: XLM's file names with l1 < l2", "[text]") {
  CHECK(mono_file_name("train", "en") == "train.en");
  CHECK(para_file_name("valid", "de", "en", "de") == "valid.de-en.de");
  CHECK(para_file_name("test", "de", "en", "en") == "test.de-en.en");
  CHECK(binarized_name("data/train.en") == "data/train.en.xbin");
  CHECK(join_path("data/", "train.en") == "data/train.en");
  CHECK(join_path("data", "train.en") == "data/train.en");
  const LanguagePair p = parse_language_pair("de-en");
  CHECK(p.l1 == "de");
  CHECK(p.l2 == "en");
  auto config_error = [](const std::function<void()>& f) -> std::string {
    try {
      f();
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no ConfigError)";
  };
  CHECK_THAT(config_error([] { parse_language_pair("en-de"); }), Catch::Contains("\"de-en\""));
  CHECK_THAT(config_error([] { para_file_name("train", "en", "de", "en"); }), Catch::Contains("l1 < l2"));
  CHECK_THAT(config_error([] { parse_language_pair("en-en"); }), Catch::Contains("l1 < l2"));
  CHECK_THAT(config_error([] { parse_language_pair("en"); }), Catch::Contains("l1-l2"));
  CHECK_THAT(config_error([] { para_file_name("train", "de", "en", "fr"); }), Catch::Contains("de or en"));
  CHECK_THAT(config_error([] { mono_file_name("dev", "en"); }), Catch::Contains("train, valid or test"));
  CHECK_THAT(config_error([] { mono_file_name("train", "e.n"); }), Catch::Contains("\"e.n\""));
}
