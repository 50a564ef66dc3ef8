// GELU's value and derivative as the CPU twins of gelu and bias_gelu compute
// them, in one place so that bias_gelu(x, b) stays bit-identical to
// gelu(add(x, b)). float uses the vectorisable erf/exp of core/vec_math.h
// (~1 ulp, docs/numerics.md) so the loops calling these vectorise; double keeps
// std::erf / std::exp, the exact reference the harness compares against.
#pragma once

#include "core/vec_math.h"

#include <cmath>

namespace xlm::gelu_math {

// 0.5 z (1 + erf(z / sqrt 2))
inline float value(float z) { return 0.5f * z * (1.0f + vec::erf(z * 0.70710678118654752f)); }
inline double value(double z) { return 0.5 * z * (1.0 + std::erf(z / std::sqrt(2.0))); }

// d gelu / dz = Phi(z) + z phi(z)
inline float derivative(float z) {
  const float cdf = 0.5f * (1.0f + vec::erf(z * 0.70710678118654752f));
  const float pdf = 0.3989422804014327f * vec::exp(-0.5f * z * z);
  return cdf + z * pdf;
}
inline double derivative(double z) {
  const double cdf = 0.5 * (1.0 + std::erf(z / std::sqrt(2.0)));
  const double pdf = 0.3989422804014327 * std::exp(-0.5 * z * z);
  return cdf + z * pdf;
}

}  // namespace xlm::gelu_math
