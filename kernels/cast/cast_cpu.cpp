// CPU reference for cast: every conversion goes through the exact double
// value of the source (integer -> integer excepted, which wraps), then one
// rounding into the target using core/dtype.h's round-to-nearest-even
// bf16/f16 conversions. The rules are spelled out in cast.h; cast_cuda.cu
// implements the same ones with CUDA's intrinsics.
#include "core/error.h"
#include "kernels/cast/cast.h"
#include "kernels/cast/cast_visit.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace xlm {

namespace {

template <DType D> struct Elem;
template <> struct Elem<DType::f32> { using type = float; };
template <> struct Elem<DType::f64> { using type = double; };
template <> struct Elem<DType::bf16> { using type = uint16_t; };
template <> struct Elem<DType::f16> { using type = uint16_t; };
template <> struct Elem<DType::i32> { using type = int32_t; };
template <> struct Elem<DType::i64> { using type = int64_t; };
template <> struct Elem<DType::u8> { using type = uint8_t; };
template <DType D> using elem_t = typename Elem<D>::type;

using cast_detail::DTag;
using cast_detail::is_integer;
using cast_detail::visit;

template <DType S> double to_double(elem_t<S> v) {
  if constexpr (S == DType::bf16) return bf16_bits_to_float(v);
  else if constexpr (S == DType::f16) return f16_bits_to_float(v);
  else return static_cast<double>(v);
}

// d (not NaN) to f32 rounding toward zero, then setting the last bit if inexact
// ("round to odd"): a later round to nearest even into bf16/f16, which have
// far fewer bits, then gives the correctly rounded result of d.
float round_to_odd_float(double d) {
  float f = static_cast<float>(d);
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if (std::fabs(static_cast<double>(f)) > std::fabs(d)) --u;  // rounded away from zero: step back
  std::memcpy(&f, &u, 4);
  if (static_cast<double>(f) != d) u |= 1u;
  std::memcpy(&f, &u, 4);
  return f;
}

template <typename I> I saturate_to_integer(double d) {
  if (std::isnan(d)) return 0;
  const double lo = static_cast<double>(std::numeric_limits<I>::min());
  const double hi_exclusive = 2.0 * static_cast<double>(std::numeric_limits<I>::max() / 2 + 1);  // 2^31, 2^63, 256
  if (d >= hi_exclusive) return std::numeric_limits<I>::max();
  if (d <= lo) return std::numeric_limits<I>::min();
  return static_cast<I>(d);  // truncation toward zero, in range
}

template <DType D> elem_t<D> from_double(double d) {
  const bool negative = std::signbit(d);
  if constexpr (D == DType::f64) {
    return std::isnan(d) ? std::copysign(std::numeric_limits<double>::quiet_NaN(), negative ? -1.0 : 1.0) : d;
  } else if constexpr (D == DType::f32) {
    if (std::isnan(d)) {
      const uint32_t bits = 0x7fc00000u | (negative ? 0x80000000u : 0u);
      float f;
      std::memcpy(&f, &bits, 4);
      return f;
    }
    return static_cast<float>(d);
  } else if constexpr (D == DType::bf16) {
    if (std::isnan(d)) return static_cast<uint16_t>(0x7fc0u | (negative ? 0x8000u : 0u));
    return float_to_bf16_bits(round_to_odd_float(d));
  } else if constexpr (D == DType::f16) {
    if (std::isnan(d)) return static_cast<uint16_t>(0x7e00u | (negative ? 0x8000u : 0u));
    return float_to_f16_bits(round_to_odd_float(d));
  } else {
    return saturate_to_integer<elem_t<D>>(d);
  }
}

template <DType S, DType D> elem_t<D> convert(elem_t<S> v) {
  if constexpr (is_integer(S) && is_integer(D)) return static_cast<elem_t<D>>(v);  // wraps (two's complement)
  else return from_double<D>(to_double<S>(v));
}

}  // namespace

void cast_forward_cpu(const Tensor& x, Tensor& y) {
  const int64_t n = x.numel();
  visit(x.dtype(), [&](auto src) {
    visit(y.dtype(), [&](auto dst) {
      constexpr DType S = decltype(src)::value;
      constexpr DType D = decltype(dst)::value;
      const elem_t<S>* in = static_cast<const elem_t<S>*>(x.data_ptr());
      elem_t<D>* out = static_cast<elem_t<D>*>(y.data_ptr());
      for (int64_t i = 0; i < n; ++i) out[i] = convert<S, D>(in[i]);
    });
  });
}

}  // namespace xlm
