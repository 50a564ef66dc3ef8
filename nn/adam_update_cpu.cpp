// CPU parameter updates: plain loops in the parameter's dtype, the reference
// the CUDA twins are compared with. The operation order mirrors XLM's Adam
// (moments first, then decay, then the step) so float rounding matches it
// operation for operation where PyTorch's CPU kernels do the same. The
// element loops vectorise and are split over threads (elements are
// independent: the result does not depend on the thread count).
#include "core/cpu_parallel.h"
#include "core/dispatch.h"
#include "core/vec_math.h"
#include "kernels/cast/cast.h"
#include "nn/adam_update.h"

#include <cmath>

namespace xlm::nn {

namespace {

// One Adam update of elements [begin, end). This file is compiled with
// -fno-math-errno (CMakeLists.txt) so that sqrt is one vector instruction: with
// errno semantics GCC keeps a scalar sqrtf call for negative inputs and the
// loop stays scalar; v is never negative, and nothing reads errno.
// `scale` multiplies each gradient as it is read (clipping's factor, 1 without).
template <typename T>
[[gnu::always_inline]] inline void adam_range(T* __restrict p, const T* __restrict g, T* __restrict m,
                T* __restrict v, const AdamUpdateArgs& args, T scale, int64_t begin,
                int64_t end) {
  const T beta1 = static_cast<T>(args.beta1), one_minus_beta1 = static_cast<T>(1.0 - args.beta1);
  const T beta2 = static_cast<T>(args.beta2), one_minus_beta2 = static_cast<T>(1.0 - args.beta2);
  const T eps = static_cast<T>(args.eps);
  const T decay = static_cast<T>(-args.weight_decay * args.lr);
  const T step = static_cast<T>(args.step_size);
  const bool decays = args.weight_decay != 0;
  for (int64_t i = begin; i < end; ++i) {
    const T gi = g[i] * scale;  // exact when scale is 1
    m[i] = m[i] * beta1 + one_minus_beta1 * gi;
    v[i] = v[i] * beta2 + one_minus_beta2 * gi * gi;
    const T denom = std::sqrt(v[i]) + eps;
    if (decays) p[i] = p[i] + decay * p[i];
    p[i] = p[i] - step * (m[i] / denom);
  }
}

XLM_VEC_CLONES void adam_range_f32(float* p, const float* g, float* m, float* v, const AdamUpdateArgs& args,
                                   float scale, int64_t begin, int64_t end) {
  adam_range(p, g, m, v, args, scale, begin, end);
}
void adam_range_any(float* p, const float* g, float* m, float* v, const AdamUpdateArgs& args, float scale,
                    int64_t begin, int64_t end) {
  adam_range_f32(p, g, m, v, args, scale, begin, end);
}
void adam_range_any(double* p, const double* g, double* m, double* v, const AdamUpdateArgs& args, double scale,
                    int64_t begin, int64_t end) {
  adam_range(p, g, m, v, args, scale, begin, end);
}

// One tensor's update with its gradient scaled by `scale` (a double, rounded
// to the tensor's dtype once, as scale_by_cpu rounds its factor).
void adam_update_scaled_cpu(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                            const AdamUpdateArgs& args, double scale) {
  XLM_DISPATCH_CPU_FLOAT(param.dtype(), "adam_update", [&](auto tag) {
    using T = decltype(tag);
    T* p = static_cast<T*>(param.data_ptr());             // (n,)
    const T* g = static_cast<const T*>(grad.data_ptr());  // (n,)
    T* m = static_cast<T*>(exp_avg.data_ptr());           // (n,)
    T* v = static_cast<T*>(exp_avg_sq.data_ptr());        // (n,)
    const T a = static_cast<T>(scale);
    parallel_for(param.numel(), int64_t{1} << 15,
                 [&](int64_t begin, int64_t end) { adam_range_any(p, g, m, v, args, a, begin, end); });
  });
}

}  // namespace

void adam_update_cpu(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                     const AdamUpdateArgs& args) {
  adam_update_scaled_cpu(param, grad, exp_avg, exp_avg_sq, args, 1.0);
}

void adam_update_multi_cpu(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                           const std::vector<Tensor>& exp_avg, const std::vector<Tensor>& exp_avg_sq,
                           const AdamUpdateArgs& args, const std::vector<Tensor>& copy_out,
                           const Tensor& grad_factor) {
  // The factor is host memory here (cpu:1 included: the twin reads its device's memory).
  const double scale = grad_factor.defined() ? *grad_factor.data<double>() : 1.0;
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].numel() == 0) continue;
    Tensor grad = grads[i];
    if (grad.dtype() != params[i].dtype()) {  // the specification: cast first (the CUDA twin converts as it reads)
      grad = Tensor::empty(params[i].shape(), params[i].dtype(), params[i].device());  // like params[i]
      cast_forward_cpu(grads[i], grad);
    }
    adam_update_scaled_cpu(params[i], grad, exp_avg[i], exp_avg_sq[i], args, scale);
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
