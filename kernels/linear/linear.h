// A fully connected layer as one op: y = x W^T + b (PyTorch's F.linear), so
// that the GPU adds the bias inside the GEMM (cuBLASLt's BIAS epilogue) and
// reduces the bias gradient inside the weight-gradient GEMM (BGRADB) instead
// of running a broadcast add and a column sum as separate kernels.
//   linear(x, weight, bias): x (..., in) rank >= 1, weight (out, in), bias (out,);
//       same floating dtype and device -> y (..., out)
//   linear_backward: grad_x = gy W           (..., in)   a plain GEMM (matmul)
//                    grad_weight = gy^T x    (out, in)   } one cuBLASLt call on CUDA
//                    grad_bias = sum of gy   (out,)      } (BGRADB epilogue)
// The CPU twin is the composition it replaces, bit for bit: matmul's CPU GEMM,
// then add's broadcast add; backward: matmul's GEMMs and add's sum_to_suffix.
// Where cuBLASLt has no algorithm for an epilogue (a dtype, alignment or
// shape it does not cover) the CUDA twin falls back to GEMM + our kernel.
// CPU: f32, f64. CUDA: f32, bf16, f16 (fp32 compute; bias in the GEMM's dtype).
#pragma once

#include "core/tensor.h"

namespace xlm {

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);

struct LinearGrads {
  Tensor grad_x;       // (..., in), undefined unless asked for
  Tensor grad_weight;  // (out, in)
  Tensor grad_bias;    // (out,)
};
LinearGrads linear_backward(const Tensor& x, const Tensor& weight, const Tensor& grad_y, bool need_x,
                            bool need_weight, bool need_bias);

// Backend twins on 2-D views, outputs preallocated.
//   forward:     x (rows, in), weight (out, in), bias (out,) -> y (rows, out)
//   weight_grad: x (rows, in), grad_y (rows, out) -> grad_weight (out, in), grad_bias (out,)
void linear_forward_cpu(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y);
void linear_forward_cuda(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y);
void linear_weight_grad_cpu(const Tensor& x, const Tensor& grad_y, Tensor& grad_weight, Tensor& grad_bias);
void linear_weight_grad_cuda(const Tensor& x, const Tensor& grad_y, Tensor& grad_weight, Tensor& grad_bias);

}  // namespace xlm
