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
  if (!t.device().is_cpu()) return t.to_vector<T>();  // a real transfer, counted there
  const T* p = t.data<T>();                           // checks the dtype
  return std::vector<T>(p, p + t.numel());
}

std::vector<int64_t> host_int64_values(const Tensor& t) {
  if (t.dtype() == DType::i64) return host_values<int64_t>(t);
  XLM_CHECK(t.dtype() == DType::i32, DTypeError, "host_int64_values: {} is not an i32 or i64 tensor", t.describe());
  const std::vector<int32_t> narrow = host_values<int32_t>(t);
  return std::vector<int64_t>(narrow.begin(), narrow.end());
}

template std::vector<float> host_values(const Tensor&);
template std::vector<double> host_values(const Tensor&);
template std::vector<int32_t> host_values(const Tensor&);
template std::vector<int64_t> host_values(const Tensor&);
template std::vector<uint8_t> host_values(const Tensor&);

}  // namespace xlm
