// Why: cuBLASLt asks for ~15 descriptor calls and an algorithm heuristic per
// GEMM, tens of microseconds of host time each time, although a training step
// runs the same few hundred GEMM shapes again and again. The CUDA matmul
// (kernels/matmul/matmul_cuda.cu) keeps what it built for a shape here and
// reuses it, so a repeated GEMM costs a hash lookup and the launch.
//
// Host-only (no CUDA types), so the key, the alignment rule and the cache's
// bookkeeping are tested on every machine (tests/test_gemm_plan_cache.cpp).
#pragma once

#include "core/dtype.h"
#include "core/fnv1a.h"
#include "kernels/matmul/matmul.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace xlm {

// Largest power of two (<= 256) dividing the address and, for batches
// (batch > 1), the batch stride in bytes: the alignment a GEMM kernel may
// assume for every matrix of the batch.
inline uint32_t gemm_alignment(uintptr_t address, int64_t batch_stride_bytes, int64_t batch) {
  uint64_t v = address;
  if (batch > 1) v |= static_cast<uint64_t>(batch_stride_bytes);
  uint32_t align = 256;
  while (align > 1 && (v % align) != 0) align /= 2;
  return align;
}

// Everything a plan depends on: the same key gives the same descriptors and
// the same algorithm. Pointers enter only through their alignments.
struct GemmPlanKey {
  std::array<int64_t, 16> fields{};
  bool operator==(const GemmPlanKey& o) const { return fields == o.fields; }
};

struct GemmPlanKeyHash {
  size_t operator()(const GemmPlanKey& key) const {
    return static_cast<size_t>(fnv1a64(key.fields.data(), sizeof(key.fields)));
  }
};

// The GEMM operands as lt_matmul sees them (strides in elements, used only
// when batch > 1); epilogue: the cuBLASLt epilogue's value (0 = none), bias
// its vector (nullptr without one).
struct GemmOperands {
  const void* a = nullptr;
  int64_t stride_a = 0;
  const void* b = nullptr;
  int64_t stride_b = 0;
  const void* c = nullptr;
  int64_t stride_c = 0;
  int epilogue = 0;
  const void* bias = nullptr;
};

// The alignments in bytes a GEMM kernel may assume for each operand (0: no bias).
struct GemmAlignments {
  uint32_t a = 0, b = 0, c = 0, bias = 0;
};

inline GemmAlignments gemm_alignments(DType dtype, int64_t batch, const GemmOperands& op) {
  const int64_t elem = static_cast<int64_t>(dtype_size(dtype));
  auto align = [&](const void* p, int64_t stride) {
    return gemm_alignment(reinterpret_cast<uintptr_t>(p), stride * elem, batch);
  };
  return {align(op.a, op.stride_a), align(op.b, op.stride_b), align(op.c, op.stride_c),
          op.bias != nullptr ? gemm_alignment(reinterpret_cast<uintptr_t>(op.bias), 0, 1) : 0u};
}

inline GemmPlanKey gemm_plan_key(int device, DType dtype, const MatmulDims& d, int64_t batch, const GemmOperands& op,
                                 const GemmAlignments& align) {
  GemmPlanKey key;
  key.fields = {device,
                static_cast<int64_t>(dtype),
                d.m,
                d.n,
                d.k,
                batch,
                batch > 1 ? op.stride_a : 0,
                batch > 1 ? op.stride_b : 0,
                batch > 1 ? op.stride_c : 0,
                d.transpose_a ? 1 : 0,
                d.transpose_b ? 1 : 0,
                op.epilogue,
                align.a,
                align.b,
                align.c,
                align.bias};
  return key;
}

struct GemmPlanCacheStats {
  int64_t hits = 0, misses = 0, flushes = 0;  // flushes: misses that found the cache full
  size_t size = 0;
};

// Plans by key, at most `capacity` of them: a miss on a full cache drops them
// all (a training run uses far fewer shapes; decoding's growing lengths would
// otherwise grow it without bound). Thread-safe: `use` runs under the lock,
// so a plan is never dropped or shared while a caller is using it.
template <typename Plan>
class GemmPlanCache {
 public:
  explicit GemmPlanCache(size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}

  // Calls use(plan) with the plan for `key`, first made by make() (which
  // returns std::unique_ptr<Plan>) on a miss; returns what use returns. A
  // throwing make() leaves the cache as it was.
  template <typename Make, typename Use>
  auto with_plan(const GemmPlanKey& key, Make&& make, Use&& use) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = plans_.find(key);
    if (it != plans_.end()) {
      ++hits_;
      return use(*it->second);
    }
    std::unique_ptr<Plan> plan = make();
    ++misses_;
    if (plans_.size() >= capacity_) {
      plans_.clear();
      ++flushes_;
    }
    Plan& ref = *plan;
    plans_.emplace(key, std::move(plan));
    return use(ref);
  }

  GemmPlanCacheStats stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return {hits_, misses_, flushes_, plans_.size()};
  }

 private:
  size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<GemmPlanKey, std::unique_ptr<Plan>, GemmPlanKeyHash> plans_;
  int64_t hits_ = 0, misses_ = 0, flushes_ = 0;
};

}  // namespace xlm
