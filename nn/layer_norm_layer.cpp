// LayerNorm module over the layer_norm op, and over residual_layer_norm for
// the post-LN blocks that add a (dropped-out) residual first.
#include "nn/layer_norm_layer.h"

#include "kernels/layer_norm/layer_norm.h"

namespace xlm::nn {

LayerNormLayer LayerNormLayer::create(int64_t dim, double eps, DType dtype, Device device) {
  LayerNormLayer ln;
  ln.weight = Tensor::full({dim}, 1.0, dtype, device);
  ln.bias = Tensor::zeros({dim}, dtype, device);
  ln.weight.set_requires_grad(true);
  ln.bias.set_requires_grad(true);
  ln.eps = eps;
  return ln;
}

Tensor LayerNormLayer::forward(const Tensor& x) const { return layer_norm(x, weight, bias, eps); }

Tensor LayerNormLayer::forward_residual(const Tensor& x, const Tensor& f, const ResidualDropout& dropout,
                                        const Tensor& row_scale) const {
  return residual_layer_norm(x, f, weight, bias, eps, dropout, row_scale);
}

void LayerNormLayer::collect(const std::string& name, NamedTensors& out) const {
  out.emplace_back(name + ".weight", weight);
  out.emplace_back(name + ".bias", bias);
}

}  // namespace xlm::nn
