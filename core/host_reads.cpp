// The counters of core/host_reads.h: relaxed atomics, cheap enough to leave on
// in Release builds (what they count costs a device sync anyway), and
// host_values, the uncounted read of host-built tensors.
#include "core/host_reads.h"

#include "core/error.h"
#include "core/tensor.h"

#include <atomic>
#include <cstring>

namespace xlm {

namespace {
std::atomic<int64_t> g_host_reads{0};
std::atomic<int64_t> g_host_transfers{0};
}  // namespace

void count_host_read() { g_host_reads.fetch_add(1, std::memory_order_relaxed); }

int64_t host_read_count() { return g_host_reads.load(std::memory_order_relaxed); }

void count_host_transfer() { g_host_transfers.fetch_add(1, std::memory_order_relaxed); }

int64_t host_transfer_count() { return g_host_transfers.load(std::memory_order_relaxed); }

template <typename T>
std::vector<T> host_values(const Tensor& t) {
  if (t.device() != Device::cpu()) return t.to_vector<T>();  // a real transfer (or cpu:1's), counted there
  const T* p = t.data<T>();                           // checks the dtype
  return std::vector<T>(p, p + t.numel());
}

std::vector<int64_t> host_int64_values(const Tensor& t) {
  if (t.dtype() == DType::i64) return host_values<int64_t>(t);
  XLM_CHECK(t.dtype() == DType::i32, DTypeError, "host_int64_values: {} is not an i32 or i64 tensor", t.describe());
  const std::vector<int32_t> narrow = host_values<int32_t>(t);
  return std::vector<int64_t>(narrow.begin(), narrow.end());
}

std::vector<int64_t> kernel_int64_values(const Tensor& t) {
  XLM_CHECK(t.device().is_cpu(), DeviceError, "kernel_int64_values: {} is not in host memory", t.describe());
  if (t.dtype() == DType::i64) {
    const int64_t* p = t.data<int64_t>();
    return std::vector<int64_t>(p, p + t.numel());
  }
  XLM_CHECK(t.dtype() == DType::i32, DTypeError, "kernel_int64_values: {} is not an i32 or i64 tensor", t.describe());
  const int32_t* p = t.data<int32_t>();
  return std::vector<int64_t>(p, p + t.numel());
}

template std::vector<float> host_values(const Tensor&);
template std::vector<double> host_values(const Tensor&);
template std::vector<int32_t> host_values(const Tensor&);
template std::vector<int64_t> host_values(const Tensor&);
template std::vector<uint8_t> host_values(const Tensor&);

}  // namespace xlm
