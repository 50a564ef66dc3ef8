// Harness entry for max_last. Inputs are a shuffled evenly spaced grid, so all
// values differ by far more than the finite-difference step and the max is
// differentiable at every sample. (Values that collide after rounding to
// bf16/f16 are harmless: CPU and CUDA both pick the lowest index.)
#include "kernels/max_last/max_last.h"
#include "kernels/op_spec.h"

#include <algorithm>
#include <random>

namespace xlm {

namespace {
// f64 on the CPU: a permutation of n evenly spaced values in (-4, 4).
Tensor distinct_values(const Shape& shape, uint64_t seed) {
  const int64_t n = shape_numel(shape);
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) v[static_cast<size_t>(k)] = -4.0 + 8.0 * (static_cast<double>(k) + 0.5) / n;
  std::mt19937_64 rng(seed);
  std::shuffle(v.begin(), v.end(), rng);
  return Tensor::from_vector(v, shape);
}
}  // namespace

OpSpec spec_max_last() {
  OpSpec s;
  s.name = "max_last";
  s.cases = [] {
    std::vector<OpCase> cases;
    uint64_t seed = 700;
    for (Shape shape : {Shape{1}, Shape{7}, Shape{3, 33}, Shape{2, 3, 129}, Shape{2, 3, 5, 7}, Shape{1000},
                        Shape{4, 1000}, Shape{129, 1}})
      cases.push_back({shape_str(shape), {distinct_values(shape, seed++)}});
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) { return max_last(in[0], in[0].dim() % 2 == 0); };
  s.grad_inputs = {0};
  return s;
}

}  // namespace xlm
