// libFuzzer entry point for the tokenizer (text/tokenizer.h): the first byte
// picks the language and options, the rest is the line. Arbitrary bytes
// must tokenize or end in an xlm::Error (invalid UTF-8); a tokenized line is
// detokenized too, which must not fail.
#include "core/error.h"
#include "text/tokenizer.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using xlm::text::Language;
  constexpr Language kLangs[] = {Language::en, Language::fr, Language::de, Language::es, Language::it};
  const uint8_t selector = data[0];
  const Language lang = kLangs[selector % 5];
  xlm::text::TokenizeOptions options;
  options.normalize_punctuation = (selector & 0x08) == 0;
  options.protect_urls = (selector & 0x10) == 0;
  options.escape = (selector & 0x20) != 0;
  options.lowercase_and_remove_accent = (selector & 0x40) != 0;
  const std::string_view line(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string tokens;
  try {
    tokens = xlm::text::tokenize(line, lang, options);
  } catch (const xlm::Error&) {
    return 0;
  }
  (void)xlm::text::detokenize(tokens, lang);  // valid UTF-8 in: any exception here is a bug
  return 0;
}
