// Cross-lingual word embeddings read straight from a model's embedding table
// (XLM section "Unsupervised cross-lingual word embeddings"): a shared BPE
// vocabulary gives both languages rows of one table, so word translation is
// nearest-neighbour retrieval in that table. Only words that are ONE token
// of the vocabulary have a row of their own: a vocab entry without the `@@`
// continuation mark is a word fastBPE leaves unsplit wherever it occurs
// (segmentation is deterministic per word), so a dictionary pair is scored
// only when both words are such entries. Everything here is plain arithmetic
// on a (V, D) float table, so the metrics are testable on hand-built tables.
#pragma once

#include "text/dictionary.h"

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace xlm::tasks {

struct DictionaryPair {
  std::string src, tgt;
};

// "src<TAB>tgt" per line (the files `xlm data debian --sources dict` writes);
// FormatError naming file and line for a line without exactly one tab.
std::vector<DictionaryPair> read_bilingual_dictionary(const std::string& path);
// The same from a stream (fuzzing, tests); `name` labels errors.
std::vector<DictionaryPair> read_bilingual_dictionary(std::istream& in, const std::string& name);

struct WordTranslationScores {
  int64_t dictionary_pairs = 0;  // pairs given
  int64_t covered_pairs = 0;     // both words single tokens, different strings: the scored pairs
  int64_t identical_pairs = 0;   // both single tokens but one string, hence one row (not scored)
  int64_t queries = 0;           // distinct source words of the covered pairs
  int64_t candidates = 0;        // distinct target words of the covered pairs
  double p_at_1 = 0, p_at_5 = 0; // percent of queries with a gold translation in the top 1 / 5
  double mean_cos_pairs = 0, mean_l2_pairs = 0;    // over the covered pairs
  double mean_cos_random = 0, mean_l2_random = 0;  // over random_pairs
  std::vector<DictionaryPair> random_pairs;        // covered_pairs draws (query, candidate), none a gold pair
  double coverage() const {      // percent of the dictionary's pairs that were scored
    return dictionary_pairs ? 100.0 * static_cast<double>(covered_pairs) / static_cast<double>(dictionary_pairs) : 0;
  }
};

// embeddings (vocab.size(), dim) row-major. Retrieval of query q ranks every
// candidate except q's own token (in a shared vocabulary a source word that
// is also spelled as a target word would otherwise always find itself) by
// cosine, ties by first appearance in `pairs`; a hit at k when any of q's
// gold translations is among the first k. Random pairs draw a query and a
// candidate uniformly (SplitMix64(seed)), redrawing gold pairs and q itself.
// ConfigError when the table's size does not match the vocabulary or no pair
// is covered.
WordTranslationScores evaluate_word_translation(const std::vector<float>& embeddings, int64_t dim,
                                                const text::Dictionary& vocab, const std::vector<DictionaryPair>& pairs,
                                                uint64_t seed = 0);

}  // namespace xlm::tasks
