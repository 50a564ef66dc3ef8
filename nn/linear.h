// A fully connected layer as PyTorch's nn.Linear: weight (out, in) — the
// layout XLM's state_dict stores — and a bias (out). Initialised like
// PyTorch's default: weight and bias U(-1/sqrt(in), 1/sqrt(in)).
#pragma once

#include "nn/named_tensors.h"

#include <cstdint>
#include <string>

namespace xlm::nn {

struct Linear {
  Tensor weight;  // (out, in)
  Tensor bias;    // (out)

  // `name` is the XLM prefix ("attentions.0.q_lin"); it also picks the init stream.
  static Linear create(const std::string& name, int64_t in_features, int64_t out_features, uint64_t seed, DType dtype,
                       Device device);
  Tensor forward(const Tensor& x) const;  // (..., in) -> (..., out)
  // x W^T alone, for callers that fuse the bias add into their next op (bias_gelu).
  Tensor forward_no_bias(const Tensor& x) const;  // (..., in) -> (..., out)
  void collect(const std::string& name, NamedTensors& out) const;  // name.weight, name.bias
};

}  // namespace xlm::nn
