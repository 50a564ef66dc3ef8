// See objectives/mt.h. The layout is built row by row on the host (exactness
// over speed); the forward passes run on the models' device.
#include "objectives/mt.h"

#include "core/autograd.h"
#include "core/error.h"
#include "core/host_reads.h"
#include "kernels/cross_entropy/cross_entropy.h"
#include "kernels/gather_rows/gather_rows.h"

#include <vector>

namespace xlm::objectives {

namespace {

void check_side(const Tensor& x, const Tensor& len, const char* name) {
  check_dtype(x, DType::i64, "mt_batch", name);
  check_dtype(len, DType::i64, "mt_batch", name);
  XLM_CHECK(x.dim() == 2 && len.dim() == 1 && len.size(0) == x.size(0), ShapeError,
            "mt_batch: {} is {} with lengths {}, expected (B, L) and (B)", name, shape_str(x.shape()),
            shape_str(len.shape()));
  for (int64_t l : host_values<int64_t>(len))  // a host batch (BT: generated on the host)
    XLM_CHECK(l >= 2 && l <= x.size(1), ShapeError, "mt_batch: {} has a length {} outside [2, {}]", name, l,
              x.size(1));
}

Tensor filled(const Shape& shape, int64_t value) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return Tensor::from_vector(std::vector<int64_t>(static_cast<size_t>(n), value), shape);
}

}  // namespace

MtBatch mt_batch(const Tensor& x1, const Tensor& len1, int64_t lang1, const Tensor& x2, const Tensor& len2,
                 int64_t lang2) {
  check_side(x1, len1, "x1");
  check_side(x2, len2, "x2");
  XLM_CHECK(x1.size(0) == x2.size(0), ShapeError, "mt_batch: x1 has {} rows but x2 has {}", x1.size(0), x2.size(0));
  MtBatch out;
  out.x1 = x1.to(Device::cpu());
  out.len1 = len1.to(Device::cpu());
  out.x2 = x2.to(Device::cpu());
  out.len2 = len2.to(Device::cpu());
  out.langs1 = filled(x1.shape(), lang1);
  out.langs2 = filled(x2.shape(), lang2);
  const int64_t B = x2.size(0), T = x2.size(1);
  const std::vector<int64_t> words = host_values<int64_t>(out.x2);      // (B*T), on the host now
  const std::vector<int64_t> lengths = host_values<int64_t>(out.len2);  // (B)
  std::vector<int64_t> index, targets;
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t t = 0; t + 1 < lengths[static_cast<size_t>(b)]; ++t) {
      index.push_back(b * T + t);
      targets.push_back(words[static_cast<size_t>(b * T + t + 1)]);
    }
  }
  const auto N = static_cast<int64_t>(index.size());
  out.pred_index = Tensor::from_vector(index, {N});
  out.targets = Tensor::from_vector(targets, {N});
  out.n_sentences = B;
  return out;
}

MtBatch to_device(const MtBatch& b, Device device) {
  MtBatch out = b;
  out.x1 = to_device_if_defined(b.x1, device);
  out.len1 = to_device_if_defined(b.len1, device);
  out.langs1 = to_device_if_defined(b.langs1, device);
  out.x2 = to_device_if_defined(b.x2, device);
  out.len2 = to_device_if_defined(b.len2, device);
  out.langs2 = to_device_if_defined(b.langs2, device);
  out.pred_index = to_device_if_defined(b.pred_index, device);
  out.targets = to_device_if_defined(b.targets, device);
  return out;
}

Tensor mt_logits(nn::TransformerModel& encoder, nn::TransformerModel& decoder, const MtBatch& host_batch) {
  XLM_CHECK(decoder.config().is_decoder, ConfigError, "mt_logits: the decoder model has is_decoder false");
  const MtBatch batch = to_device(host_batch, decoder.device());
  nn::ForwardArgs enc;
  enc.words = batch.x1;
  enc.lengths = batch.len1;
  enc.causal = false;
  enc.langs = batch.langs1;
  const Tensor src_enc = encoder.forward(enc);  // (B, S, D)
  nn::ForwardArgs dec;
  dec.words = batch.x2;
  dec.lengths = batch.len2;
  dec.causal = true;
  dec.langs = batch.langs2;
  dec.src_enc = src_enc;
  dec.src_len = batch.len1;
  const Tensor hidden = decoder.forward(dec);  // (B, T, D)
  const int64_t D = hidden.size(2);
  const Tensor rows = gather_rows(hidden.reshape({-1, D}), batch.pred_index);  // (N, D)
  return decoder.predict(rows);                                               // (N, n_words)
}

Tensor mt_loss(nn::TransformerModel& encoder, nn::TransformerModel& decoder, const MtBatch& batch) {
  const Tensor logits = mt_logits(encoder, decoder, batch);  // (N, V)
  // The host batch's targets are scanned (range, count), not a copy back from the device.
  return cross_entropy(logits, batch.targets.to(logits.device()), batch.targets.to(Device::cpu()));
}

LmScore score_mt(nn::TransformerModel& encoder, nn::TransformerModel& decoder, const MtBatch& batch) {
  autograd::NoGradGuard no_grad;
  return score_logits(mt_logits(encoder, decoder, batch), batch.targets);
}

}  // namespace xlm::objectives
