// CUDA cast: one grid-stride kernel per (source, target) pair, following the
// rules of cast.h with CUDA's correctly rounded intrinsics
// (__double2float_rn/_rz, __float2bfloat16_rn, __float2half_rn) so that the
// result is bit-identical with cast_cpu.cpp; tests/test_cast.cpp checks it.
// A NaN source is recognised, with its sign, from its own bits: the hardware's
// widening conversions (cvt.f32.f16 behind __half2float, found by the audit of
// 2026-11-22 before any GPU run) may return a canonical NaN without the input's
// sign, and cast.h keeps the sign.
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "kernels/cast/cast.h"
#include "kernels/cast/cast_visit.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

namespace xlm {

namespace {

template <DType D> struct Elem;
template <> struct Elem<DType::f32> { using type = float; };
template <> struct Elem<DType::f64> { using type = double; };
template <> struct Elem<DType::bf16> { using type = __nv_bfloat16; };
template <> struct Elem<DType::f16> { using type = __half; };
template <> struct Elem<DType::i32> { using type = int32_t; };
template <> struct Elem<DType::i64> { using type = int64_t; };
template <> struct Elem<DType::u8> { using type = uint8_t; };
template <DType D> using elem_t = typename Elem<D>::type;

using cast_detail::DTag;
using cast_detail::is_integer;
using cast_detail::visit;

template <DType S> __device__ __forceinline__ double to_double(elem_t<S> v) {
  if constexpr (S == DType::bf16) return static_cast<double>(__bfloat162float(v));
  else if constexpr (S == DType::f16) return static_cast<double>(__half2float(v));
  else return static_cast<double>(v);  // round to nearest for i64
}

// Truncate to f32, then set the last bit if inexact (round to odd): see cast_cpu.cpp.
__device__ __forceinline__ float round_to_odd_float(double d) {
  const float f = __double2float_rz(d);
  if (static_cast<double>(f) == d) return f;
  return __uint_as_float(__float_as_uint(f) | 1u);
}

// Whether v is a NaN, from its bits, and its sign bit (integers never are).
template <DType S> __device__ __forceinline__ bool nan_bits(elem_t<S> v, bool& negative) {
  if constexpr (S == DType::f16) {
    const unsigned b = __half_as_ushort(v);
    negative = (b & 0x8000u) != 0;
    return (b & 0x7c00u) == 0x7c00u && (b & 0x03ffu) != 0;
  } else if constexpr (S == DType::bf16) {
    const unsigned b = __bfloat16_as_ushort(v);
    negative = (b & 0x8000u) != 0;
    return (b & 0x7f80u) == 0x7f80u && (b & 0x007fu) != 0;
  } else if constexpr (S == DType::f32) {
    const unsigned b = __float_as_uint(v);
    negative = (b >> 31) != 0;
    return (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0;
  } else if constexpr (S == DType::f64) {
    const unsigned long long b = static_cast<unsigned long long>(__double_as_longlong(v));
    negative = (b >> 63) != 0;
    return (b & 0x7ff0000000000000ULL) == 0x7ff0000000000000ULL && (b & 0x000fffffffffffffULL) != 0;
  } else {
    negative = false;
    return false;
  }
}

// The target's canonical quiet NaN with the given sign (floating targets).
template <DType D> __device__ __forceinline__ elem_t<D> quiet_nan(bool negative) {
  if constexpr (D == DType::f64) {
    return __longlong_as_double(0x7ff8000000000000LL | (negative ? (1LL << 63) : 0LL));
  } else if constexpr (D == DType::f32) {
    return __uint_as_float(0x7fc00000u | (negative ? 0x80000000u : 0u));
  } else if constexpr (D == DType::bf16) {
    return __ushort_as_bfloat16(static_cast<unsigned short>(0x7fc0u | (negative ? 0x8000u : 0u)));
  } else {
    static_assert(D == DType::f16, "quiet_nan: floating targets only");
    return __ushort_as_half(static_cast<unsigned short>(0x7e00u | (negative ? 0x8000u : 0u)));
  }
}

template <typename I> __device__ __forceinline__ I saturate_to_integer(double d, double lo, double hi_exclusive,
                                                                       I min_value, I max_value) {
  if (isnan(d)) return 0;
  if (d >= hi_exclusive) return max_value;
  if (d <= lo) return min_value;
  return static_cast<I>(d);  // truncation toward zero, in range
}

// d is not a NaN for a floating target: the kernel handles NaN sources first.
template <DType D> __device__ __forceinline__ elem_t<D> from_double(double d) {
  if constexpr (D == DType::f64) {
    return d;
  } else if constexpr (D == DType::f32) {
    return __double2float_rn(d);
  } else if constexpr (D == DType::bf16) {
    return __float2bfloat16_rn(round_to_odd_float(d));
  } else if constexpr (D == DType::f16) {
    return __float2half_rn(round_to_odd_float(d));
  } else if constexpr (D == DType::i32) {
    return saturate_to_integer<int32_t>(d, -2147483648.0, 2147483648.0, INT32_MIN, INT32_MAX);
  } else if constexpr (D == DType::i64) {
    return saturate_to_integer<int64_t>(d, -9223372036854775808.0, 9223372036854775808.0, INT64_MIN, INT64_MAX);
  } else {
    return saturate_to_integer<uint8_t>(d, 0.0, 256.0, 0, 255);
  }
}

template <DType S, DType D>
__global__ void cast_kernel(const elem_t<S>* __restrict__ in, elem_t<D>* __restrict__ out, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const elem_t<S> v = in[i];
    if constexpr (is_integer(S) && is_integer(D)) {
      out[i] = static_cast<elem_t<D>>(v);  // wraps
    } else if constexpr (is_integer(D)) {
      out[i] = from_double<D>(to_double<S>(v));  // NaN -> 0 (saturate_to_integer)
    } else {
      bool negative = false;
      out[i] = nan_bits<S>(v, negative) ? quiet_nan<D>(negative) : from_double<D>(to_double<S>(v));
    }
  }
}

}  // namespace

void cast_forward_cuda(const Tensor& x, Tensor& y) {
  const long long n = x.numel();
  if (n == 0) return;
  CudaContext& ctx = CudaContext::get(x.device().index);
  visit(x.dtype(), [&](auto src) {
    visit(y.dtype(), [&](auto dst) {
      constexpr DType S = decltype(src)::value;
      constexpr DType D = decltype(dst)::value;
      cast_kernel<S, D><<<blocks_for(n), kThreads, 0, ctx.stream>>>(static_cast<const elem_t<S>*>(x.data_ptr()),
                                                                     static_cast<elem_t<D>*>(y.data_ptr()), n);
      XLM_CUDA_CHECK_LAUNCH();
    });
  });
}

}  // namespace xlm
