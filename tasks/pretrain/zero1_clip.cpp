// Fronts and CPU twins of tasks/pretrain/zero1_clip.h. The CPU twins repeat
// the arithmetic of the host code they replaced, in the same order, so CPU
// runs (and the MPI data-parallel checks) stay bit-identical.
#include "tasks/pretrain/zero1_clip.h"

#include "kernels/backend.h"
#include "nn/grad_clip.h"

#include <algorithm>
#include <cmath>

namespace xlm::tasks {

void zero1_group_sum_squares(const std::vector<std::vector<Tensor>>& groups, Tensor& sums) {
  XLM_CHECK(sums.dtype() == DType::f64 && sums.numel() == static_cast<int64_t>(groups.size()), ShapeError,
            "zero1: sums must be f64 ({}), got {}", groups.size(), sums.describe());
  XLM_CALL_BACKEND(sums.device(), zero1_group_sum_squares, groups, sums);
}

void zero1_norms_and_factors(const Tensor& sums, double max_norm, Tensor& norms, Tensor& factors) {
  XLM_CHECK(sums.dtype() == DType::f64 && norms.dtype() == DType::f64 && factors.dtype() == DType::f64 &&
                norms.numel() == sums.numel() && factors.numel() == sums.numel(),
            ShapeError, "zero1: sums {}, norms {} and factors {} must be f64 of one size", sums.describe(),
            norms.describe(), factors.describe());
  XLM_CALL_BACKEND(sums.device(), zero1_norms_and_factors, sums, max_norm, norms, factors);
}

void zero1_group_sum_squares_cpu(const std::vector<std::vector<Tensor>>& groups, Tensor& sums) {
  double* out = sums.data<double>();  // (G)
  for (size_t g = 0; g < groups.size(); ++g) out[g] = groups[g].empty() ? 0.0 : nn::grad_sum_squares_cpu(groups[g]);
}

void zero1_norms_and_factors_cpu(const Tensor& sums, double max_norm, Tensor& norms, Tensor& factors) {
  const double* s = sums.data<double>();  // (G)
  double* n = norms.data<double>();       // (G)
  double* f = factors.data<double>();     // (G)
  for (int64_t g = 0; g < sums.numel(); ++g) {
    n[g] = std::sqrt(s[g]);
    f[g] = max_norm > 0 && std::isfinite(n[g]) ? std::min(1.0, max_norm / (n[g] + 1e-6)) : 1.0;
  }
}

}  // namespace xlm::tasks
