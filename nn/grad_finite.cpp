// Gradients are grouped by device (as in grad_clip.cpp) so that each CUDA
// device reads back a single flag per call. The CPU loop keeps going after the
// first non-finite element: the contract is "all gradients unscaled, one
// answer", and an early exit would leave some unscaled and some not.
#include "nn/grad_finite.h"
#include "nn/grad_groups.h"

#include "core/autograd.h"
#include "core/dispatch.h"
#include "core/host_reads.h"
#include "kernels/backend.h"

#include <cmath>
#include <map>

namespace xlm::nn {

namespace {

bool check_group(int device, const std::vector<Tensor>& grads, double inv_scale) {
  count_host_read();  // one flag per device group, on every backend (core/host_reads.h)
  if (device < 0) {
    count_host_transfer();  // the flag's copy back, as the CUDA twin's to_vector counts it
    return unscale_and_check_cpu(grads, inv_scale);
  }
#if XLM_WITH_CUDA
  return unscale_and_check_cuda(grads, inv_scale);
#else
  no_cuda_backend("unscale_grads_and_check");
#endif
}

}  // namespace

bool unscale_and_check_cpu(const std::vector<Tensor>& grads, double inv_scale) {
  bool finite = true;
  for (const Tensor& g : grads) {
    XLM_DISPATCH_CPU_FLOAT(g.dtype(), "unscale_grads_and_check", [&](auto tag) {
      using T = decltype(tag);
      T* x = static_cast<T*>(g.data_ptr());  // (n,)
      const int64_t n = g.numel();
      if (inv_scale == 1.0) {
        for (int64_t i = 0; i < n; ++i) finite = finite && std::isfinite(x[i]);
        return;
      }
      const T c = static_cast<T>(inv_scale);
      for (int64_t i = 0; i < n; ++i) {
        x[i] = x[i] * c;
        finite = finite && std::isfinite(x[i]);
      }
    });
  }
  return finite;
}

bool unscale_grads_and_check(const NamedTensors& params, double inv_scale) {
  XLM_CHECK(std::isfinite(inv_scale) && inv_scale > 0, Error,
            "unscale_grads_and_check: inv_scale must be finite and > 0, got {}", inv_scale);
  autograd::NoGradGuard no_grad;
  bool finite = true;
  for (const auto& [device, grads] : grads_by_device(params, "unscale_grads_and_check"))
    finite = check_group(device, grads, inv_scale) && finite;
  return finite;
}

bool all_finite(const NamedTensors& params) { return unscale_grads_and_check(params, 1.0); }

}  // namespace xlm::nn
