// Position-wise feed-forward block; see transformer_ffn.h.
#include "nn/transformer_ffn.h"

#include "kernels/bias_gelu/bias_gelu.h"
#include "kernels/gelu/gelu.h"
#include "kernels/relu/relu.h"

namespace xlm::nn {

TransformerFFN::TransformerFFN(const std::string& name, int64_t dim, int64_t hidden_dim, double dropout,
                               bool gelu_activation, uint64_t seed, DType dtype, Device device)
    : dropout_(dropout),
      gelu_(gelu_activation),
      lin1_(Linear::create(name + ".lin1", dim, hidden_dim, seed, dtype, device)),
      lin2_(Linear::create(name + ".lin2", hidden_dim, dim, seed, dtype, device)) {}

Tensor TransformerFFN::forward(const Tensor& x, const DropoutContext& ctx) const {
  return apply_dropout(forward_undropped(x, false), dropout_, ctx);
}

Tensor TransformerFFN::forward_undropped(const Tensor& x, bool fused) const {
  Tensor h;  // (..., 4D)
  if (gelu_ && fused)
    h = bias_gelu(lin1_.forward_no_bias(x), lin1_.bias);
  else
    h = gelu_ ? gelu(lin1_.forward(x)) : relu(lin1_.forward(x));
  return lin2_.forward(h);  // (..., D)
}

void TransformerFFN::collect(const std::string& name, NamedTensors& out) const {
  lin1_.collect(name + ".lin1", out);
  lin2_.collect(name + ".lin2", out);
}

}  // namespace xlm::nn
