// Parameter update kernels: one fused, in-place pass per parameter tensor.
// They are not ops (nothing is recorded, nothing is returned): the optimizer
// owns the moments and calls these under NoGradGuard. The CPU loops are the
// specification; the CUDA twins (adam_update_cuda.cu) do the same per element.
//
//   adam_update (XLM's Adam; `t` = this parameter's step count, from 1):
//     m  = beta1 * m + (1 - beta1) * g
//     v  = beta2 * v + (1 - beta2) * g * g
//     p  = p - weight_decay * lr * p                      (decoupled weight decay)
//     p  = p - step_size * m / (sqrt(v) + eps),  step_size = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
//   sgd_update (torch.optim.SGD without momentum; its weight decay is L2 on the gradient):
//     p  = p - lr * (g + weight_decay * p)
// Scalars are computed in double on the host and rounded once to the compute
// type. CPU: f32 and f64 (computed in that type). CUDA: f32 only (fp32 master
// weights and moments).
#pragma once

#include "core/tensor.h"

#include <vector>

namespace xlm::nn {

struct AdamUpdateArgs {
  double lr = 0;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double weight_decay = 0;
  double step_size = 0;  // lr * sqrt(1 - beta2^t) / (1 - beta1^t)
};

// param, grad, exp_avg, exp_avg_sq: same shape, dtype and device; param and
// the moments are updated in place.
void adam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                 const AdamUpdateArgs& args);
void sgd_update(const Tensor& param, const Tensor& grad, double lr, double weight_decay);

// adam_update on every i of four equally long lists, with the same args (so
// the same step count t), in one pass: on CUDA a few launches over a table of
// tensor pointers and chunks (apex's multi_tensor_apply) instead of one launch
// per tensor. Optional copy_out (empty, or one tensor per param, same shape
// and device, all of one floating dtype): copy_out[i] = param[i] rounded to
// nearest even after the update (fp32 master -> bf16/f16 model weights).
// Optional grad_factor (undefined, or a one-element f64 tensor on the params'
// device: gradient clipping's factor, nn/grad_clip.h): every gradient is used
// as g * factor, the factor rounded to the params' dtype and one multiply,
// exactly what scale_by would have stored (so the update is bit for bit that
// of scale_by then adam_update_multi), read on the device, the gradients left
// as they are.
// The grads may be of another floating dtype than the params (all grads one
// dtype): each element is converted to the params' dtype as it is read (exact
// when widening), then multiplied by the factor. That is how fp32 masters take
// the model's bf16/f16 gradients without a cast pass and an fp32 copy of every
// gradient (tasks/pretrain/precision_step.h); the result is bit for bit that
// of casting the gradients first.
// Every argument is checked before anything is updated.
void adam_update_multi(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                       const std::vector<Tensor>& exp_avg, const std::vector<Tensor>& exp_avg_sq,
                       const AdamUpdateArgs& args, const std::vector<Tensor>& copy_out = {},
                       const Tensor& grad_factor = Tensor());

// Backend twins (arguments already checked by the fronts).
void adam_update_cpu(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                     const AdamUpdateArgs& args);
void adam_update_cuda(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                      const AdamUpdateArgs& args);
// The CPU twin loops over the single-tensor update (the specification, with
// the factor's multiply) and cast_forward_cpu.
void adam_update_multi_cpu(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                           const std::vector<Tensor>& exp_avg, const std::vector<Tensor>& exp_avg_sq,
                           const AdamUpdateArgs& args, const std::vector<Tensor>& copy_out,
                           const Tensor& grad_factor);
void adam_update_multi_cuda(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                            const std::vector<Tensor>& exp_avg, const std::vector<Tensor>& exp_avg_sq,
                            const AdamUpdateArgs& args, const std::vector<Tensor>& copy_out,
                            const Tensor& grad_factor);
void sgd_update_cpu(const Tensor& param, const Tensor& grad, double lr, double weight_decay);
void sgd_update_cuda(const Tensor& param, const Tensor& grad, double lr, double weight_decay);

}  // namespace xlm::nn
