// Masked softmax front: argument checks (including the key lengths' range,
// read on the host so a bad batch fails with the entry it names instead of
// reading out of bounds on the device), backend dispatch, autograd record.
// The backward needs only the output y (masked entries are exact zeros), so
// the closure saves y.detach() and nothing else.
#include "kernels/masked_softmax/masked_softmax.h"

#include "core/autograd.h"
#include "kernels/backend.h"

#include <cmath>

namespace xlm {

namespace {

void check_key_lengths(const Tensor& scores, const Tensor& key_lengths) {
  const char* op = "masked_softmax";
  XLM_CHECK(key_lengths.dtype() == DType::i32 || key_lengths.dtype() == DType::i64, DTypeError,
            "{}: 'key_lengths' must be i32 or i64, got {}", op, key_lengths.describe());
  check_shape(key_lengths, {scores.size(0)}, op, "key_lengths");
  check_same_device(scores, key_lengths, op);
  const int64_t tk = scores.size(-1);
  const std::vector<double> lengths = key_lengths.to_doubles();
  for (size_t b = 0; b < lengths.size(); ++b) {
    XLM_CHECK(lengths[b] >= 0 && lengths[b] <= static_cast<double>(tk), IndexError,
              "{}: key_lengths[{}] = {} is outside [0, {}] (Tk of scores {})", op, b,
              static_cast<int64_t>(lengths[b]), tk, scores.describe());
  }
}

}  // namespace

Tensor masked_softmax(const Tensor& scores, const Tensor& key_lengths, bool causal, double scale) {
  check_floating(scores, "masked_softmax", "scores");
  check_rank(scores, 3, "masked_softmax", "scores");
  XLM_CHECK(std::isfinite(scale), Error, "masked_softmax: scale must be finite, got {}", scale);
  if (key_lengths.defined()) check_key_lengths(scores, key_lengths);
  Tensor y = Tensor::empty(scores.shape(), scores.dtype(), scores.device());
  XLM_CALL_BACKEND(scores.device(), masked_softmax_forward, scores, key_lengths, causal, scale, y);
  autograd::record(y, "masked_softmax", {scores}, [y = y.detach(), scale](const Tensor& gy) {
    return std::vector<Tensor>{masked_softmax_backward(y, gy, scale)};
  });
  return y;
}

Tensor masked_softmax_backward(const Tensor& y, const Tensor& grad_y, double scale) {
  check_floating(y, "masked_softmax_backward", "y");
  check_rank(y, 3, "masked_softmax_backward", "y");
  check_shape(grad_y, y.shape(), "masked_softmax_backward", "grad_y");
  check_same_dtype(y, grad_y, "masked_softmax_backward");
  check_same_device(y, grad_y, "masked_softmax_backward");
  Tensor gs = Tensor::empty(y.shape(), y.dtype(), y.device());
  XLM_CALL_BACKEND(y.device(), masked_softmax_backward, y, grad_y, scale, gs);
  return gs;
}

}  // namespace xlm
