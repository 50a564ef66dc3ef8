// CUDA parameter updates: one fused grid-stride kernel per parameter tensor
// (decay + both moments + step in a single read/write of p, m, v), fp32 only:
// the engine keeps fp32 master weights and moments whatever the compute dtype.
// Scalars arrive as floats rounded once from the host's doubles, as on the CPU.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "nn/adam_update.h"

namespace xlm::nn {

namespace {

__global__ void adam_update_kernel(float* p, const float* g, float* m, float* v, long long n, float beta1,
                                   float one_minus_beta1, float beta2, float one_minus_beta2, float eps,
                                   float decay, bool decays, float step) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const float gi = g[i];
    const float mi = m[i] * beta1 + one_minus_beta1 * gi;
    const float vi = v[i] * beta2 + one_minus_beta2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const float denom = sqrtf(vi) + eps;
    float pi = p[i];
    if (decays) pi = pi + decay * pi;
    p[i] = pi - step * (mi / denom);
  }
}

__global__ void sgd_update_kernel(float* p, const float* g, long long n, float rate, float wd) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    p[i] = p[i] - rate * (g[i] + wd * p[i]);
}

void check_f32(const Tensor& param, const char* op) {
  if (param.dtype() != DType::f32)
    throw DTypeError(fmt::format("{} on CUDA supports f32 parameters (fp32 master weights), got {}", op,
                                 param.describe()));
}

}  // namespace

void adam_update_cuda(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                      const AdamUpdateArgs& args) {
  check_f32(param, "adam_update");
  const long long n = param.numel();
  if (n == 0) return;
  CudaContext& ctx = CudaContext::get(param.device().index);
  adam_update_kernel<<<blocks_for(n), kThreads, 0, ctx.stream>>>(
      static_cast<float*>(param.data_ptr()), static_cast<const float*>(grad.data_ptr()),
      static_cast<float*>(exp_avg.data_ptr()), static_cast<float*>(exp_avg_sq.data_ptr()), n,
      static_cast<float>(args.beta1), static_cast<float>(1.0 - args.beta1), static_cast<float>(args.beta2),
      static_cast<float>(1.0 - args.beta2), static_cast<float>(args.eps),
      static_cast<float>(-args.weight_decay * args.lr), args.weight_decay != 0, static_cast<float>(args.step_size));
  XLM_CUDA_CHECK_LAUNCH();
}

void sgd_update_cuda(const Tensor& param, const Tensor& grad, double lr, double weight_decay) {
  check_f32(param, "sgd_update");
  const long long n = param.numel();
  if (n == 0) return;
  CudaContext& ctx = CudaContext::get(param.device().index);
  sgd_update_kernel<<<blocks_for(n), kThreads, 0, ctx.stream>>>(static_cast<float*>(param.data_ptr()),
                                                                 static_cast<const float*>(grad.data_ptr()), n,
                                                                 static_cast<float>(lr),
                                                                 static_cast<float>(weight_decay));
  XLM_CUDA_CHECK_LAUNCH();
}

}  // namespace xlm::nn
