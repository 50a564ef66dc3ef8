// LayerNorm module (nn.LayerNorm): weight 1, bias 0, eps from the config
// (XLM uses 1e-12 everywhere).
#pragma once

#include "kernels/residual_layer_norm/residual_layer_norm.h"
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
  // LN(x + dropout(f)), times row_scale (...,) per row when given (the padding
  // mask), as one fused op (kernels/residual_layer_norm).
  Tensor forward_residual(const Tensor& x, const Tensor& f, const ResidualDropout& dropout,
                          const Tensor& row_scale = Tensor()) const;
  void collect(const std::string& name, NamedTensors& out) const;
};

}  // namespace xlm::nn
