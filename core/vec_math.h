// Branch-free float exp and erf that GCC auto-vectorises. libm's expf/erff
// are calls per element, so a loop that uses them never vectorises, and at one
// thread they were ~8% of a CPU training step (GELU's erf, the exponentials
// of cross-entropy and of GELU's backward). These are plain inline functions
// made only of arithmetic and integer bit operations, so a loop calling them
// vectorises at the baseline ISA (SSE2) and at wider ones. Every choice is an
// integer comparison on the float's bits and a bitwise select: GCC does not
// if-convert a float comparison under its default -ftrapping-math (the
// comparison could raise an FP exception), which would keep the loop scalar.
// Both are within ~1 ulp of the correctly rounded value over their whole
// domain (tests/core/test_vec_math.cpp sweeps them against double std::exp /
// std::erf); derivations and the fits' sources are in docs/numerics.md.
// Only float has a fast version: the f64 CPU path is the harness reference and
// keeps std::exp / std::erf.
#pragma once

#include <cstdint>
#include <cstring>

// Put on a (non-template) function holding a hot float loop: GCC compiles it
// three times, for AVX-512 (avx512f), AVX2 and the baseline ISA, and picks one
// at load time (an ifunc resolved from CPUID, which also checks that the OS
// saves the 512-bit state), so the loop runs 16 or 8 floats wide where the CPU
// allows without building the engine for one CPU. The clones compute the same
// bits (docs/numerics.md): the AVX2 target does not include FMA, AVX-512F does
// but the build passes -ffp-contract=off (CMakeLists.txt), so nothing is
// contracted; wider vectors do the same operations per element, and
// reductions run in fixed partial sums. On Zen 4 the AVX-512 clones of GELU's
// loops took ~28% less time than the AVX2 ones (docs/performance.md).
// A cloned function is always called through the ifunc, never inlined (Clang
// rejects noinline next to it); XLM_VEC_NOINLINE_FN is XLM_VEC_CLONES where
// clones exist and noinline elsewhere.
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
#define XLM_VEC_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define XLM_VEC_NOINLINE_FN XLM_VEC_CLONES
#else
#define XLM_VEC_CLONES
#define XLM_VEC_NOINLINE_FN __attribute__((noinline))
#endif

namespace xlm::vec {

inline int32_t float_bits(float x) {
  int32_t i;
  std::memcpy(&i, &x, sizeof i);
  return i;
}

inline float bits_float(uint32_t i) {
  float x;
  std::memcpy(&x, &i, sizeof x);
  return x;
}

// All ones where `take_a`, else zero: the mask select() takes.
inline uint32_t mask(bool take_a) { return 0u - static_cast<uint32_t>(take_a); }

// a where the mask is set, else b, bit for bit.
inline float select(uint32_t m, float a, float b) {
  return bits_float((m & static_cast<uint32_t>(float_bits(a))) | (~m & static_cast<uint32_t>(float_bits(b))));
}

// |x| bits: non-negative, ordered like the magnitudes; NaNs above infinity.
inline int32_t abs_bits(float x) { return float_bits(x) & 0x7fffffff; }

inline bool is_nan(float x) { return abs_bits(x) > 0x7f800000; }

// e^x. Cody-Waite reduction x = k ln2 + r with |r| <= ln2/2 (k found with the
// 1.5 * 2^23 rounding trick, which also leaves k as an integer in the low bits
// of t), Taylor polynomial of degree 7 for e^r (truncation < 6e-9 relative),
// then 2^k applied as two normal powers of two so that k in [-150, 128] needs
// no special case: x < -104 underflows to 0, x > 88.73 overflows to +inf, NaN
// stays NaN.
inline float exp(float x) {
  const float in = x;
  // As unsigned bits, negative floats sort above positive ones, larger magnitudes higher.
  x = select(mask(static_cast<uint32_t>(float_bits(x)) > static_cast<uint32_t>(float_bits(-104.0f))), -104.0f, x);
  x = select(mask(float_bits(x) > float_bits(89.0f)), 89.0f, x);  // signed: only positive x (and +NaN) pass
  const float magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float t = x * 1.44269504088896341f + magic;
  const float k = t - magic;
  const int32_t ki = float_bits(t) - float_bits(magic);  // k as an integer
  const float r = (x - k * 0.693145751953125f) - k * 1.428606765330187045e-6f;  // ln2 = hi + lo, hi exact in 16 bits
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t a = ki >> 1, b = ki - a;  // both in [-75, 64]: normal powers of two
  const float pow_a = bits_float(static_cast<uint32_t>(a + 127) << 23);
  const float pow_b = bits_float(static_cast<uint32_t>(b + 127) << 23);
  const float e = p * pow_a * pow_b;
  return select(mask(is_nan(in)), in, e);
}

// erf(x). Two fits, both evaluated and one selected (no branch):
//   |x| < 1:      erf(x) = x + x * P(x^2), P of degree 6 fitting
//                 erf(x)/x - 1 (absolute error 1.3e-9);
//   1 <= |x| < 4: erf(|x|) = 1 - exp(Q(u) - x^2), u = (|x| - 2.5) / 1.5, Q of
//                 degree 8 fitting log(erfc(a)) + a^2 (absolute error 1.2e-8);
//   |x| >= 4:     +-1 (erfc(4) = 1.5e-8 is below half an ulp of 1).
// The coefficients are near-minimax fits (Lawson's iteratively reweighted
// least squares on Chebyshev nodes, in double), rounded to float one at a
// time with the later ones refitted after each rounding.
inline float erf(float x) {
  const int32_t abits = abs_bits(x);
  const float ax = bits_float(static_cast<uint32_t>(abits));
  const float t = x * x;
  float p = 7.920368080e-05f;
  p = p * t - 8.030761383e-04f;
  p = p * t + 5.190733820e-03f;
  p = p * t - 2.685512602e-02f;
  p = p * t + 1.128361821e-01f;
  p = p * t - 3.761262894e-01f;
  p = p * t + 1.283791661e-01f;
  const float small = x + x * p;  // the leading 1 kept exact: 2/sqrt(pi) = 1 + 0.128...

  const float a = select(mask(abits > float_bits(4.0f)), 4.0f, ax);
  const float u = (a - 2.5f) * (1.0f / 1.5f);
  float q = 4.127019929e-05f;
  q = q * u - 2.269597753e-04f;
  q = q * u + 8.816134068e-04f;
  q = q * u - 3.191275289e-03f;
  q = q * u + 1.096124668e-02f;
  q = q * u - 3.664706647e-02f;
  q = q * u + 1.262392253e-01f;
  q = q * u - 5.290210843e-01f;
  q = q * u - 1.556815267e+00f;
  const float large = 1.0f - exp(q - a * a);
  // Sign of x onto the large branch; NaN (above 4) gives +-1 there, so it is passed through.
  const float large_signed = bits_float(static_cast<uint32_t>(float_bits(large) | (float_bits(x) & INT32_MIN)));
  return select(mask(abits < float_bits(1.0f)), small, select(mask(is_nan(x)), x, large_signed));
}

// sum_j a[j] b[j] in double, in kDotLanes fixed partial sums (so the loop
// vectorises and the result does not depend on how callers split their rows
// over threads); the row reductions of the softmax and attention twins.
constexpr int kDotLanes = 8;
template <typename T>
double dot(const T* a, const T* b, int64_t n) {
  double lane[kDotLanes] = {};
  int64_t j = 0;
  for (; j + kDotLanes <= n; j += kDotLanes)
    for (int l = 0; l < kDotLanes; ++l) lane[l] += static_cast<double>(a[j + l]) * static_cast<double>(b[j + l]);
  double s = 0;
  for (; j < n; ++j) s += static_cast<double>(a[j]) * static_cast<double>(b[j]);
  for (int l = 0; l < kDotLanes; ++l) s += lane[l];
  return s;
}

}  // namespace xlm::vec
