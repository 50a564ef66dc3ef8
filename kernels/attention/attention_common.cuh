// What every fused-attention kernel shares: the launch arguments as one
// plain struct passed by value, and the two rules that must read the same in
// every kernel and in attention_cpu.cpp: which keys a query sees (a prefix
// j < visible_keys, from the key length and the causal offset Tk - Tq) and
// the Philox dropout factor of weight (b, h, i, j) at flat index
// ((b*H + h)*Tq + i)*Tk + j (the dropout op's keep test, core/philox.h).
// Include only from CUDA-only sources (*_cuda.cu).
#pragma once

#include "core/philox.h"

#include <cuda_runtime.h>

#include <math.h>

namespace xlm::attention_detail {

struct AttentionArgs {
  const void* lengths;  // (B,) i32 or i64 on the device, or null (no padding mask)
  int lengths_i64;      // 1 when lengths are i64
  int causal;
  long long heads, tq, tk;
  int d;
  float scale;          // 1 / sqrt(D)
  int dropout;          // 1 when 0 < p
  float threshold;      // dropout_threshold(p)
  float keep_scale;     // 1 / (1 - p), 0 when p == 1
  unsigned long long seed, offset;
};

__device__ __forceinline__ long long key_length(const AttentionArgs& a, long long b) {
  if (a.lengths == nullptr) return a.tk;
  const long long length = a.lengths_i64 ? static_cast<const long long*>(a.lengths)[b]
                                         : static_cast<long long>(static_cast<const int*>(a.lengths)[b]);
  // Clamped: a bad length is reported by the front's device check, never read past.
  return length < 0 ? 0LL : (length > a.tk ? a.tk : length);
}

// Keys j < visible_keys(...) are seen by query i of a batch entry with `length` keys.
__device__ __forceinline__ long long visible_keys(const AttentionArgs& a, long long length, long long i) {
  if (!a.causal) return length;
  const long long causal_limit = i + a.tk - a.tq + 1;
  return min(length, causal_limit > 0 ? causal_limit : 0LL);
}

// 0 (dropped) or keep_scale (kept) for the weight at flat (B, H, Tq, Tk) index `flat`; 1 without dropout.
__device__ __forceinline__ float dropout_factor(const AttentionArgs& a, long long flat) {
  if (!a.dropout) return 1.0f;
  return philox_uniform(a.seed, a.offset + static_cast<unsigned long long>(flat)) > a.threshold ? a.keep_scale : 0.0f;
}

// Row offset of (b, t, h) in a [B, T, H, D] tensor.
__device__ __forceinline__ long long row_offset(long long b, long long t, long long h, long long t_len,
                                                long long heads, long long d) {
  return ((b * t_len + t) * heads + h) * d;
}

}  // namespace xlm::attention_detail
