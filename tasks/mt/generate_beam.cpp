// Beam search as XLM's TransformerModel.generate_beam: each sentence keeps
// beam_size running rows (row s*K + j), all but the first starting at -1e9
// so the first step expands one beam. Per step, the 2K best (beam, word)
// extensions by summed log-probability are scanned in order: one ending in
// </s> (or any, at the last step) becomes a finished hypothesis, the others
// fill the K new beams; the cache and the token history are then reordered
// by the chosen source beams. A sentence is done when its BeamHypotheses say
// so; the search stops when every sentence is done or at max_len.
// Unlike XLM, a done sentence's placeholder rows point at its own first row
// (XLM uses row 0); their outputs are ignored either way.
#include "core/autograd.h"
#include "core/error.h"
#include "kernels/decode_topk/decode_topk.h"
#include "kernels/gather_rows/gather_rows.h"
#include "tasks/mt/beam_hypotheses.h"
#include "tasks/mt/decode_step.h"
#include "tasks/mt/generate.h"

#include <algorithm>

namespace xlm::tasks {

namespace {

// Each row of x (B, ...) repeated K times in place: (B*K, ...).
Tensor repeat_rows(const Tensor& x, int64_t K) {
  const int64_t B = x.size(0);
  std::vector<int64_t> index(static_cast<size_t>(B * K));  // (B*K)
  for (int64_t i = 0; i < B * K; ++i) index[static_cast<size_t>(i)] = i / K;
  const Tensor idx = Tensor::from_vector(index, {B * K}, x.device());
  if (!is_floating(x.dtype())) {  // src_len: small, do it on the host
    const std::vector<int64_t> v = x.to_vector<int64_t>();
    std::vector<int64_t> out(index.size());
    for (size_t i = 0; i < index.size(); ++i) out[i] = v[static_cast<size_t>(index[i])];
    return Tensor::from_vector(out, {B * K}, x.device());
  }
  Shape shape = x.shape();
  const Tensor flat = x.reshape({B, x.numel() / B});  // (B, S*D)
  shape[0] = B * K;
  return gather_rows(flat, idx).reshape(shape);
}

struct Candidate {
  double value;    // summed log-probability of the extended beam
  int64_t word;
  int64_t source;  // row (s*K + beam) it extends
};

}  // namespace

Generated generate_beam(nn::TransformerModel& decoder, const Tensor& src_enc, const Tensor& src_len,
                        int64_t tgt_lang_id, int64_t max_len, const GenerationOptions& options) {
  max_len = check_generation_args(decoder, src_enc, src_len, tgt_lang_id, max_len, "generate_beam");
  XLM_CHECK(options.beam_size >= 1, ConfigError, "generate_beam: beam_size {} must be at least 1", options.beam_size);
  autograd::NoGradGuard no_grad;
  const nn::TransformerConfig& c = decoder.config();
  const int64_t B = src_enc.size(0), K = options.beam_size, V = c.n_words, N = B * K;
  const size_t nb = static_cast<size_t>(B), nk = static_cast<size_t>(K);

  std::vector<BeamHypotheses> hyps;
  hyps.reserve(nb);
  for (size_t s = 0; s < nb; ++s) hyps.emplace_back(K, max_len, options.length_penalty, options.early_stopping);
  std::vector<std::vector<int64_t>> beams(static_cast<size_t>(N), std::vector<int64_t>{c.eos_index});  // (N, cur_len)
  std::vector<double> beam_scores(static_cast<size_t>(N), 0.0);  // (N)
  for (size_t s = 0; s < nb; ++s)
    for (size_t j = 1; j < nk; ++j) beam_scores[s * nk + j] = -1e9;
  std::vector<bool> done(nb, false);
  std::vector<int64_t> last(static_cast<size_t>(N), c.eos_index);  // (N) token fed at this step

  nn::DecoderCache cache;
  DecodeStep step{decoder, cache, repeat_rows(src_enc, K), repeat_rows(src_len, K), tgt_lang_id};
  // Per row, its best k_row words (values already include the row's beam
  // score); a sentence's best 2K extensions over all K * V are the best 2K of
  // the union of its rows' (decode_topk.h).
  const int64_t k_row = std::min<int64_t>(2 * K, V);
  const int64_t n_cand = std::min<int64_t>(2 * K, K * V);
  std::vector<Candidate> pool(static_cast<size_t>(K * k_row));  // (K * k_row) one sentence's candidates
  std::vector<Candidate> next;  // (N) the new beams
  next.reserve(static_cast<size_t>(N));

  int64_t cur_len = 1;
  while (cur_len < max_len) {
    const DecodeStep::Best best_words =
        step.best_words(last, std::vector<int64_t>(static_cast<size_t>(N), cur_len), k_row, beam_scores);  // (N, k_row)
    next.clear();
    for (size_t s = 0; s < nb; ++s) {
      const int64_t first_row = static_cast<int64_t>(s * nk);
      for (int64_t j = 0; j < K; ++j)
        for (int64_t i = 0; i < k_row; ++i) {
          const size_t at = static_cast<size_t>((first_row + j) * k_row + i);
          pool[static_cast<size_t>(j * k_row + i)] = Candidate{best_words.values[at], best_words.words[at], first_row + j};
        }
      // The 2K best extensions over (beam, word), best first; ties by the lower
      // flat index (beam * V + word), NaN last.
      auto flat = [&](const Candidate& x) { return (x.source - first_row) * V + x.word; };
      std::partial_sort(pool.begin(), pool.begin() + n_cand, pool.end(), [&](const Candidate& a, const Candidate& b) {
        return decode_topk_before(a.value, flat(a), b.value, flat(b));
      });
      done[s] = done[s] || hyps[s].is_done(pool[0].value);
      const size_t before = next.size();
      if (!done[s]) {
        for (int64_t i = 0; i < n_cand; ++i) {
          const Candidate& cand = pool[static_cast<size_t>(i)];
          if (cand.word == c.eos_index || cur_len + 1 == max_len) {
            hyps[s].add(beams[static_cast<size_t>(cand.source)], cand.value);
          } else {
            next.push_back(cand);
          }
          if (next.size() - before == nk) break;
        }
      }
      if (next.size() == before)  // done, or the last step: placeholders
        for (size_t j = 0; j < nk; ++j) next.push_back(Candidate{0.0, c.pad_index, first_row});
      XLM_CHECK(next.size() - before == nk, ConfigError,
                "generate_beam: only {} continuations for sentence {} (n_words {} too small for beam_size {})",
                next.size() - before, s, V, K);
    }

    std::vector<int64_t> source(static_cast<size_t>(N));  // (N) beam each new row extends
    std::vector<std::vector<int64_t>> new_beams(static_cast<size_t>(N));
    for (size_t r = 0; r < static_cast<size_t>(N); ++r) {
      source[r] = next[r].source;
      new_beams[r] = beams[static_cast<size_t>(next[r].source)];
      new_beams[r].push_back(next[r].word);
      beam_scores[r] = next[r].value;
      last[r] = next[r].word;
    }
    beams.swap(new_beams);
    cache.reorder(Tensor::from_vector(source, {N}, decoder.device()));
    ++cur_len;
    if (std::all_of(done.begin(), done.end(), [](bool d) { return d; })) break;
  }

  std::vector<int64_t> lengths(nb);  // (B)
  std::vector<double> scores(nb);    // (B)
  std::vector<const std::vector<int64_t>*> best(nb);
  int64_t L = 0;
  for (size_t s = 0; s < nb; ++s) {
    const BeamHypotheses::Hypothesis& h = hyps[s].best();
    best[s] = &h.tokens;
    lengths[s] = static_cast<int64_t>(h.tokens.size()) + 1;  // + the closing </s>
    scores[s] = h.sum_log_probs;
    L = std::max(L, lengths[s]);
  }
  std::vector<int64_t> words(nb * static_cast<size_t>(L), c.pad_index);  // (B, L)
  for (size_t s = 0; s < nb; ++s) {
    auto dst = words.begin() + static_cast<int64_t>(s) * L;
    std::copy(best[s]->begin(), best[s]->end(), dst);
    dst[lengths[s] - 1] = c.eos_index;
  }
  Generated out;
  out.words = Tensor::from_vector(words, {B, L});
  out.lengths = Tensor::from_vector(lengths, {B});
  out.scores = Tensor::from_vector(scores, {B});
  return out;
}

}  // namespace xlm::tasks
