// CUDA twin of unscale_and_check: one grid-stride kernel per gradient tensor,
// all on the device's stream, each multiplying in fp32, storing in the
// gradient's dtype and raising a shared device flag when a stored value is not
// finite. Only threads that see a bad value write the flag (a plain store of 1:
// every writer stores the same value, so no atomic is needed). The flag is read
// back once at the end: the call's single host sync.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/cuda_dispatch.cuh"
#include "nn/grad_finite.h"

namespace xlm::nn {

namespace {

template <typename T>
__global__ void unscale_check_kernel(T* x, long long n, float inv_scale, bool write, int* non_finite) {
  bool bad = false;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    float v = load_float(x[i]);
    if (write) {
      const T stored = store_float<T>(v * inv_scale);
      x[i] = stored;
      v = load_float(stored);
    }
    bad = bad || !isfinite(v);
  }
  if (bad) *non_finite = 1;
}

}  // namespace

bool unscale_and_check_cuda(const std::vector<Tensor>& grads, double inv_scale) {
  if (grads.empty()) return true;
  const Device device = grads.front().device();
  for (const Tensor& g : grads) check_same_device(grads.front(), g, "unscale_grads_and_check");
  CudaContext& ctx = CudaContext::get(device.index);
  Tensor flag = Tensor::zeros({1}, DType::i32, device);  // (1,) 0 = all finite
  int* non_finite = static_cast<int*>(flag.data_ptr());
  const bool write = inv_scale != 1.0;
  for (const Tensor& g : grads) {
    const long long n = g.numel();
    if (n == 0) continue;
    XLM_DISPATCH_CUDA_FLOAT(g.dtype(), "unscale_grads_and_check", [&](auto tag) {
      using T = decltype(tag);
      unscale_check_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream>>>(
          static_cast<T*>(g.data_ptr()), n, static_cast<float>(inv_scale), write, non_finite);
      XLM_CUDA_CHECK_LAUNCH();
    });
  }
  return flag.to_vector<int32_t>()[0] == 0;
}

}  // namespace xlm::nn
