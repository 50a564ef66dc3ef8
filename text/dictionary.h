// XLM's dictionary: the word <-> id map every model, binarized file and
// checkpoint agrees on. Ids are fixed by XLM (src/data/dictionary.py):
// <s>=0, </s>=1, <pad>=2, <unk>=3, <special0>..<special9>=4..13 (the MLM mask
// is <special1>=5), then the words of a fastBPE vocab file in file order
// (fastBPE sorts by decreasing count). Keeping these ids exact is what makes
// XLM's released models and our files interchangeable. The dictionary hash
// (FNV-1a over the id-ordered words) is stored in binarized files so that
// data indexed with one vocabulary is never fed to a model built on another.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace xlm::text {

constexpr int64_t kBosIndex = 0;
constexpr int64_t kEosIndex = 1;
constexpr int64_t kPadIndex = 2;
constexpr int64_t kUnkIndex = 3;
constexpr int64_t kSpecialWords = 10;      // <special0>..<special9>
constexpr int64_t kMaskIndex = 5;          // <special1>, XLM's mask_index
constexpr int64_t kFirstWordIndex = 14;    // 4 + kSpecialWords

// Counters filled by Dictionary::index_line (accumulated across calls).
struct IndexStats {
  int64_t words = 0;             // ids emitted (unknown words included)
  int64_t unknown = 0;           // of which <unk>
  int64_t specials_dropped = 0;  // special words (<s>, </s>, <pad>, <specialN>) found in text, dropped as XLM does
};

class Dictionary {
 public:
  // Reads a fastBPE vocab file ("word count" per line). max_vocab (-1 = all)
  // caps the total size including the 14 special words, as XLM's
  // --max_vocab does; min_count drops words seen fewer times. Duplicate
  // words, special words, and lines that are not "word count" throw
  // FormatError naming the file and line; max_vocab in [0, 14) throws ConfigError.
  static Dictionary from_vocab_file(const std::string& path, int64_t max_vocab = -1, int64_t min_count = 0);
  // Same, from a stream; `name` is used in error messages.
  static Dictionary from_vocab_stream(std::istream& in, const std::string& name, int64_t max_vocab = -1,
                                      int64_t min_count = 0);

  int64_t size() const { return static_cast<int64_t>(words_.size()); }
  const std::string& word(int64_t id) const;  // IndexError when out of range
  int64_t count(int64_t id) const;            // 0 for the special words
  // Id of `word`, or kUnkIndex when absent.
  int64_t index(std::string_view word) const;
  bool contains(std::string_view word) const;
  // 64-bit FNV-1a over the words in id order, each followed by '\n'.
  uint64_t hash() const { return hash_; }

  // Splits `line` on ASCII whitespace and appends the ids to `ids`
  // (no </s>). Unknown words become kUnkIndex; special words other than
  // <unk> are dropped, as XLM's index_data does (SpecialWords::drop), or kept
  // with their ids (SpecialWords::keep: model inputs written by hand, e.g. the
  // mask word <special1> of a fill-in query). Counts go to `stats`.
  enum class SpecialWords { drop, keep };
  void index_line(std::string_view line, std::vector<int64_t>& ids, IndexStats& stats,
                  SpecialWords specials = SpecialWords::drop) const;

 private:
  Dictionary() = default;
  void add(const std::string& word, int64_t count);
  void finish();

  std::vector<std::string> words_;  // (size) id -> word
  std::vector<int64_t> counts_;     // (size) id -> count
  std::unordered_map<std::string, int64_t> ids_;
  uint64_t hash_ = 0;
};

}  // namespace xlm::text
