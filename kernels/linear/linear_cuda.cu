// CUDA linear through cuBLASLt epilogues (fp32 compute, like matmul):
//   forward  y (rows, out) = x W^T + b: one call, CUBLASLT_EPILOGUE_BIAS. In
//            Lt's column-major view y is D^T with D (out, rows), and the
//            BIAS epilogue adds a vector over D's rows: our bias.
//   backward dW (out, in) = gy^T x and db = column sums of gy: one call,
//            CUBLASLT_EPILOGUE_BGRADB. D = dW^T (in, out); Lt's second
//            operand B is our gy (op T: (rows, out) -> k = rows by out), and
//            BGRADB sums B over k, one value per column of D: our db.
//            (BGRADA would sum Lt's A, here x: the wrong operand.)
// The bias and bias-gradient vectors are in the GEMM's dtype (cuBLASLt's
// default: bias = D's type, bias gradient = C's type) and packed; their
// alignment is read from the pointer by the heuristic. When cuBLASLt offers
// no algorithm for the epilogue (lt_matmul returns false), or the sizes are
// degenerate (in = 0 or rows = 0), we run the GEMM and our own kernel
// (add's broadcast add, sum_to_suffix's column sum) instead. Unvalidated on a
// GPU when written (docs/gpu-ledger.md).
#include "core/cuda_context.h"
#include "kernels/add/add.h"
#include "kernels/linear/linear.h"
#include "kernels/matmul/matmul.h"
#include "kernels/matmul/matmul_lt_cuda.h"

namespace xlm {

void linear_forward_cuda(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y) {
  lt_data_type(x.dtype(), "linear");
  const MatmulDims dims = matmul_dims(x, weight, false, true);  // m = rows, k = in, n = out
  if (dims.m == 0 || dims.n == 0) return;
  if (dims.k > 0) {
    CudaContext& ctx = CudaContext::get(x.device().index);
    LtEpilogue epilogue{CUBLASLT_EPILOGUE_BIAS, bias.data_ptr()};
    if (lt_matmul(ctx, x.dtype(), dims, 1, x.data_ptr(), 0, weight.data_ptr(), 0, y.data_ptr(), 0, epilogue)) return;
  }
  Tensor xw = Tensor::empty(y.shape(), y.dtype(), y.device());  // (rows, out), before the bias
  matmul_forward_cuda(x, weight, dims, xw);
  add_forward_cuda(xw, bias, y);
}

void linear_weight_grad_cuda(const Tensor& x, const Tensor& grad_y, Tensor& grad_weight, Tensor& grad_bias) {
  lt_data_type(x.dtype(), "linear_backward");
  const MatmulDims dims = matmul_dims(grad_y, x, true, false);  // m = out, k = rows, n = in
  if (dims.m == 0) return;
  if (dims.k > 0 && dims.n > 0) {
    CudaContext& ctx = CudaContext::get(x.device().index);
    LtEpilogue epilogue{CUBLASLT_EPILOGUE_BGRADB, grad_bias.data_ptr()};
    if (lt_matmul(ctx, x.dtype(), dims, 1, grad_y.data_ptr(), 0, x.data_ptr(), 0, grad_weight.data_ptr(), 0,
                  epilogue))
      return;
  }
  matmul_forward_cuda(grad_y, x, dims, grad_weight);  // (out, in); zeros when rows = 0
  sum_to_suffix_cuda(grad_y, grad_bias);              // (out,)
}

}  // namespace xlm
