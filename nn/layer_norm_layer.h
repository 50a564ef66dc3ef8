// LayerNorm module (nn.LayerNorm): weight 1, bias 0, eps from the config
// (XLM uses 1e-12 everywhere).
#pragma once

#include "nn/named_tensors.h"

#include <cstdint>
#include <string>

namespace xlm::nn {

struct LayerNormLayer {
  Tensor weight;  // (C)
  Tensor bias;    // (C)
  double eps = 1e-12;

  static LayerNormLayer create(int64_t dim, double eps, DType dtype, Device device);
  Tensor forward(const Tensor& x) const;  // (..., C) -> (..., C)
  void collect(const std::string& name, NamedTensors& out) const;
};

}  // namespace xlm::nn
