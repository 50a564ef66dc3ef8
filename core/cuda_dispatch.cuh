// Dtype dispatch and conversions for CUDA kernels. Kernels load bf16/f16/f32,
// compute in fp32 (accumulate in fp32 or better), and store back in the
// tensor's dtype: `load_float` / `store_float` are the only conversions.
#pragma once

#include "core/error.h"
#include "core/tensor.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace xlm {

__device__ __forceinline__ float load_float(float x) { return x; }
__device__ __forceinline__ float load_float(__half x) { return __half2float(x); }
__device__ __forceinline__ float load_float(__nv_bfloat16 x) { return __bfloat162float(x); }

template <typename T> __device__ __forceinline__ T store_float(float x);
template <> __device__ __forceinline__ float store_float<float>(float x) { return x; }
template <> __device__ __forceinline__ __half store_float<__half>(float x) { return __float2half_rn(x); }
template <> __device__ __forceinline__ __nv_bfloat16 store_float<__nv_bfloat16>(float x) {
  return __float2bfloat16_rn(x);
}

// For kernels that only move elements (permute, concat) and never read their
// values: calls fn(tag) with the unsigned integer type of t's element size.
template <typename Fn>
void dispatch_by_element_size(const Tensor& t, const char* op, Fn&& fn) {
  switch (dtype_size(t.dtype())) {
    case 1: fn(uint8_t{}); return;
    case 2: fn(uint16_t{}); return;
    case 4: fn(uint32_t{}); return;
    case 8: fn(uint64_t{}); return;
    default: throw DTypeError(fmt::format("{}: unsupported element size of {}", op, t.describe()));
  }
}

}  // namespace xlm

// XLM_DISPATCH_CUDA_FLOAT(dtype, "op", [&](auto tag) { using T = decltype(tag); ... });
#define XLM_DISPATCH_CUDA_FLOAT(dtype, op_name, ...)                                                   \
  [&] {                                                                                                \
    auto xlm_body_ = __VA_ARGS__;                                                                      \
    switch (dtype) {                                                                                   \
      case ::xlm::DType::f32: return xlm_body_(float{});                                               \
      case ::xlm::DType::f16: return xlm_body_(__half{});                                              \
      case ::xlm::DType::bf16: return xlm_body_(__nv_bfloat16{});                                      \
      default:                                                                                         \
        throw ::xlm::DTypeError(fmt::format("{} on CUDA supports f32, f16 and bf16, got {}", op_name, \
                                            ::xlm::dtype_name(dtype)));                                \
    }                                                                                                  \
  }()
