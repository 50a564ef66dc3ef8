// Raw Unicode data behind text/unicode.h, generated into text/unicode_tables.cpp by
// scripts/gen-unicode-tables.py (sorted, inclusive, non-overlapping ranges, so a
// lookup is one binary search). Only text/unicode.cpp should include this.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xlm::text::tables {

struct CodeRange {
  uint32_t first;
  uint32_t last;
};

// One character's lowercase + NFD + drop-nonspacing-marks result (1..3 code points, 0-padded).
struct FoldEntry {
  uint32_t code;
  uint32_t out[3];
};

#define XLM_UNICODE_CLASS(name)      \
  extern const CodeRange name##_ranges[]; \
  extern const size_t name##_count;
XLM_UNICODE_CLASS(alpha)
XLM_UNICODE_CLASS(alnum)
XLM_UNICODE_CLASS(number)
XLM_UNICODE_CLASS(lower)
XLM_UNICODE_CLASS(currency)
XLM_UNICODE_CLASS(space)
XLM_UNICODE_CLASS(nonspacing_mark)
XLM_UNICODE_CLASS(control_or_format)
#undef XLM_UNICODE_CLASS

extern const FoldEntry fold_entries[];
extern const size_t fold_count;

}  // namespace xlm::text::tables
