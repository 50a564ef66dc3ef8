// CPU reference for linear: exactly the unfused composition it replaced in
// nn::Linear (matmul(x, W^T) then add(., b); backward matmul(gy^T, x) and
// sum_to_suffix(gy)), by calling those ops' own CPU twins rather than copying
// their loops, so the bits (first_step_parity, the trainer goldens) cannot
// drift apart when those twins change.
#include "kernels/add/add.h"
#include "kernels/linear/linear.h"
#include "kernels/matmul/matmul.h"

namespace xlm {

void linear_forward_cpu(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y) {
  const MatmulDims dims = matmul_dims(x, weight, false, true);   // one GEMM: (rows, in) x (out, in)^T
  Tensor xw = Tensor::empty(y.shape(), y.dtype(), y.device());  // (rows, out), before the bias
  matmul_forward_cpu(x, weight, dims, xw);
  add_forward_cpu(xw, bias, y);  // y[r, j] = xw[r, j] + bias[j]
}

void linear_weight_grad_cpu(const Tensor& x, const Tensor& grad_y, Tensor& grad_weight, Tensor& grad_bias) {
  const MatmulDims dims = matmul_dims(grad_y, x, true, false);  // (rows, out)^T x (rows, in)
  matmul_forward_cpu(grad_y, x, dims, grad_weight);              // (out, in)
  sum_to_suffix_cpu(grad_y, grad_bias);                          // (out,), f64 column sums
}

}  // namespace xlm
