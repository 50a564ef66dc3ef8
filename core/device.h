// Where a tensor lives: the CPU or one CUDA device. Parsed from and printed
// as "cpu" / "cuda:N", the spelling users pass on the command line.
// "cpu:1" is a stand-in accelerator for machines without a GPU: host memory
// and the CPU kernels, but a device of its own, so every tensor must be moved
// to it and back as to a GPU. A tensor left on the host and combined with the
// model's is a DeviceError there, and a copy back to the host counts as the
// blocking transfer it would be on a GPU (core/host_reads.h): the host-side
// logic of a --device cuda run checked without one.
#pragma once

#include <string>

namespace xlm {

struct Device {
  enum class Kind { cpu, cuda };
  Kind kind = Kind::cpu;
  int index = 0;

  static Device cpu() { return {Kind::cpu, 0}; }
  static Device cuda(int i = 0) { return {Kind::cuda, i}; }
  bool is_cpu() const { return kind == Kind::cpu; }  // host memory and CPU kernels (cpu:1 too)
  bool is_cuda() const { return kind == Kind::cuda; }
  bool operator==(const Device& o) const { return kind == o.kind && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const;
  static Device parse(const std::string& s);  // "cpu", "cpu:1", "cuda", "cuda:1"; throws DeviceError
};

// Number of CUDA devices visible (0 in a CPU-only build or without a driver).
int cuda_device_count();
inline bool cuda_available() { return cuda_device_count() > 0; }

}  // namespace xlm
