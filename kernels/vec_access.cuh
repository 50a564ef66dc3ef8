// Four-element loads and stores shared by the fused row kernels
// (residual_layer_norm, bias_gelu). With kVec the four elements are one
// 8- or 16-byte transaction (the caller guarantees the alignment: row length
// a multiple of 4 and 4-element-aligned pointers); without it they are four
// bounds-checked scalar accesses, so odd sizes take the same code path.
// Include only from CUDA-only sources (*_cuda.cu).
#pragma once

#include "core/cuda_dispatch.cuh"

#include <cstdint>

namespace xlm {

template <typename T>
struct alignas(4 * sizeof(T)) Vec4 {
  T v[4];
};

// out[j] = p[c + j] as float for c + j < n (0 beyond).
template <typename T, bool kVec>
__device__ __forceinline__ void load4(const T* p, long long c, long long n, float out[4]) {
  if (kVec) {
    const Vec4<T> v = *reinterpret_cast<const Vec4<T>*>(p + c);
#pragma unroll
    for (int j = 0; j < 4; ++j) out[j] = load_float(v.v[j]);
  } else {
#pragma unroll
    for (int j = 0; j < 4; ++j) out[j] = c + j < n ? load_float(p[c + j]) : 0.0f;
  }
}

// p[c + j] = in[j] for c + j < n.
template <typename T, bool kVec>
__device__ __forceinline__ void store4(T* p, long long c, long long n, const float in[4]) {
  if (kVec) {
    Vec4<T> v;
#pragma unroll
    for (int j = 0; j < 4; ++j) v.v[j] = store_float<T>(in[j]);
    *reinterpret_cast<Vec4<T>*>(p + c) = v;
  } else {
#pragma unroll
    for (int j = 0; j < 4; ++j)
      if (c + j < n) p[c + j] = store_float<T>(in[j]);
  }
}

// True when p can be read as Vec4<T> at every multiple of 4 elements.
template <typename T>
inline bool vec4_aligned(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % (4 * sizeof(T)) == 0;
}

}  // namespace xlm
