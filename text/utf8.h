// UTF-8 validation for text inputs: a corpus with a stray Latin-1 byte
// would otherwise index as silent <unk>s; we stop at the first bad line.
#pragma once

#include <cstddef>
#include <string_view>

namespace xlm::text {

// Byte offset of the first invalid UTF-8 sequence in `s` (overlong forms,
// surrogates and code points above U+10FFFF are invalid), or npos if valid.
size_t find_invalid_utf8(std::string_view s);

}  // namespace xlm::text
