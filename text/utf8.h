// UTF-8 <-> UTF-32 conversion for the text pipeline. The tokenizer's rules are
// about characters (Unicode classes), so it works on std::u32string; decoding is
// strict (overlongs, surrogates, truncated sequences are rejected) because a
// corpus with broken bytes should be fixed, not silently tokenized into junk.
#pragma once

#include <string>
#include <string_view>

namespace xlm::text {

// Decodes UTF-8; throws FormatError("invalid UTF-8 at byte N: ...") on bad input.
std::u32string utf8_decode(std::string_view bytes);

// Appends the UTF-8 encoding of `text` to `out`.
void utf8_append(std::u32string_view text, std::string& out);
std::string utf8_encode(std::u32string_view text);

}  // namespace xlm::text
