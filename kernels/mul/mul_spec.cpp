// Harness entry for mul: the same shape list as add (both bias patterns, a
// scalar b, ranks 1-4, odd sizes). On CUDA the gradient of b sums up to 1000
// products each already rounded to the storage dtype, while the reference
// sums exact products, so bf16/f16 get looser tolerances than elementwise ops.
#include "kernels/mul/mul.h"
#include "kernels/op_spec.h"

#include <utility>

namespace xlm {

OpSpec spec_mul() {
  OpSpec s;
  s.name = "mul";
  s.cases = [] {
    const std::pair<Shape, Shape> shapes[] = {
        {{1}, {1}},           {{7}, {}},              {{3, 5}, {3, 5}},         {{3, 33}, {33}},
        {{2, 3, 129}, {129}}, {{2, 3, 7}, {3, 7}},    {{2, 1, 3, 33}, {1, 3, 33}}, {{2, 3, 5, 7}, {7}},
        {{1000}, {1000}},     {{1000, 3}, {3}},       {{4, 1000}, {1000}},
    };
    std::vector<OpCase> cases;
    uint64_t seed = 300;
    for (const auto& [a, b] : shapes) {
      cases.push_back({shape_str(a) + " * " + shape_str(b), {random_uniform(a, seed), random_uniform(b, seed + 1)}});
      seed += 2;
    }
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) { return mul(in[0], in[1]); };
  s.grad_inputs = {0, 1};
  s.tolerance[DType::bf16] = {3e-2, 3e-2};
  s.tolerance[DType::f16] = {5e-3, 5e-3};
  return s;
}

}  // namespace xlm
