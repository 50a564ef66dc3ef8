// Vocab counts at the edges (found by tests/fuzz/fuzz_convert.cpp): the count
// parser kept multiplying by 10 after a non-digit or past 18 digits, a signed
// overflow (undefined behaviour; UBSan stops there in the sanitized suite,
// scripts/test --sanitize). Such counts must be a FormatError naming the line,
// and the largest accepted count, 18 nines, must read back exactly.
#include "core/error.h"
#include "support.h"
#include "text/dictionary.h"

#include <sstream>
#include <string>

using xlm::FormatError;
using xlm::text::Dictionary;

namespace {

Dictionary read(const std::string& text) {
  std::istringstream in(text);
  return Dictionary::from_vocab_stream(in, "v.txt");
}

}  // namespace

TEST_CASE("dictionary limits: counts that would overflow are refused", "[text][dictionary]") {
  // The fuzzer's input: a digit, then 36 bytes that are not digits.
  XLM_CHECK_THROWS(read("le@@ 9\ns 4\x8a" + std::string(35, '\x18') + "\n"), FormatError, "v.txt:2",
                   "is not a non-negative integer");
  XLM_CHECK_THROWS(read("s 12345678901234567890123456789\n"), FormatError, "v.txt:1", "not a non-negative integer");
  XLM_CHECK_THROWS(read("s 1234567890123456789\n"), FormatError, "v.txt:1");  // 19 digits
  XLM_CHECK_THROWS(read("s 9-\n"), FormatError, "v.txt:1");
  const Dictionary d = read("s 999999999999999999\n");
  REQUIRE(d.size() == xlm::text::kFirstWordIndex + 1);
  CHECK(d.count(xlm::text::kFirstWordIndex) == 999999999999999999);
}
