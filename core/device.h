// Where a tensor lives: the CPU or one CUDA device. Parsed from and printed
// as "cpu" / "cuda:N", the spelling users pass on the command line.
#pragma once

#include <string>

namespace xlm {

struct Device {
  enum class Kind { cpu, cuda };
  Kind kind = Kind::cpu;
  int index = 0;

  static Device cpu() { return {Kind::cpu, 0}; }
  static Device cuda(int i = 0) { return {Kind::cuda, i}; }
  bool is_cpu() const { return kind == Kind::cpu; }
  bool is_cuda() const { return kind == Kind::cuda; }
  bool operator==(const Device& o) const { return kind == o.kind && (kind == Kind::cpu || index == o.index); }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const;
  static Device parse(const std::string& s);  // "cpu", "cuda", "cuda:1"; throws DeviceError
};

// Number of CUDA devices visible (0 in a CPU-only build or without a driver).
int cuda_device_count();
inline bool cuda_available() { return cuda_device_count() > 0; }

}  // namespace xlm
