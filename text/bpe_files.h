// Reading fastBPE's codes and vocab files. Both are lines of fields separated
// by single spaces (fastBPE also tolerates runs of spaces, and so do we);
// anything else is an error naming the file and line, where fastBPE would
// stop on a failed assert.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace xlm::text {

// Codes in file order (rank = index). Counts are checked, not kept.
struct BpeCodes {
  std::vector<std::pair<std::string, std::string>> merges;
};

// Reads "left right count" lines. Throws FormatError "FILE:LINE: ..." on a
// line without exactly three fields or whose count is not a non-negative
// integer, and FormatError naming the file when it cannot be opened.
BpeCodes read_bpe_codes(const std::string& path);
BpeCodes parse_bpe_codes(const std::string& text, const std::string& name);

// Reads "word count" lines into word -> count. Same errors; a repeated word
// is an error too.
using BpeVocab = std::unordered_map<std::string, uint64_t>;
BpeVocab read_bpe_vocab(const std::string& path);
BpeVocab parse_bpe_vocab(const std::string& text, const std::string& name);

}  // namespace xlm::text
