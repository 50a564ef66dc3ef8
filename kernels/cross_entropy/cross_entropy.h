// Fused log-softmax + negative log-likelihood, the loss of every XLM
// objective: one node on the tape, probabilities never stored. The forward
// keeps each row's log-sum-exp, so the backward rebuilds softmax in the same
// pass that writes the gradient.
//   cross_entropy(logits, targets, ignore_index = -100):
//     logits (N, V) floating, V >= 1; targets (N,) i64 or i32 on logits' device
//     loss = mean over rows with targets[n] != ignore_index of
//            lse[n] - logits[n, targets[n]],  lse[n] = log(sum_v exp(logits[n, v]))
//     -> a 0-dim tensor (shape []), f64 for f64 logits and f32 otherwise; 0 when
//        every row is ignored. A target outside [0, V) that is not ignore_index
//        is an IndexError naming the row, the target and V.
//   cross_entropy_backward(logits, targets, lse, grad_loss, ignore_index, count):
//     grad_logits[n, v] = (exp(logits[n, v] - lse[n]) - [v == targets[n]]) * grad_loss / count
//     for kept rows, 0 for ignored rows (and everywhere when count == 0) -> (N, V), logits' dtype
// CPU: f32, f64 (sums in double). CUDA: f32, bf16, f16 (fp32 log-sum-exp).
#pragma once

#include "core/tensor.h"

#include <cstdint>

namespace xlm {

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, int64_t ignore_index = -100);
// The same where the caller still holds the targets on the host (a host batch
// uploaded for the loss): `host_targets` (N,) on the CPU, equal to `targets`,
// is scanned instead, so device targets are never copied back (the training
// step's loss makes no device read).
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, const Tensor& host_targets,
                     int64_t ignore_index = -100);

// lse: (N,) in cross_entropy_loss_dtype(logits); grad_loss: 0-dim, same dtype;
// count: the number of rows whose target is not ignore_index (the mean's denominator).
Tensor cross_entropy_backward(const Tensor& logits, const Tensor& targets, const Tensor& lse,
                              const Tensor& grad_loss, int64_t ignore_index, int64_t count);

// The loss (and lse) dtype for a logits dtype: f64 for f64, f32 otherwise.
DType cross_entropy_loss_dtype(DType logits_dtype);

// Backend twins (write into preallocated outputs: loss 0-dim, lse (N,), grad_logits (N, V)).
void cross_entropy_forward_cpu(const Tensor& logits, const Tensor& targets, int64_t ignore_index, int64_t count,
                               Tensor& loss, Tensor& lse);
void cross_entropy_backward_cpu(const Tensor& logits, const Tensor& targets, const Tensor& lse,
                                const Tensor& grad_loss, int64_t ignore_index, int64_t count, Tensor& grad_logits);
void cross_entropy_forward_cuda(const Tensor& logits, const Tensor& targets, int64_t ignore_index, int64_t count,
                                Tensor& loss, Tensor& lse);
void cross_entropy_backward_cuda(const Tensor& logits, const Tensor& targets, const Tensor& lse,
                                 const Tensor& grad_loss, int64_t ignore_index, int64_t count,
                                 Tensor& grad_logits);

}  // namespace xlm
