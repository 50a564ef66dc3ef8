// See tasks/mt/python_lower.h. The Final_Sigma rule follows CPython's
// handle_capital_sigma: U+03A3 lowers to U+03C2 when a cased letter precedes it
// (skipping case-ignorable characters) and no cased letter follows it (same skip);
// both looks are on the original text, not on what has been lowered so far.
#include "tasks/mt/python_lower.h"

#include "tasks/mt/lowercase_tables.h"

#include <algorithm>
#include <cstdint>

namespace xlm::tasks {

namespace {

bool in_ranges(const lower_tables::CodeRange* ranges, size_t count, char32_t c) {
  const uint32_t cp = c;
  const lower_tables::CodeRange* end = ranges + count;
  const auto* it = std::upper_bound(ranges, end, cp,
                                    [](uint32_t v, const lower_tables::CodeRange& r) { return v < r.first; });
  if (it == ranges) return false;
  --it;
  return cp <= it->last;
}

bool is_cased(char32_t c) { return in_ranges(lower_tables::cased_ranges, lower_tables::cased_count, c); }
bool is_case_ignorable(char32_t c) {
  return in_ranges(lower_tables::case_ignorable_ranges, lower_tables::case_ignorable_count, c);
}

constexpr char32_t kCapitalSigma = 0x3A3;
constexpr char32_t kSmallSigma = 0x3C3;
constexpr char32_t kFinalSigma = 0x3C2;

bool final_sigma(std::u32string_view text, size_t i) {
  size_t j = i;
  while (j > 0 && is_case_ignorable(text[j - 1])) --j;
  if (j == 0 || !is_cased(text[j - 1])) return false;
  size_t k = i + 1;
  while (k < text.size() && is_case_ignorable(text[k])) ++k;
  return k == text.size() || !is_cased(text[k]);
}

void append_lower(char32_t c, std::u32string& out) {
  if (c < 0x80) {
    out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return;
  }
  const lower_tables::LowerEntry* end = lower_tables::lower_entries + lower_tables::lower_count;
  const auto* it = std::lower_bound(lower_tables::lower_entries, end, static_cast<uint32_t>(c),
                                    [](const lower_tables::LowerEntry& e, uint32_t v) { return e.code < v; });
  if (it == end || it->code != static_cast<uint32_t>(c)) {
    out.push_back(c);
    return;
  }
  for (const uint32_t o : it->out) {
    if (o != 0) out.push_back(o);
  }
}

}  // namespace

std::u32string python_lower(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == kCapitalSigma) {
      out.push_back(final_sigma(text, i) ? kFinalSigma : kSmallSigma);
    } else {
      append_lower(text[i], out);
    }
  }
  return out;
}

}  // namespace xlm::tasks
