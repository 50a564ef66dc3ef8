// Row selection by a list of indices (MLM picks its masked positions with it).
//   gather_rows(x, index):  x [N, C] floating, index i32/i64 [M] -> [M, C],
//                           out[m, :] = x[index[m], :]
//   gather_rows_backward(gy, index, N): gy [M, C] -> grad_x [N, C], the
//                           scatter-add of gy's rows (repeated indices accumulate).
// An index outside [0, N) throws IndexError (CPU: checked before the twin runs;
// CUDA: the kernel writes zeros / skips that row, and the error is raised at
// the host's next device read or cuda_synchronize, kernels/index_check.h).
// CPU: f32, f64. CUDA: f32, bf16, f16 (fp32 math; bf16/f16 gradients are
// accumulated in an fp32 scratch buffer and rounded once at the end).
#pragma once

#include "core/tensor.h"

namespace xlm {

Tensor gather_rows(const Tensor& x, const Tensor& index);
Tensor gather_rows_backward(const Tensor& grad_out, const Tensor& index, int64_t num_rows);

// Backend twins. Forward writes out [M, C]; backward writes every element of
// grad_x [N, C] (zeroing it first).
void gather_rows_forward_cpu(const Tensor& x, const Tensor& index, Tensor& out);
void gather_rows_backward_cpu(const Tensor& grad_out, const Tensor& index, Tensor& grad_x);
void gather_rows_forward_cuda(const Tensor& x, const Tensor& index, Tensor& out);
void gather_rows_backward_cuda(const Tensor& grad_out, const Tensor& index, Tensor& grad_x);

}  // namespace xlm
