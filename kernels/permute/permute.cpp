// Permute front: validates `dims` (a permutation, rank <= 6), dispatches, and
// records the backward as the inverse permutation of the incoming gradient.
#include "kernels/permute/permute.h"

#include "core/autograd.h"
#include "kernels/backend.h"

#include <fmt/ranges.h>

namespace xlm {

namespace {

std::vector<int64_t> normalized_dims(const Tensor& x, const std::vector<int64_t>& dims) {
  const int64_t rank = x.dim();
  XLM_CHECK(rank <= kPermuteMaxRank, ShapeError, "permute: rank {} exceeds the supported {} ({})", rank,
            kPermuteMaxRank, x.describe());
  XLM_CHECK(static_cast<int64_t>(dims.size()) == rank, ShapeError, "permute: dims [{}] has {} entries for {} (rank {})",
            fmt::join(dims, ", "), dims.size(), x.describe(), rank);
  std::vector<int64_t> out(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = dims[i] < 0 ? dims[i] + rank : dims[i];
    XLM_CHECK(d >= 0 && d < rank && !seen[static_cast<size_t>(d)], ShapeError,
              "permute: dims [{}] is not a permutation of the {} dimensions of {}", fmt::join(dims, ", "), rank,
              x.describe());
    seen[static_cast<size_t>(d)] = true;
    out[i] = d;
  }
  return out;
}

}  // namespace

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  check_defined(x, "permute", "x");
  const std::vector<int64_t> perm = normalized_dims(x, dims);
  Shape out_shape(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) out_shape[i] = x.shape()[static_cast<size_t>(perm[i])];
  Tensor y = Tensor::empty(out_shape, x.dtype(), x.device());
  XLM_CALL_BACKEND(x.device(), permute_forward, x, perm, y);
  std::vector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inverse[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
  autograd::record(y, "permute", {x},
                   [inverse](const Tensor& gy) { return std::vector<Tensor>{permute(gy, inverse)}; });
  return y;
}

}  // namespace xlm
