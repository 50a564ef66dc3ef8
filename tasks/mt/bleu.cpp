// See tasks/mt/bleu.h. Tokens are interned to ids per call and n-grams are keyed by
// a fixed (n, 4 ids) array, so counting needs no per-n-gram string building. The
// final arithmetic is written in sacreBLEU's operation order (compute_bleu in
// metrics/bleu.py: 100.*c/t, 100./(2^k*t), a left-to-right sum of logs with
// log(0) floored to -9999999999, / 4, exp, * bp) so scores agree to the last bits.
#include "tasks/mt/bleu.h"

#include "core/error.h"
#include "tasks/mt/bleu_tokenizer.h"
#include "tasks/mt/python_lower.h"
#include "text/utf8.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <unordered_map>

namespace xlm::tasks {

namespace {

constexpr int kMaxOrder = 4;

struct NgramKey {
  std::array<int32_t, kMaxOrder> ids{};  // unused slots stay -1
  bool operator==(const NgramKey& o) const { return ids == o.ids; }
};

struct NgramHash {
  size_t operator()(const NgramKey& k) const {
    uint64_t h = 1469598103934665603ull;  // FNV-1a over the four ids
    for (const int32_t id : k.ids) {
      h ^= static_cast<uint32_t>(id);
      h *= 1099511628211ull;
    }
    return static_cast<size_t>(h);
  }
};

using NgramCounts = std::unordered_map<NgramKey, int64_t, NgramHash>;

class TokenInterner {
 public:
  std::vector<int32_t> intern(const std::vector<std::u32string>& tokens) {
    std::vector<int32_t> ids;
    ids.reserve(tokens.size());
    for (const auto& t : tokens) {
      const auto it = ids_.try_emplace(t, static_cast<int32_t>(ids_.size())).first;
      ids.push_back(it->second);
    }
    return ids;
  }

 private:
  std::unordered_map<std::u32string, int32_t> ids_;
};

NgramCounts count_ngrams(const std::vector<int32_t>& ids) {
  NgramCounts counts;
  const int64_t len = static_cast<int64_t>(ids.size());
  for (int n = 1; n <= kMaxOrder; ++n) {
    for (int64_t i = 0; i + n <= len; ++i) {
      NgramKey key;
      key.ids.fill(-1);
      for (int j = 0; j < n; ++j) key.ids[j] = ids[i + j];
      ++counts[key];
    }
  }
  return counts;
}

int order_of(const NgramKey& k) {
  int n = 0;
  while (n < kMaxOrder && k.ids[n] >= 0) ++n;
  return n;
}

// _preprocess_segment: lowercase (optional), rstrip, tokenize; then str.split.
std::vector<std::u32string> preprocess(const std::string& line, const BleuOptions& options, const char* what,
                                       size_t index) {
  const size_t bad = text::find_invalid_utf8(line);
  if (bad != std::string::npos)
    throw FormatError(fmt::format("bleu: {} {}: invalid UTF-8 at byte {}", what, index + 1, bad));
  std::u32string chars = text::utf8_decode(line);
  if (options.lowercase) chars = python_lower(chars);
  std::u32string_view trimmed = bleu_detail::python_rstrip(chars);
  if (options.tokenize == "13a") return bleu_detail::python_split(bleu_detail::tokenize_13a(trimmed));
  return bleu_detail::python_split(trimmed);
}

// sacreBLEU _get_closest_ref_len: smallest |hyp - ref|, ties to the shorter reference.
int64_t closest_ref_len(int64_t hyp_len, const std::vector<int64_t>& ref_lens) {
  int64_t best_diff = -1, best_len = -1;
  for (const int64_t len : ref_lens) {
    const int64_t diff = std::llabs(hyp_len - len);
    if (best_diff == -1 || diff < best_diff) {
      best_diff = diff;
      best_len = len;
    } else if (diff == best_diff && len < best_len) {
      best_len = len;
    }
  }
  return best_len;
}

double floored_log(double p) { return p == 0.0 ? -9999999999.0 : std::log(p); }

}  // namespace

std::string BleuScore::format(int width) const {
  return fmt::format("BLEU = {:.{}f} {:.1f}/{:.1f}/{:.1f}/{:.1f} (BP = {:.3f} ratio = {:.3f} hyp_len = {} ref_len = {})",
                     score, width, precisions[0], precisions[1], precisions[2], precisions[3], bp, ratio, hyp_len,
                     ref_len);
}

std::string tokenize_13a(const std::string& line) {
  const size_t bad = text::find_invalid_utf8(line);
  if (bad != std::string::npos) throw FormatError(fmt::format("tokenize_13a: invalid UTF-8 at byte {}", bad));
  return text::utf8_encode(bleu_detail::tokenize_13a(text::utf8_decode(line)));
}

BleuScore corpus_bleu(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                      const BleuOptions& options) {
  if (options.tokenize != "13a" && options.tokenize != "none")
    throw ConfigError(fmt::format("bleu: --tokenize '{}' is not supported (expected 13a or none)", options.tokenize));
  if (refs.empty()) throw ConfigError("bleu: at least one reference set is required");
  for (size_t k = 0; k < refs.size(); ++k) {
    if (refs[k].size() != hyps.size())
      throw ShapeError(fmt::format("bleu: reference set {} has {} lines but there are {} hypotheses", k + 1,
                                   refs[k].size(), hyps.size()));
  }

  BleuScore s;
  TokenInterner interner;
  for (size_t i = 0; i < hyps.size(); ++i) {
    // _extract_reference_info: per-n-gram maximum count over references, and each length.
    NgramCounts ref_max;
    std::vector<int64_t> ref_lens;
    for (size_t k = 0; k < refs.size(); ++k) {
      const std::vector<int32_t> ids = interner.intern(preprocess(refs[k][i], options, "reference line", i));
      ref_lens.push_back(static_cast<int64_t>(ids.size()));
      for (const auto& [key, count] : count_ngrams(ids)) {
        int64_t& slot = ref_max[key];
        slot = std::max(slot, count);
      }
    }
    // _compute_segment_statistics: clipped matches against that maximum.
    const std::vector<int32_t> hyp_ids = interner.intern(preprocess(hyps[i], options, "hypothesis line", i));
    const int64_t hyp_len = static_cast<int64_t>(hyp_ids.size());
    s.hyp_len += hyp_len;
    s.ref_len += closest_ref_len(hyp_len, ref_lens);
    for (const auto& [key, count] : count_ngrams(hyp_ids)) {
      const int n = order_of(key) - 1;
      s.total[n] += count;
      const auto it = ref_max.find(key);
      if (it != ref_max.end()) s.correct[n] += std::min(count, it->second);
    }
  }

  // compute_bleu with smooth_method='exp', effective_order=False.
  s.ratio = s.ref_len != 0 ? static_cast<double>(s.hyp_len) / static_cast<double>(s.ref_len) : 0.0;
  s.bp = 1.0;
  if (s.hyp_len < s.ref_len)
    s.bp = s.hyp_len > 0 ? std::exp(1.0 - static_cast<double>(s.ref_len) / static_cast<double>(s.hyp_len)) : 0.0;
  s.precisions.fill(0.0);
  if (std::all_of(s.correct.begin(), s.correct.end(), [](int64_t c) { return c == 0; })) {
    s.score = 0.0;
    return s;
  }
  double smooth = 1.0;
  for (int n = 0; n < kMaxOrder; ++n) {
    if (s.total[n] == 0) break;  // later orders keep precision 0 (log floored below)
    if (s.correct[n] == 0) {
      smooth *= 2.0;
      s.precisions[n] = 100.0 / (smooth * static_cast<double>(s.total[n]));
    } else {
      s.precisions[n] = 100.0 * static_cast<double>(s.correct[n]) / static_cast<double>(s.total[n]);
    }
  }
  double log_sum = 0.0;
  for (const double p : s.precisions) log_sum += floored_log(p);
  s.score = s.bp * std::exp(log_sum / kMaxOrder);
  return s;
}

}  // namespace xlm::tasks
