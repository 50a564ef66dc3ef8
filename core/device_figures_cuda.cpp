// CUDA device figures: the peak is SMs x fp32 lanes per SM x 2 FLOP (FMA) x
// the SM clock. Lanes per SM by compute capability, from NVIDIA's CUDA C++
// Programming Guide throughput table: 64 on 8.0 (A100), 128 on 8.6/8.9/9.0
// (H100/H200). The dense bf16/f16 tensor-core peak is SMs x FLOP per clock
// per SM x clock, with 1024 FLOP/clock/SM on 7.x, 2048 on 8.x (A100's 312
// TFLOP/s at 1410 MHz, 108 SMs) and 4096 on 9.0 (H100 SXM's 989 TFLOP/s at
// 1830 MHz, 132 SMs): NVIDIA's A100 and H100 whitepapers. 8.6/8.9 consumer
// parts get 8.x's figure, an over-estimate for some of them. Where NVIDIA's
// datasheet figure is known by the device's name (datasheet_tensor_peak), it
// wins: the clock read here is the maximum, above the tensor-core clock.
// Memory is what our stream-ordered pool holds in use, and its high-water mark.
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
  const double tensor_per_clock = major >= 9 ? 4096.0 : major == 8 ? 2048.0 : 1024.0;
  f.peak_tensor_flops = datasheet_tensor_peak(f.name);
  if (f.peak_tensor_flops == 0)
    f.peak_tensor_flops = ctx.props.multiProcessorCount * tensor_per_clock * clock_khz * 1e3;
  uint64_t used = 0, high = 0;
  XLM_CUDA_CHECK(cudaMemPoolGetAttribute(ctx.pool, cudaMemPoolAttrUsedMemCurrent, &used));
  XLM_CUDA_CHECK(cudaMemPoolGetAttribute(ctx.pool, cudaMemPoolAttrUsedMemHigh, &high));
  f.memory_mib = static_cast<double>(used) / (1024.0 * 1024.0);
  f.peak_memory_mib = static_cast<double>(high) / (1024.0 * 1024.0);
  return f;
}

}  // namespace xlm
