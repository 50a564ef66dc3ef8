// Position-wise feed-forward block; see transformer_ffn.h.
#include "nn/transformer_ffn.h"

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
  Tensor h = lin1_.forward(x);          // (..., 4D)
  h = gelu_ ? gelu(h) : relu(h);
  Tensor y = lin2_.forward(h);          // (..., D)
  return apply_dropout(y, dropout_, ctx);
}

void TransformerFFN::collect(const std::string& name, NamedTensors& out) const {
  lin1_.collect(name + ".lin1", out);
  lin2_.collect(name + ".lin2", out);
}

}  // namespace xlm::nn
