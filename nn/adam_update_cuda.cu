// CUDA parameter updates: one fused grid-stride kernel per parameter tensor
// (decay + both moments + step in a single read/write of p, m, v), fp32 only:
// the engine keeps fp32 master weights and moments whatever the compute dtype.
// Scalars arrive as floats rounded once from the host's doubles, as on the CPU;
// the element math lives in adam_math.cuh, shared with the multi-tensor path.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "nn/adam_math.cuh"
#include "nn/adam_update.h"
#include "nn/adam_update_cuda.h"

namespace xlm::nn {

namespace {

__global__ void adam_update_kernel(float* p, const float* g, float* m, float* v, long long n, AdamScalars s) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    float mi = m[i], vi = v[i];
    p[i] = adam_element(p[i], g[i], mi, vi, s);
    m[i] = mi;
    v[i] = vi;
  }
}

__global__ void sgd_update_kernel(float* p, const float* g, long long n, float rate, float wd) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    p[i] = p[i] - rate * (g[i] + wd * p[i]);
}

}  // namespace

AdamScalars adam_scalars(const AdamUpdateArgs& args) {
  AdamScalars s;
  s.beta1 = static_cast<float>(args.beta1);
  s.one_minus_beta1 = static_cast<float>(1.0 - args.beta1);
  s.beta2 = static_cast<float>(args.beta2);
  s.one_minus_beta2 = static_cast<float>(1.0 - args.beta2);
  s.eps = static_cast<float>(args.eps);
  s.decay = static_cast<float>(-args.weight_decay * args.lr);
  s.step = static_cast<float>(args.step_size);
  s.decays = args.weight_decay != 0;
  return s;
}

void check_f32_params(const Tensor& param, const char* op) {
  if (param.dtype() != DType::f32)
    throw DTypeError(fmt::format("{} on CUDA supports f32 parameters (fp32 master weights), got {}", op,
                                 param.describe()));
}

void adam_update_cuda(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                      const AdamUpdateArgs& args) {
  check_f32_params(param, "adam_update");
  const long long n = param.numel();
  if (n == 0) return;
  CudaContext& ctx = CudaContext::get(param.device().index);
  adam_update_kernel<<<blocks_for(n), kThreads, 0, ctx.stream>>>(
      static_cast<float*>(param.data_ptr()), static_cast<const float*>(grad.data_ptr()),
      static_cast<float*>(exp_avg.data_ptr()), static_cast<float*>(exp_avg_sq.data_ptr()), n, adam_scalars(args));
  XLM_CUDA_CHECK_LAUNCH();
}

void sgd_update_cuda(const Tensor& param, const Tensor& grad, double lr, double weight_decay) {
  check_f32_params(param, "sgd_update");
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
