// The table is computed in double on the host, then rounded once to the
// parameter dtype (XLM computes it in numpy float64 and stores float32).
#include "nn/sinusoidal.h"

#include <cmath>
#include <vector>

namespace xlm::nn {

Tensor sinusoidal_embeddings(int64_t n_positions, int64_t dim, DType dtype, Device device) {
  std::vector<double> values(static_cast<size_t>(n_positions * dim));  // (P, dim)
  for (int64_t p = 0; p < n_positions; ++p) {
    for (int64_t j = 0; j < dim; ++j) {
      const double angle =
          static_cast<double>(p) / std::pow(10000.0, 2.0 * static_cast<double>(j / 2) / static_cast<double>(dim));
      values[static_cast<size_t>(p * dim + j)] = (j % 2 == 0) ? std::sin(angle) : std::cos(angle);
    }
  }
  return Tensor::from_doubles(values, {n_positions, dim}, dtype, device);
}

}  // namespace xlm::nn
