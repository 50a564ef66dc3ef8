// The device half of xlm_kernel_bench, behind a header free of CUDA types so
// the row definitions (kernel_bench.cpp) stay plain C++: the timing method
// (L2 flush, CUDA events, warm-up, rotation over input sets), the two
// ceilings every row is compared with, and device-side input generation
// (filling hundreds of MB from the host would dominate the run).
#pragma once

#include "core/tensor.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace xlm::bench {

struct DeviceInfo {
  std::string name;
  std::string compute_capability;  // "9.0"
  int64_t l2_bytes = 0;
};
DeviceInfo device_info();  // device 0

// Times run(set) on device 0's stream: `warmup` untimed runs, then `runs`
// timed ones, each preceded by a write of `flush_bytes` (> L2) so no run
// finds its inputs in L2, with run r using input set r % sets. Returns the
// milliseconds of each timed run (CUDA events around the run only).
class Timer {
 public:
  Timer();  // allocates the flush buffer: twice the L2 size
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  std::vector<double> time(const std::function<void(int)>& run, int warmup, int runs, int sets);
  int64_t flush_bytes() const { return flush_bytes_; }

 private:
  void* flush_ = nullptr;  // (flush_bytes_,) bytes on the device
  int64_t flush_bytes_ = 0;
};

// Uniform values in [lo, hi) from a counter hash of (seed, index): f32, bf16, f16.
void fill_uniform(Tensor& t, uint64_t seed, float lo, float hi);
// i64 values in [0, bound).
void fill_indices(Tensor& t, uint64_t seed, int64_t bound);
// Device-to-device copy of `bytes` on device 0's stream.
void device_copy(void* dst, const void* src, size_t bytes);
// One cuBLAS bf16 GEMM (m, n, k), fp32 accumulation, on device 0's stream;
// a, b, c are bf16 buffers of m*k, k*n, m*n elements.
void gemm_bf16(const Tensor& a, const Tensor& b, Tensor& c, int64_t m, int64_t n, int64_t k);

// Why the cuDNN attention rows cannot run in this build, or "" when they can.
std::string cudnn_attention_unavailable();

}  // namespace xlm::bench
