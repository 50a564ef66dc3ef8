// libFuzzer entry point for fastBPE's vocab reader (text/bpe_files.h):
// arbitrary bytes must parse or end in an xlm::Error, never crash.
#include "core/error.h"
#include "text/bpe_files.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto vocab = xlm::text::parse_bpe_vocab(text, "fuzz.vocab");
    for (const auto& entry : vocab)
      if (entry.first.empty()) __builtin_trap();  // an empty word is a parser bug
  } catch (const xlm::Error&) {
  }
  return 0;
}
