// An embedding table as XLM's Embedding helper builds it: N(0, dim^-1/2)
// entries, and the padding row (word table only) set to zero. PyTorch's
// padding_idx also withholds gradient from that row on the input side; here
// pad ids only occur past each sentence's length, where the model zeroes the
// rows, so the input side gives that row no gradient either. (The tied output
// layer does train it, in XLM as here.)
#pragma once

#include "nn/named_tensors.h"

#include <cstdint>
#include <string>

namespace xlm::nn {

struct EmbeddingTable {
  Tensor weight;  // (rows, dim)

  // `name` is the XLM parameter name ("embeddings.weight"); it picks the init stream.
  static EmbeddingTable create(const std::string& name, int64_t rows, int64_t dim, uint64_t seed, DType dtype,
                               Device device, int64_t padding_row = -1);
  Tensor forward(const Tensor& ids) const;  // ids (S...) -> (S..., dim)
};

}  // namespace xlm::nn
