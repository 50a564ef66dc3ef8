// CPU reference for the last-dim mean: sum_last's f64 row sums scaled by 1 / C
// (the scale is applied in f64 before the final rounding).
#include "kernels/mean_last/mean_last.h"
#include "kernels/sum_last/sum_last.h"

namespace xlm {

void mean_last_forward_cpu(const Tensor& x, Tensor& y) {
  sum_last_forward_cpu(x, 1.0 / static_cast<double>(x.size(-1)), y);
}

void mean_last_backward_cpu(const Tensor& grad_y, Tensor& grad_x) {
  sum_last_backward_cpu(grad_y, 1.0 / static_cast<double>(grad_x.size(-1)), grad_x);
}

}  // namespace xlm
