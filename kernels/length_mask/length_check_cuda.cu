// CUDA half of kernels/length_mask/length_check.h: one thread per row; a bad
// length is recorded in the device error slot, nothing is written otherwise.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/device_errors.cuh"
#include "core/device_errors_cuda.h"
#include "kernels/length_mask/length_check.h"

namespace xlm {

namespace {

template <typename I>
__global__ void length_check_kernel(const I* lengths, long long B, long long lo, long long hi, DeviceCheck check) {
  for (long long b = blockIdx.x * (long long)blockDim.x + threadIdx.x; b < B; b += (long long)gridDim.x * blockDim.x) {
    const long long v = static_cast<long long>(lengths[b]);
    if (v < lo || v > hi) record_device_error(check, b, v);
  }
}

}  // namespace

void check_lengths_in_range_cuda(const Tensor& lengths, int64_t lo, int64_t hi, LengthErrorThrower thrower) {
  const long long B = lengths.numel();
  CudaContext& ctx = CudaContext::get(lengths.device().index);
  const DeviceCheck check = expect_device_error(ctx.device, [thrower = std::move(thrower)](int64_t b, int64_t v) {
    thrower(b, v, " (detected on the device)");
  });
  if (lengths.dtype() == DType::i32)
    length_check_kernel<<<blocks_for(B), kThreads, 0, ctx.stream>>>(lengths.data<int32_t>(), B, lo, hi, check);
  else
    length_check_kernel<<<blocks_for(B), kThreads, 0, ctx.stream>>>(lengths.data<int64_t>(), B, lo, hi, check);
  XLM_CUDA_CHECK_LAUNCH();
}

}  // namespace xlm
