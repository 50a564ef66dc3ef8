// The FreeDict (dictd) reader of `xlm data debian --sources dict` on a tiny
// hand-written dictionary (tests/fixtures/freedict/test.{index,dict}, the
// same layout as the packages' files once the .dict.dz is gunzipped): base64
// offsets, header entries, numbered and annotated translation lines,
// indented examples, multi-word items, two headwords on one entry.
#include "core/error.h"
#include "support.h"
#include "tools/data_dictionaries.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(XLM_SOURCE_DIR) + "/tests/fixtures/freedict/" + name, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("dictd base64 numbers", "[tools][dict]") {
  using xlm::tools::decode_dictd_number;
  CHECK(decode_dictd_number("A", "x") == 0);
  CHECK(decode_dictd_number("B", "x") == 1);
  CHECK(decode_dictd_number("/", "x") == 63);
  CHECK(decode_dictd_number("BA", "x") == 64);
  CHECK(decode_dictd_number("LOB", "x") == 11 * 4096 + 14 * 64 + 1);
  REQUIRE_THROWS_WITH(decode_dictd_number("B!", "f.index:3"), Catch::Contains("f.index:3"));
  REQUIRE_THROWS_AS(decode_dictd_number("", "x"), xlm::FormatError);
}

TEST_CASE("dictd index lines", "[tools][dict]") {
  const auto entries = xlm::tools::parse_dictd_index(fixture("test.index"), "test.index");
  REQUIRE(entries.size() == 7);
  CHECK(entries[0].headword == "00databaseshort");
  CHECK(entries[3].headword == "cat");
  CHECK(entries[3].offset == 54);
  CHECK(entries[3].length == 107);
  CHECK(entries[5].headword == "ice cream");
  REQUIRE_THROWS_WITH(xlm::tools::parse_dictd_index("cat\tA\tB\ndog\tA\n", "bad.index"),
                      Catch::Contains("bad.index:2"));
}

TEST_CASE("words are single alphabetic tokens, lowercased", "[tools][dict]") {
  using xlm::tools::is_single_word;
  CHECK(is_single_word("straße"));
  CHECK(is_single_word("Éthiopie"));
  CHECK_FALSE(is_single_word("d'Achille"));
  CHECK_FALSE(is_single_word("Addis\u2010Abeba"));
  CHECK_FALSE(is_single_word("ice cream"));
  CHECK_FALSE(is_single_word("mp3"));
  CHECK_FALSE(is_single_word(""));
  CHECK(xlm::tools::lowercase_latin("ÉTÉ Œuvre ÀÇÑÜ Łódź") == "été œuvre àçñü łódź");
}

TEST_CASE("FreeDict entries and the pairs of a dictionary", "[tools][dict]") {
  const auto [head, translations] =
      xlm::tools::freedict_entry("cat /kæt/\n1. chat, matou\n2. Chat <masc> [zool.]\n   \"a cat\" - un chat\n");
  CHECK(head == "cat");
  CHECK(translations == std::vector<std::string>{"chat", "matou"});
  CHECK(xlm::tools::freedict_entry("ice cream /x/\nglace\n").first.empty());

  const auto pairs = xlm::tools::freedict_pairs(fixture("test.index"), fixture("test.dict"), "test");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"abyssinia", "abyssinie"}, {"abyssinia", "éthiopie"}, {"big", "grand"},  {"big", "gros"},
      {"cat", "chat"},            {"cat", "matou"},          {"dog", "chien"}, {"dog", "toutou"}};
  CHECK(pairs == expected);

  REQUIRE_THROWS_WITH(xlm::tools::freedict_pairs("cat\tA\tBA\n", "short", "tiny"),
                      Catch::Contains("tiny.index") && Catch::Contains("cat"));
  CHECK(xlm::tools::dict_package("de") == "dict-freedict-eng-deu");
  REQUIRE_THROWS_AS(xlm::tools::dict_package("nl"), xlm::ConfigError);
}
