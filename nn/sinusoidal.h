// XLM's create_sinusoidal_embeddings (fixed position table): for position p
// and column j, angle = p / 10000^(2*(j/2)/dim) (j/2 an integer division);
// even columns hold sin(angle), odd columns cos(angle). The model keeps it
// frozen (no gradient) but still saves it, as XLM does.
#pragma once

#include "core/tensor.h"

#include <cstdint>

namespace xlm::nn {

Tensor sinusoidal_embeddings(int64_t n_positions, int64_t dim, DType dtype, Device device);  // (n_positions, dim)

}  // namespace xlm::nn
