// XLM's TransformerFFN: lin1 (dim -> 4 dim), GELU (exact erf) or ReLU,
// lin2 (4 dim -> dim), dropout on the output. The fused path runs lin1's
// bias add inside bias_gelu, and leaves the output dropout to the caller's
// residual_layer_norm (forward_undropped), which draws the same mask.
#pragma once

#include "nn/dropout_context.h"
#include "nn/linear.h"

#include <cstdint>
#include <string>

namespace xlm::nn {

class TransformerFFN {
 public:
  TransformerFFN() = default;
  // `name` is the XLM prefix, "ffns.3".
  TransformerFFN(const std::string& name, int64_t dim, int64_t hidden_dim, double dropout, bool gelu_activation,
                 uint64_t seed, DType dtype, Device device);
  // The unfused composition: lin1 + bias, activation, lin2, dropout.
  Tensor forward(const Tensor& x, const DropoutContext& ctx) const;  // (..., D) -> (..., D)
  // lin2(act(lin1(x))) before the output dropout; with `fused` GELU runs as
  // bias_gelu. The caller applies dropout() (residual_layer_norm does).
  Tensor forward_undropped(const Tensor& x, bool fused) const;  // (..., D) -> (..., D)
  double dropout() const { return dropout_; }
  void collect(const std::string& name, NamedTensors& out) const;    // name.lin1.*, name.lin2.*

 private:
  double dropout_ = 0;
  bool gelu_ = true;
  Linear lin1_, lin2_;
};

}  // namespace xlm::nn
