// What a throughput report needs to know about a device: its name, an
// estimate of its peak fp32 throughput (the denominator of MFU) and the
// memory our process holds on it. Peaks are estimates from public
// per-architecture figures (docs/cli.md cites them), not measurements.
// The bf16/f16 peak is the denominator of MFU for a mixed-precision run.
#pragma once

#include "core/device.h"

#include <string>

namespace xlm {

struct DeviceFigures {
  std::string name;
  double peak_flops = 0;         // dense fp32 FLOP/s (0 when unknown)
  double peak_tensor_flops = 0;  // dense bf16/f16 tensor-core FLOP/s (CUDA; 0 on the CPU)
  double memory_mib = 0;         // CPU: resident set; CUDA: bytes in use in our memory pool
  double peak_memory_mib = 0;    // the high-water mark of memory_mib (CPU: VmHWM; CUDA: the pool's)
};

DeviceFigures device_figures(Device device);

// NVIDIA's published dense bf16/f16 tensor-core peak (FP32 accumulation) for
// the GPUs whose name identifies it, in FLOP/s; 0 for any other name. The
// usual MFU denominator: on Hopper it is reached at the tensor-core clock
// (1.83 GHz on H100 SXM), below the maximum clock the device reports
// (1.98 GHz), so the clock formula alone overstates it by 8%.
double datasheet_tensor_peak(const std::string& device_name);

}  // namespace xlm
