// Embedding lookup: rows of a table picked by integer ids.
//   embedding(weight, ids):  weight [V, C] floating, ids i32/i64 of any shape S
//                            -> out [S..., C], out[s, :] = weight[ids[s], :]
//   embedding_backward(gy, ids, V): gy [S..., C] -> grad_weight [V, C], the
//                            scatter-add of gy's rows into zeros (repeated ids
//                            accumulate). ids get no gradient.
// An id outside [0, V) throws IndexError (CPU: checked before the twin runs;
// CUDA: the kernel writes zeros / skips that row, and the error is raised at
// the host's next device read or cuda_synchronize, kernels/index_check.h).
// CPU: f32, f64. CUDA: f32, bf16, f16 (fp32 math; bf16/f16 gradients are
// accumulated in an fp32 scratch table and rounded once at the end).
#pragma once

#include "core/tensor.h"

namespace xlm {

Tensor embedding(const Tensor& weight, const Tensor& ids);
Tensor embedding_backward(const Tensor& grad_out, const Tensor& ids, int64_t num_rows);

// Backend twins. Forward writes out [n, C] (n = ids.numel()); backward writes
// every element of grad_weight [V, C] (zeroing it first).
void embedding_forward_cpu(const Tensor& weight, const Tensor& ids, Tensor& out);
void embedding_backward_cpu(const Tensor& grad_out, const Tensor& ids, Tensor& grad_weight);
void embedding_forward_cuda(const Tensor& weight, const Tensor& ids, Tensor& out);
void embedding_backward_cuda(const Tensor& grad_out, const Tensor& ids, Tensor& grad_weight);

}  // namespace xlm
