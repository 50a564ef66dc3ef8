// See objectives/clm.h.
#include "objectives/clm.h"

#include "core/error.h"
#include "core/host_reads.h"

#include <vector>

namespace xlm::objectives {

void set_next_word_targets(LmBatch& batch) {
  const int64_t B = batch.words.size(0), T = batch.words.size(1);
  const std::vector<int64_t> w = host_values<int64_t>(batch.words);      // (B*T), a host batch
  const std::vector<int64_t> len = host_values<int64_t>(batch.lengths);  // (B)
  std::vector<int64_t> index, targets;                                   // (N)
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t t = 0; t + 1 < len[static_cast<size_t>(b)]; ++t) {
      index.push_back(b * T + t);
      targets.push_back(w[static_cast<size_t>(b * T + t + 1)]);
    }
  }
  const auto n = static_cast<int64_t>(index.size());
  batch.pred_index = Tensor::from_vector(index, {n});
  batch.targets = Tensor::from_vector(targets, {n});
}

LmBatch clm_stream_batch(const text::StreamBatch& stream, int64_t lang_id, int64_t n_langs) {
  const Tensor& tokens = stream.tokens;  // (B, T)
  check_dtype(tokens, DType::i64, "clm_stream_batch", "tokens");
  XLM_CHECK(tokens.dim() == 2 && tokens.size(1) >= 2, ShapeError,
            "clm_stream_batch: tokens {} must be (B, T) with T >= 2 (bptt of at least 2 to predict anything)",
            shape_str(tokens.shape()));
  const int64_t B = tokens.size(0), T = tokens.size(1);
  LmBatch out;
  out.words = tokens.to(Device::cpu());
  out.lengths = Tensor::full({B}, static_cast<double>(T), DType::i64);
  if (n_langs > 1) out.langs = Tensor::full({B, T}, static_cast<double>(lang_id), DType::i64);
  out.causal = true;
  out.n_sentences = B;
  set_next_word_targets(out);
  return out;
}

LmBatch clm_pair_batch(const text::ParallelBatch& batch, const PairSides& sides) {
  LmBatch out = concat_pair(batch, sides);
  out.causal = true;
  set_next_word_targets(out);
  return out;
}

}  // namespace xlm::objectives
