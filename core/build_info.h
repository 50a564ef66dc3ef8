// What this binary was built with and what it can see, for `xlm --version`
// and for benchmark result files (so every figure names its build).
#pragma once

#include <string>
#include <vector>

namespace xlm {

struct GpuInfo {
  int index;
  std::string name;
  int major, minor;     // compute capability
  double memory_gib;
};

std::vector<GpuInfo> visible_gpus();  // empty without CUDA or without a GPU
std::string build_report();           // multi-line, ends with '\n'

}  // namespace xlm
