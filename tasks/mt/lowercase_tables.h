// Raw data behind tasks/mt/python_lower.h, generated into tasks/mt/lowercase_tables.cpp
// by scripts/gen-lowercase-tables.py (sorted, so a lookup is one binary search).
// Only tasks/mt/python_lower.cpp should include this.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xlm::tasks::lower_tables {

struct CodeRange {
  uint32_t first;  // inclusive
  uint32_t last;   // inclusive
};

// One code point whose lowercase differs from itself: 1 or 2 code points, 0-padded.
struct LowerEntry {
  uint32_t code;
  uint32_t out[2];
};

extern const CodeRange cased_ranges[];
extern const size_t cased_count;
extern const CodeRange case_ignorable_ranges[];
extern const size_t case_ignorable_count;
extern const LowerEntry lower_entries[];
extern const size_t lower_count;

}  // namespace xlm::tasks::lower_tables
