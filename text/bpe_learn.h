// Learning BPE merges from word counts, merge for merge identical to fastBPE's
// learnbpe: the same pair counts (adjacent positions, overlaps included) and
// the same choice among pairs of equal count. fastBPE rescans every pair for
// each merge; here a max-heap with lazy deletion finds the same pair in
// O(log pairs), which is where learning gets its speed.
#pragma once

#include "text/word_counts.h"

#include <cstdint>
#include <string>
#include <vector>

namespace xlm::text {

struct BpeMerge {
  std::string left;
  std::string right;
  int64_t count = 0;  // pair frequency when it was merged
};

// Learns up to `num_merges` merges. Stops early when no pair is left (fastBPE
// would then repeat its last merge with count 0; see docs/bpe.md).
std::vector<BpeMerge> learn_bpe(const WordCounts& words, size_t num_merges);

// "left right count\n" per merge (fastBPE's codes format).
std::string format_codes(const std::vector<BpeMerge>& merges);

}  // namespace xlm::text
