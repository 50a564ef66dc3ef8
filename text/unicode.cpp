// See text/unicode.h. ASCII is answered inline (the common case in the corpora we
// tokenize); everything else is one binary search in a generated range table.
#include "text/unicode.h"

#include "text/unicode_tables.h"

#include <algorithm>

namespace xlm::text {

namespace {
bool in_ranges(const tables::CodeRange* ranges, size_t count, char32_t c) {
  const uint32_t cp = c;
  const tables::CodeRange* end = ranges + count;
  const auto* it = std::upper_bound(ranges, end, cp,
                                    [](uint32_t v, const tables::CodeRange& r) { return v < r.first; });
  if (it == ranges) return false;
  --it;
  return cp <= it->last;
}
bool ascii_alpha(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool ascii_digit(char32_t c) { return c >= '0' && c <= '9'; }
}  // namespace

bool is_alpha(char32_t c) {
  if (c < 0x80) return ascii_alpha(c);
  return in_ranges(tables::alpha_ranges, tables::alpha_count, c);
}
bool is_alnum(char32_t c) {
  if (c < 0x80) return ascii_alpha(c) || ascii_digit(c);
  return in_ranges(tables::alnum_ranges, tables::alnum_count, c);
}
bool is_number(char32_t c) {
  if (c < 0x80) return ascii_digit(c);
  return in_ranges(tables::number_ranges, tables::number_count, c);
}
bool is_lower(char32_t c) {
  if (c < 0x80) return c >= 'a' && c <= 'z';
  return in_ranges(tables::lower_ranges, tables::lower_count, c);
}
bool is_currency(char32_t c) {
  if (c < 0x80) return c == '$';
  return in_ranges(tables::currency_ranges, tables::currency_count, c);
}
bool is_space(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
  return in_ranges(tables::space_ranges, tables::space_count, c);
}
bool is_nonspacing_mark(char32_t c) {
  if (c < 0x80) return false;
  return in_ranges(tables::nonspacing_mark_ranges, tables::nonspacing_mark_count, c);
}
bool is_control_or_format(char32_t c) {
  if (c < 0x80) return c < 0x20 || c == 0x7F;
  return in_ranges(tables::control_or_format_ranges, tables::control_or_format_count, c);
}

void append_folded(char32_t c, std::u32string& out) {
  if (c < 0x80) {
    out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return;
  }
  if (is_nonspacing_mark(c)) return;
  // Hangul syllables decompose algorithmically (Unicode ch. 3.12) into conjoining jamo.
  if (c >= 0xAC00 && c <= 0xD7A3) {
    const uint32_t s = c - 0xAC00;
    out.push_back(0x1100 + s / (21 * 28));
    out.push_back(0x1161 + (s % (21 * 28)) / 28);
    if (s % 28 != 0) out.push_back(0x11A7 + s % 28);
    return;
  }
  const tables::FoldEntry* end = tables::fold_entries + tables::fold_count;
  const auto* it = std::lower_bound(tables::fold_entries, end, static_cast<uint32_t>(c),
                                    [](const tables::FoldEntry& e, uint32_t v) { return e.code < v; });
  if (it == end || it->code != static_cast<uint32_t>(c)) {
    out.push_back(c);
    return;
  }
  for (const uint32_t o : it->out) {
    if (o != 0) out.push_back(o);
  }
}

}  // namespace xlm::text
