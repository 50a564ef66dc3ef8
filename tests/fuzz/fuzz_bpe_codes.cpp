// libFuzzer entry point for fastBPE's codes reader (text/bpe_files.h):
// arbitrary bytes must parse or end in an xlm::Error, never crash.
#include "core/error.h"
#include "text/bpe_files.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto codes = xlm::text::parse_bpe_codes(text, "fuzz.codes");
    for (const auto& [left, right] : codes.merges)
      if (left.empty() || right.empty()) __builtin_trap();  // a merge of nothing is a parser bug
  } catch (const xlm::Error&) {
  }
  return 0;
}
