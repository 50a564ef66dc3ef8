// CPU figures from /proc (Linux): the peak assumes one 8-wide fp32 FMA pair
// per core and cycle (AVX2: 2 x 8 lanes x 2 FLOP = 32 FLOP/cycle), at the
// clock /proc/cpuinfo reports; the memory is VmRSS, its peak VmHWM. CUDA figures come from
// core/device_figures_cuda.cpp.
#include "core/device_figures.h"

#include "xlm/config.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace xlm {

#if XLM_WITH_CUDA
DeviceFigures cuda_device_figures(int device);  // core/device_figures_cuda.cpp
#endif

namespace {

DeviceFigures cpu_figures() {
  DeviceFigures f;
  double mhz = 0;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "model name" && f.name.empty()) f.name = value;
    if (key == "cpu MHz" && mhz == 0) mhz = std::atof(value.c_str());
  }
  if (f.name.empty()) f.name = "cpu";
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  f.peak_flops = cores * mhz * 1e6 * 32.0;
  std::ifstream status("/proc/self/status");
  while (std::getline(status, line)) {
    const bool rss = line.rfind("VmRSS:", 0) == 0, hwm = line.rfind("VmHWM:", 0) == 0;
    if (!rss && !hwm) continue;
    std::istringstream fields(line.substr(6));
    double kib = 0;
    fields >> kib;
    (rss ? f.memory_mib : f.peak_memory_mib) = kib / 1024.0;
  }
  return f;
}

}  // namespace

double datasheet_tensor_peak(const std::string& device_name) {
  const auto has = [&](const char* part) { return device_name.find(part) != std::string::npos; };
  // NVL boards (H100 NVL, H200 NVL) run lower clocks than SXM: not in the table.
  if (has("NVL")) return 0.0;
  if (has("H100") && has("PCIe")) return 756.0e12;  // H100 PCIe datasheet: 1,513 TFLOPS with sparsity
  if (has("H100") || has("H200")) return 989.4e12;  // H100 SXM, H200 SXM, GH200: 1,979 with sparsity
  if (has("A100")) return 312.0e12;                 // A100 SXM and PCIe
  return 0.0;
}

DeviceFigures device_figures(Device device) {
#if XLM_WITH_CUDA
  if (device.is_cuda()) return cuda_device_figures(device.index);
#endif
  (void)device;
  return cpu_figures();
}

}  // namespace xlm
