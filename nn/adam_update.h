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

// Backend twins (arguments already checked by the fronts).
void adam_update_cpu(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                     const AdamUpdateArgs& args);
void adam_update_cuda(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                      const AdamUpdateArgs& args);
void sgd_update_cpu(const Tensor& param, const Tensor& grad, double lr, double weight_decay);
void sgd_update_cuda(const Tensor& param, const Tensor& grad, double lr, double weight_decay);

}  // namespace xlm::nn
