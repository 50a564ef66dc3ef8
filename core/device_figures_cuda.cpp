// CUDA device figures: the peak is SMs x fp32 lanes per SM x 2 FLOP (FMA) x
// the SM clock. Lanes per SM by compute capability, from NVIDIA's CUDA C++
// Programming Guide throughput table: 64 on 8.0 (A100), 128 on 8.6/8.9/9.0
// (H100/H200). Tensor-core peaks are not used: training runs in fp32 today.
// Memory is what our stream-ordered pool holds in use.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/device_figures.h"

#include <cstdint>

namespace xlm {

DeviceFigures cuda_device_figures(int device) {
  CudaContext& ctx = CudaContext::get(device);
  DeviceFigures f;
  f.name = ctx.props.name;
  int clock_khz = 0;
  XLM_CUDA_CHECK(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, device));
  const int major = ctx.props.major, minor = ctx.props.minor;
  const double lanes = (major == 8 && minor == 0) ? 64.0 : 128.0;
  f.peak_flops = ctx.props.multiProcessorCount * lanes * 2.0 * clock_khz * 1e3;
  uint64_t used = 0;
  XLM_CUDA_CHECK(cudaMemPoolGetAttribute(ctx.pool, cudaMemPoolAttrUsedMemCurrent, &used));
  f.memory_mib = static_cast<double>(used) / (1024.0 * 1024.0);
  return f;
}

}  // namespace xlm
