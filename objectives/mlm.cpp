// See objectives/mlm.h.
#include "objectives/mlm.h"

#include "core/error.h"

namespace xlm::objectives {

namespace {
void apply_mask(LmBatch& batch, const MaskingOptions& options, text::SplitMix64& rng) {
  MaskedWords m = mask_words(batch.words, batch.lengths, options, rng);
  batch.words = m.words;
  batch.pred_index = m.pred_index;
  batch.targets = m.targets;
  batch.causal = false;
}
}  // namespace

LmBatch mlm_stream_batch(const text::StreamBatch& stream, int64_t lang_id, int64_t n_langs,
                         const MaskingOptions& options, text::SplitMix64& rng) {
  const Tensor& tokens = stream.tokens;  // (B, T)
  check_dtype(tokens, DType::i64, "mlm_stream_batch", "tokens");
  XLM_CHECK(tokens.dim() == 2, ShapeError, "mlm_stream_batch: tokens {} must be (B, T)", shape_str(tokens.shape()));
  const int64_t B = tokens.size(0), T = tokens.size(1);
  LmBatch out;
  out.words = tokens.to(Device::cpu());
  out.lengths = Tensor::full({B}, static_cast<double>(T), DType::i64);
  if (n_langs > 1) out.langs = Tensor::full({B, T}, static_cast<double>(lang_id), DType::i64);
  out.n_sentences = B;
  apply_mask(out, options, rng);
  return out;
}

LmBatch tlm_batch(const text::ParallelBatch& batch, const PairSides& sides, const MaskingOptions& options,
                  text::SplitMix64& rng) {
  LmBatch out = concat_pair(batch, sides);
  apply_mask(out, options, rng);
  return out;
}

}  // namespace xlm::objectives
