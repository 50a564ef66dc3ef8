// XLM's TransformerFFN: lin1 (dim -> 4 dim), GELU (exact erf) or ReLU,
// lin2 (4 dim -> dim), dropout on the output.
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
  Tensor forward(const Tensor& x, const DropoutContext& ctx) const;  // (..., D) -> (..., D)
  void collect(const std::string& name, NamedTensors& out) const;    // name.lin1.*, name.lin2.*

 private:
  double dropout_ = 0;
  bool gelu_ = true;
  Linear lin1_, lin2_;
};

}  // namespace xlm::nn
