// See text/utf8.h. Hand-written state machine (RFC 3629 ranges) rather than
// std::codecvt, which is deprecated and does not report where input went wrong.
#include "text/utf8.h"

#include "core/error.h"

#include <fmt/format.h>

#include <cstdint>

namespace xlm::text {

namespace {
[[noreturn]] void fail(size_t at, const char* what) {
  throw FormatError(fmt::format("invalid UTF-8 at byte {}: {}", at, what));
}
}  // namespace

std::u32string utf8_decode(std::string_view bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    const uint8_t b0 = static_cast<uint8_t>(bytes[i]);
    if (b0 < 0x80) {
      out.push_back(b0);
      ++i;
      continue;
    }
    int extra;
    uint32_t cp;
    uint32_t min_cp;
    if ((b0 & 0xE0) == 0xC0) {
      extra = 1, cp = b0 & 0x1F, min_cp = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      extra = 2, cp = b0 & 0x0F, min_cp = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      extra = 3, cp = b0 & 0x07, min_cp = 0x10000;
    } else {
      fail(i, "byte is not a valid sequence start");
    }
    for (int k = 1; k <= extra; ++k) {
      if (i + k >= n) fail(i, "truncated sequence");
      const uint8_t b = static_cast<uint8_t>(bytes[i + k]);
      if ((b & 0xC0) != 0x80) fail(i, "missing continuation byte");
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min_cp) fail(i, "overlong encoding");
    if (cp > 0x10FFFF) fail(i, "code point above U+10FFFF");
    if (cp >= 0xD800 && cp <= 0xDFFF) fail(i, "encoded surrogate");
    out.push_back(cp);
    i += extra + 1;
  }
  return out;
}

void utf8_append(std::u32string_view text, std::string& out) {
  for (const char32_t c : text) {
    const uint32_t cp = c;
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
}

std::string utf8_encode(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  utf8_append(text, out);
  return out;
}

}  // namespace xlm::text
