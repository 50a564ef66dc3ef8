// Embedding table creation (XLM's init) and lookup through the embedding op.
#include "nn/embedding_layer.h"

#include "kernels/embedding/embedding.h"
#include "nn/init.h"

#include <cmath>

namespace xlm::nn {

EmbeddingTable EmbeddingTable::create(const std::string& name, int64_t rows, int64_t dim, uint64_t seed, DType dtype,
                                      Device device, int64_t padding_row) {
  EmbeddingTable t;
  t.weight = init_normal({rows, dim}, 1.0 / std::sqrt(static_cast<double>(dim)), seed, name, dtype, device, padding_row);
  t.weight.set_requires_grad(true);
  return t;
}

Tensor EmbeddingTable::forward(const Tensor& ids) const { return embedding(weight, ids); }

}  // namespace xlm::nn
