// UTF-8 for the text pipeline: strict validation (a corpus with a stray
// Latin-1 byte would otherwise index as silent <unk>s) and UTF-8 <-> UTF-32
// conversion (the tokenizer's rules are about characters, so it works on
// std::u32string). Overlong forms, surrogates, truncated sequences and code
// points above U+10FFFF are all invalid; one decoder serves every entry point.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace xlm::text {

// Byte offset of the first invalid UTF-8 sequence in `s`, or npos if valid.
size_t find_invalid_utf8(std::string_view s);

// Decodes UTF-8; throws FormatError("invalid UTF-8 at byte N: ...") on bad input.
std::u32string utf8_decode(std::string_view bytes);

// Appends the UTF-8 encoding of `text` to `out`.
void utf8_append(std::u32string_view text, std::string& out);
std::string utf8_encode(std::u32string_view text);

}  // namespace xlm::text
