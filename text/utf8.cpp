// See text/utf8.h. Hand-written decoder (RFC 3629 ranges) rather than
// std::codecvt, which is deprecated and does not report where input went wrong.
#include "text/utf8.h"

#include "core/error.h"

#include <fmt/format.h>

#include <cstdint>

namespace xlm::text {

namespace {

// Decodes the sequence starting at bytes[i] into *cp; returns its length, or 0
// with *why set when the bytes there are not a well-formed sequence.
size_t decode_at(std::string_view bytes, size_t i, char32_t* cp, const char** why) {
  const size_t n = bytes.size();
  const uint8_t b0 = static_cast<uint8_t>(bytes[i]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t extra;
  uint32_t value, min_cp;
  if ((b0 & 0xE0) == 0xC0) {
    extra = 1, value = b0 & 0x1F, min_cp = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    extra = 2, value = b0 & 0x0F, min_cp = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    extra = 3, value = b0 & 0x07, min_cp = 0x10000;
  } else {
    *why = "byte is not a valid sequence start";
    return 0;
  }
  for (size_t k = 1; k <= extra; ++k) {
    if (i + k >= n) {
      *why = "truncated sequence";
      return 0;
    }
    const uint8_t b = static_cast<uint8_t>(bytes[i + k]);
    if ((b & 0xC0) != 0x80) {
      *why = "missing continuation byte";
      return 0;
    }
    value = (value << 6) | (b & 0x3F);
  }
  if (value < min_cp) *why = "overlong encoding";
  else if (value > 0x10FFFF) *why = "code point above U+10FFFF";
  else if (value >= 0xD800 && value <= 0xDFFF) *why = "encoded surrogate";
  else {
    *cp = value;
    return extra + 1;
  }
  return 0;
}

}  // namespace

size_t find_invalid_utf8(std::string_view s) {
  const char* why = nullptr;
  char32_t cp;
  for (size_t i = 0; i < s.size();) {
    const size_t len = decode_at(s, i, &cp, &why);
    if (len == 0) return i;
    i += len;
  }
  return std::string_view::npos;
}

std::u32string utf8_decode(std::string_view bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  const char* why = nullptr;
  char32_t cp;
  for (size_t i = 0; i < bytes.size();) {
    const size_t len = decode_at(bytes, i, &cp, &why);
    if (len == 0) throw FormatError(fmt::format("invalid UTF-8 at byte {}: {}", i, why));
    out.push_back(cp);
    i += len;
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
