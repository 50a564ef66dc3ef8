// Dropout front: validates p, handles the two degenerate rates without
// drawing, dispatches, and records a backward that re-draws the mask from
// (seed, offset) instead of saving it.
#include "kernels/dropout/dropout.h"

#include "core/autograd.h"
#include "kernels/backend.h"

#include <cmath>

namespace xlm {

namespace {

void check_rate(double p, const char* op) {
  if (!(p >= 0.0 && p <= 1.0))
    throw ConfigError(fmt::format("{}: dropout probability p must be in [0, 1], got {}", op, p));
}

// The masking shared by forward and backward (the backward is the same linear map).
Tensor apply_dropout(const Tensor& x, double p, uint64_t seed, uint64_t offset, const char* op) {
  check_floating(x, op, "x");
  check_rate(p, op);
  if (p == 0.0) return x.detach().clone();
  if (p == 1.0) return Tensor::zeros(x.shape(), x.dtype(), x.device());
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  XLM_CALL_BACKEND(x.device(), dropout_forward, x, dropout_threshold(p), 1.0 / (1.0 - p), seed, offset, y);
  return y;
}

}  // namespace

float dropout_threshold(double p) {
  float t = static_cast<float>(p);
  if (static_cast<double>(t) > p) t = std::nextafter(t, -INFINITY);
  return t;
}

Tensor dropout(const Tensor& x, double p, uint64_t seed, uint64_t offset) {
  Tensor y = apply_dropout(x, p, seed, offset, "dropout");
  autograd::record(y, "dropout", {x}, [p, seed, offset](const Tensor& gy) {
    return std::vector<Tensor>{dropout_backward(gy, p, seed, offset)};
  });
  return y;
}

Tensor dropout_backward(const Tensor& grad_y, double p, uint64_t seed, uint64_t offset) {
  return apply_dropout(grad_y, p, seed, offset, "dropout_backward");
}

Tensor dropout_mask(const Shape& shape, double p, uint64_t seed, uint64_t offset, Device device) {
  check_rate(p, "dropout_mask");
  Tensor mask = Tensor::empty(shape, DType::u8, device);
  XLM_CALL_BACKEND(device, dropout_mask, dropout_threshold(p), seed, offset, mask);
  return mask;
}

}  // namespace xlm
