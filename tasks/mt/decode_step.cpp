// See decode_step.h. decode_topk's log-softmax is fp64 from the logits as the
// device produced them, so greedy's argmax and beam search's top-k see the
// same ordering of candidates on every backend.
#include "tasks/mt/decode_step.h"

#include "core/error.h"
#include "kernels/decode_topk/decode_topk.h"

#include <algorithm>

namespace xlm::tasks {

int64_t check_generation_args(const nn::TransformerModel& decoder, const Tensor& src_enc, const Tensor& src_len,
                              int64_t tgt_lang_id, int64_t max_len, const char* fn) {
  const nn::TransformerConfig& c = decoder.config();
  XLM_CHECK(!decoder.training(), ConfigError, "{}: the decoder is in training mode (call set_training(false))", fn);
  XLM_CHECK(c.is_decoder, ConfigError, "{}: the model is not a decoder (is_decoder false)", fn);
  XLM_CHECK(src_enc.defined() && src_enc.dim() == 3 && src_enc.size(2) == c.emb_dim, ShapeError,
            "{}: src_enc must be (B, S, {}), got {}", fn, c.emb_dim, src_enc.defined() ? src_enc.describe() : "undefined");
  XLM_CHECK(src_len.defined() && src_len.dim() == 1 && src_len.size(0) == src_enc.size(0), ShapeError,
            "{}: src_len must be (B={}), got {}", fn, src_enc.size(0), src_len.defined() ? src_len.describe() : "undefined");
  check_dtype(src_len, DType::i64, fn, "src_len");
  XLM_CHECK(src_enc.device() == decoder.device() && src_len.device() == decoder.device(), DeviceError,
            "{}: src_enc/src_len must be on the decoder's device {}", fn, decoder.device().str());
  XLM_CHECK(!c.has_lang_embeddings() || (tgt_lang_id >= 0 && tgt_lang_id < c.n_langs), ConfigError,
            "{}: tgt_lang_id {} is outside the decoder's {} languages", fn, tgt_lang_id, c.n_langs);
  XLM_CHECK(max_len >= 2, ConfigError, "{}: max_len {} must be at least 2 (</s> ... </s>)", fn, max_len);
  return std::min(max_len, c.max_positions + 1);
}

DecodeStep::Best DecodeStep::best_words(const std::vector<int64_t>& tokens, const std::vector<int64_t>& lengths,
                                        int64_t k, const std::vector<double>& bias) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  const Device device = decoder.device();
  nn::ForwardArgs args;
  args.words = Tensor::from_vector(tokens, {n, 1}, device);   // (N, 1)
  args.lengths = Tensor::from_vector(lengths, {n}, device);   // (N)
  args.causal = true;
  if (decoder.config().has_lang_embeddings())
    args.langs = Tensor::full({n, 1}, static_cast<double>(tgt_lang_id), DType::i64, device);
  args.src_enc = src_enc;
  args.src_len = src_len;
  args.cache = &cache;
  const Tensor hidden = decoder.forward(args);                                           // (N, 1, D)
  const Tensor logits = decoder.predict(hidden.reshape({n, decoder.config().emb_dim}));  // (N, V)
  const Tensor row_bias = bias.empty() ? Tensor() : Tensor::from_vector(bias, {n}, device);  // (N)
  DecodeTopKHost top = decode_topk_to_host(decode_topk(logits, row_bias, k));  // one transfer
  return {std::move(top.values), std::move(top.indices)};
}

}  // namespace xlm::tasks
