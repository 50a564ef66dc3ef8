// Shared pieces of the op specs: default tolerances (kept in step with
// docs/numerics.md), seeded input generators, and the registry built from
// kernels/ops.def. Compiled into the test binary only.
#include "kernels/op_spec.h"

#include <random>

namespace xlm {

Tolerance default_tolerance(DType dtype) {
  switch (dtype) {
    case DType::f64: return {1e-10, 1e-9};
    case DType::f32: return {1e-5, 1e-4};
    case DType::f16: return {2e-3, 4e-3};
    case DType::bf16: return {1e-2, 2e-2};
    default: return {0.0, 0.0};  // integer outputs must match exactly
  }
}

Tolerance OpSpec::tolerance_for(DType dtype) const {
  auto it = tolerance.find(dtype);
  return it == tolerance.end() ? default_tolerance(dtype) : it->second;
}

Tensor random_uniform(const Shape& shape, uint64_t seed, double lo, double hi) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(static_cast<size_t>(shape_numel(shape)));
  for (double& x : v) x = dist(rng);
  return Tensor::from_vector(v, shape);
}

Tensor random_indices(const Shape& shape, uint64_t seed, int64_t upper, DType dtype) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> dist(0, upper - 1);
  std::vector<double> v(static_cast<size_t>(shape_numel(shape)));
  for (double& x : v) x = static_cast<double>(dist(rng));
  return Tensor::from_doubles(v, shape, dtype);
}

std::vector<OpSpec> all_op_specs() {
  return {
#define XLM_OP(name) spec_##name(),
#include "kernels/ops.def"
#undef XLM_OP
  };
}

}  // namespace xlm
