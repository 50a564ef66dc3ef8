// Linear forward as the fused linear op (kernels/linear: the bias added by
// the GEMM's epilogue on CUDA, bit-identical to matmul + add on the CPU); the
// bias-free variant stays a plain matmul for callers that fuse the bias into
// their next op.
#include "nn/linear.h"

#include "kernels/linear/linear.h"
#include "kernels/matmul/matmul.h"
#include "nn/init.h"

#include <cmath>

namespace xlm::nn {

Linear Linear::create(const std::string& name, int64_t in_features, int64_t out_features, uint64_t seed, DType dtype,
                      Device device) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
  Linear l;
  l.weight = init_uniform({out_features, in_features}, bound, seed, name + ".weight", dtype, device);
  l.bias = init_uniform({out_features}, bound, seed, name + ".bias", dtype, device);
  l.weight.set_requires_grad(true);
  l.bias.set_requires_grad(true);
  return l;
}

Tensor Linear::forward(const Tensor& x) const {
  return linear(x, weight, bias);  // (..., out)
}

Tensor Linear::forward_no_bias(const Tensor& x) const { return matmul(x, weight, false, true); }

void Linear::collect(const std::string& name, NamedTensors& out) const {
  out.emplace_back(name + ".weight", weight);
  out.emplace_back(name + ".bias", bias);
}

}  // namespace xlm::nn
