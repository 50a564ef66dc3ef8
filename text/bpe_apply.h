// Applying BPE codes the way fastBPE's applybpe does: each word is split into
// symbols, then the adjacent pair with the lowest code rank is merged
// everywhere in the word (left to right, non-overlapping) until no adjacent
// pair has a code; with a vocabulary, subwords that the vocabulary does not
// hold are split back along their merges. Text is rewritten with "@@ " after
// every non-final subword, separators (' ', '\n') copied as they are.
// Distinct words are segmented once, in parallel, then the text is rewritten
// in parallel chunks.
#pragma once

#include "text/bpe_files.h"

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace xlm::text {

class BpeApplier {
 public:
  // `vocab` empty = no restriction (fastBPE's applybpe without VOCAB).
  explicit BpeApplier(const BpeCodes& codes, BpeVocab vocab = {});

  // The segmented word, e.g. "lower" -> "low@@ er".
  std::string apply_word(std::string_view word) const;
  // One line of words separated by spaces, segmented word by word and joined
  // by single spaces (runs of spaces collapse): what the tasks feed a model.
  std::string apply_line(std::string_view line) const;
  // The whole text rewritten; words are maximal runs of bytes other than ' '
  // and '\n'. A final word without a separator after it is segmented too.
  std::string apply_text(std::string_view text, unsigned threads) const;

 private:
  std::vector<std::string> subwords(std::string_view word) const;
  void limit_to_vocab(const std::vector<std::string>& in, std::vector<std::string>& out) const;
  void decompose(const std::string& s, bool is_final, std::vector<std::string>& out) const;
  bool in_vocab(const std::string& subword, bool is_final) const;
  std::vector<std::string> apply_chunks(std::string_view text, unsigned threads) const;
  friend void apply_bpe_file(const std::string&, const std::string&, const BpeApplier&, unsigned);

  struct MergeInfo {
    uint32_t rank;
    uint32_t merged;  // symbol id of left+right
  };
  std::deque<std::string> symbol_names_;                       // by id; deque keeps views valid
  std::unordered_map<std::string_view, uint32_t> symbol_ids_;  // every string named by a code
  std::unordered_map<uint64_t, MergeInfo> merges_;        // (left id << 32 | right id) -> merge
  std::unordered_map<std::string, std::pair<std::string, std::string>> split_of_;  // merged -> (left, right)
  BpeVocab vocab_;
};

// fastBPE's `applybpe OUTPUT INPUT CODES [VOCAB]`: reads INPUT, writes OUTPUT.
// Throws FormatError naming a file that cannot be read or written.
void apply_bpe_file(const std::string& output_path, const std::string& input_path, const BpeApplier& applier,
                    unsigned threads);

}  // namespace xlm::text
