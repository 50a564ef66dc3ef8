// Global-norm clipping: gradients are grouped by device so each backend sees
// one device's tensors and a CUDA device synchronises once per call, then the
// per-device sums of squares are added in double.
#include "nn/grad_clip.h"
#include "nn/grad_groups.h"

#include "core/autograd.h"
#include "core/dispatch.h"
#include "kernels/backend.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace xlm::nn {

namespace {

double sum_squares(int device, const std::vector<Tensor>& grads) {
  if (device < 0) return grad_sum_squares_cpu(grads);
#if XLM_WITH_CUDA
  return grad_sum_squares_cuda(grads);
#else
  no_cuda_backend("clip_grad_norm");
#endif
}

void scale(int device, const std::vector<Tensor>& grads, double coef) {
  if (device < 0) return scale_grads_cpu(grads, coef);
#if XLM_WITH_CUDA
  scale_grads_cuda(grads, coef);
#else
  no_cuda_backend("clip_grad_norm");
#endif
}

double norm_of(const std::map<int, std::vector<Tensor>>& groups) {
  double total = 0;
  for (const auto& [device, grads] : groups) total += sum_squares(device, grads);
  return std::sqrt(total);
}

}  // namespace

double grad_sum_squares_cpu(const std::vector<Tensor>& grads) {
  double total = 0;
  for (const Tensor& g : grads) {
    XLM_DISPATCH_CPU_FLOAT(g.dtype(), "clip_grad_norm", [&](auto tag) {
      using T = decltype(tag);
      const T* x = static_cast<const T*>(g.data_ptr());  // (n,)
      const int64_t n = g.numel();
      // Four partial sums: one accumulator makes every add wait for the last.
      double part[4] = {0, 0, 0, 0};
      int64_t i = 0;
      for (; i + 4 <= n; i += 4)
        for (int j = 0; j < 4; ++j) part[j] += static_cast<double>(x[i + j]) * static_cast<double>(x[i + j]);
      for (; i < n; ++i) part[0] += static_cast<double>(x[i]) * static_cast<double>(x[i]);
      total += (part[0] + part[1]) + (part[2] + part[3]);
    });
  }
  return total;
}

void scale_grads_cpu(const std::vector<Tensor>& grads, double coef) {
  for (const Tensor& g : grads) {
    XLM_DISPATCH_CPU_FLOAT(g.dtype(), "clip_grad_norm", [&](auto tag) {
      using T = decltype(tag);
      T* x = static_cast<T*>(g.data_ptr());  // (n,)
      const T c = static_cast<T>(coef);
      const int64_t n = g.numel();
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] * c;
    });
  }
}

void grad_norm_and_factor_cpu(const std::vector<Tensor>& grads, double max_norm, double inv_scale, Tensor& norm,
                              Tensor& factor) {
  // norm_of's arithmetic, bit for bit, then the unscale (exact for a power of two).
  const double value = std::sqrt(0.0 + grad_sum_squares_cpu(grads)) * inv_scale;
  double coef = 1.0;
  if (max_norm > 0 && std::isfinite(value)) coef = std::min(1.0, max_norm / (value + 1e-6));
  *norm.data<double>() = value;
  *factor.data<double>() = coef * inv_scale;
}

ClipFactor clip_factor_on_device(const NamedTensors& params, double max_norm, double inv_scale) {
  XLM_CHECK(std::isfinite(inv_scale) && inv_scale > 0, Error,
            "clip_factor_on_device: inv_scale must be finite and > 0, got {}", inv_scale);
  autograd::NoGradGuard no_grad;
  const auto groups = grads_by_device(params, "clip_grad_norm");
  if (groups.empty()) return {Tensor::zeros({1}, DType::f64), Tensor()};
  XLM_CHECK(groups.size() == 1, DeviceError,
            "clip_factor_on_device: the gradients are on {} devices; the device clip needs them on one",
            groups.size());
  const std::vector<Tensor>& grads = groups.begin()->second;
  const Device device = grads.front().device();
  ClipFactor out{Tensor::empty({1}, DType::f64, device), Tensor::empty({1}, DType::f64, device)};  // (1,) each
  XLM_CALL_BACKEND(device, grad_norm_and_factor, grads, max_norm, inv_scale, out.norm, out.factor);
  if (!(max_norm > 0) && inv_scale == 1.0) out.factor = Tensor();
  return out;
}

double grad_norm(const NamedTensors& params) { return norm_of(grads_by_device(params, "clip_grad_norm")); }

double clip_grad_norm(const NamedTensors& params, double max_norm) {
  autograd::NoGradGuard no_grad;
  const auto groups = grads_by_device(params, "clip_grad_norm");
  const double norm = norm_of(groups);
  if (!(max_norm > 0) || !std::isfinite(norm)) return norm;
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1)
    for (const auto& [device, grads] : groups) scale(device, grads, coef);
  return norm;
}

}  // namespace xlm::nn
