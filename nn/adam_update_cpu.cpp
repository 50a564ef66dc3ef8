// CPU parameter updates: plain loops in the parameter's dtype, the reference
// the CUDA twins are compared with. The operation order mirrors XLM's Adam
// (moments first, then decay, then the step) so float rounding matches it
// operation for operation where PyTorch's CPU kernels do the same.
#include "core/dispatch.h"
#include "kernels/cast/cast.h"
#include "nn/adam_update.h"

#include <cmath>

namespace xlm::nn {

void adam_update_cpu(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                     const AdamUpdateArgs& args) {
  XLM_DISPATCH_CPU_FLOAT(param.dtype(), "adam_update", [&](auto tag) {
    using T = decltype(tag);
    T* p = static_cast<T*>(param.data_ptr());        // (n,)
    const T* g = static_cast<const T*>(grad.data_ptr());
    T* m = static_cast<T*>(exp_avg.data_ptr());
    T* v = static_cast<T*>(exp_avg_sq.data_ptr());
    const T beta1 = static_cast<T>(args.beta1), one_minus_beta1 = static_cast<T>(1.0 - args.beta1);
    const T beta2 = static_cast<T>(args.beta2), one_minus_beta2 = static_cast<T>(1.0 - args.beta2);
    const T eps = static_cast<T>(args.eps);
    const T decay = static_cast<T>(-args.weight_decay * args.lr);
    const T step = static_cast<T>(args.step_size);
    const bool decays = args.weight_decay != 0;
    const int64_t n = param.numel();
    for (int64_t i = 0; i < n; ++i) {
      m[i] = m[i] * beta1 + one_minus_beta1 * g[i];
      v[i] = v[i] * beta2 + one_minus_beta2 * g[i] * g[i];
      const T denom = std::sqrt(v[i]) + eps;
      if (decays) p[i] = p[i] + decay * p[i];
      p[i] = p[i] - step * (m[i] / denom);
    }
  });
}

void adam_update_multi_cpu(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                           const std::vector<Tensor>& exp_avg, const std::vector<Tensor>& exp_avg_sq,
                           const AdamUpdateArgs& args, const std::vector<Tensor>& copy_out) {
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].numel() == 0) continue;
    adam_update_cpu(params[i], grads[i], exp_avg[i], exp_avg_sq[i], args);
    if (copy_out.empty()) continue;
    Tensor out = copy_out[i];
    if (out.dtype() == params[i].dtype())
      copy_bytes(out.data_ptr(), out.device(), params[i].data_ptr(), params[i].device(), out.nbytes());
    else
      cast_forward_cpu(params[i], out);
  }
}

void sgd_update_cpu(const Tensor& param, const Tensor& grad, double lr, double weight_decay) {
  XLM_DISPATCH_CPU_FLOAT(param.dtype(), "sgd_update", [&](auto tag) {
    using T = decltype(tag);
    T* p = static_cast<T*>(param.data_ptr());        // (n,)
    const T* g = static_cast<const T*>(grad.data_ptr());
    const T rate = static_cast<T>(lr), wd = static_cast<T>(weight_decay);
    const int64_t n = param.numel();
    for (int64_t i = 0; i < n; ++i) p[i] = p[i] - rate * (g[i] + wd * p[i]);
  });
}

}  // namespace xlm::nn
