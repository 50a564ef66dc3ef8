// Corpus BLEU with sacreBLEU 2.x's numbers, for `xlm bleu` and for validation BLEU
// during MT training (--eval_bleu). Every step mirrors sacreBLEU (metrics/bleu.py,
// tokenizers/tokenizer_13a.py) rather than multi-bleu.perl or NLTK, because reported
// MT scores are sacreBLEU's: optional Python str.lower(), rstrip, the 13a (mteval-v13a)
// tokenizer or none, whitespace split as Python's str.split(), clipped n-gram counts
// against the per-n-gram maximum over references, closest reference length (ties to
// the shorter), brevity penalty, and 'exp' smoothing. Goldens from sacreBLEU itself
// live in tests/fixtures/bleu (scripts/reference/bleu_goldens.py).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace xlm::tasks {

struct BleuOptions {
  std::string tokenize = "13a";  // "13a" or "none"
  bool lowercase = false;        // sacreBLEU -lc
};

struct BleuScore {
  double score = 0.0;                    // 0..100
  std::array<double, 4> precisions{};    // percent, smoothed as sacreBLEU reports them
  double bp = 1.0;                       // brevity penalty
  double ratio = 0.0;                    // hyp_len / ref_len (0 when ref_len == 0)
  int64_t hyp_len = 0, ref_len = 0;      // tokens; ref_len sums the closest reference per line
  std::array<int64_t, 4> correct{};      // clipped matches per n-gram order
  std::array<int64_t, 4> total{};        // hypothesis n-grams per order
  // sacreBLEU's line, str(BLEUScore): "BLEU = 34.25 66.7/42.9/30.0/20.0 (BP = 1.000 ratio = 1.000
  // hyp_len = 7 ref_len = 7)". `width` = decimals of the score (sacreBLEU's CLI -w, whose
  // default in text mode is 1; its Python API prints 2).
  std::string format(int width = 2) const;
};

// hyps[i] is scored against refs[k][i] for every reference set k (at least one;
// each the same length as hyps). Lines are UTF-8; invalid UTF-8 throws FormatError
// naming the line. Unknown options.tokenize throws ConfigError.
BleuScore corpus_bleu(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                      const BleuOptions& options);

// sacreBLEU's '13a' tokenizer on one UTF-8 line (no lowercasing, no rstrip): tokens
// joined by single spaces. Throws FormatError on invalid UTF-8.
std::string tokenize_13a(const std::string& line);

}  // namespace xlm::tasks
