// CUDA last-dim mean: sum_last's warp-per-row kernels with scale 1 / C, so
// the two reductions cannot drift apart.
#include "kernels/mean_last/mean_last.h"
#include "kernels/sum_last/sum_last.h"

namespace xlm {

void mean_last_forward_cuda(const Tensor& x, Tensor& y) {
  sum_last_forward_cuda(x, 1.0 / static_cast<double>(x.size(-1)), y);
}

void mean_last_backward_cuda(const Tensor& grad_y, Tensor& grad_x) {
  sum_last_backward_cuda(grad_y, 1.0 / static_cast<double>(grad_x.size(-1)), grad_x);
}

}  // namespace xlm
