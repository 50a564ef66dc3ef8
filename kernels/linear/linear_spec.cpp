// Harness entry for linear: x with and without leading batch dimensions
// (x (B, T, in) as the model calls it, a 1-D x as one row), sizes that are
// not multiples of any GEMM tile, widths of 1; every input is differentiable. Low-precision tolerances grow with the longest reduction
// (in forward; rows for the weight and bias gradients; out for grad_x), as
// in matmul's spec, since the epilogue adds the bias before the one rounding.
#include "kernels/linear/linear.h"
#include "kernels/op_spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace xlm {

namespace {

struct LinearCase {
  Shape lead;  // leading dims of x
  int64_t in, out;
};

const std::vector<LinearCase>& linear_case_list() {
  static const std::vector<LinearCase> list = {
      {{1}, 1, 1},  {{3}, 5, 7},     {{2, 3}, 17, 33}, {{5}, 65, 3},
      {{2, 3}, 33, 65}, {{}, 17, 5}, {{3, 1}, 7, 1},   {{7}, 129, 17},
  };
  return list;
}

Tolerance low_precision_tolerance(double unit_roundoff, int64_t length) {
  return {0.5 * unit_roundoff * std::sqrt(static_cast<double>(length)), 2.0 * unit_roundoff};
}

}  // namespace

OpSpec spec_linear() {
  OpSpec s;
  s.name = "linear";
  s.cases = [] {
    std::vector<OpCase> cases;
    uint64_t seed = 2300;
    for (const LinearCase& c : linear_case_list()) {
      Shape x_shape = c.lead;
      x_shape.push_back(c.in);
      const std::string label = fmt::format("x{} W[{}, {}]", shape_str(x_shape), c.out, c.in);
      cases.push_back({label,
                       {random_uniform(x_shape, seed), random_uniform({c.out, c.in}, seed + 1),
                        random_uniform({c.out}, seed + 2)}});
      seed += 3;
    }
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2]); };
  s.grad_inputs = {0, 1, 2};
  int64_t length = 1;
  for (const LinearCase& c : linear_case_list()) length = std::max({length, c.in, c.out, shape_numel(c.lead)});
  s.tolerance[DType::bf16] = low_precision_tolerance(1.0 / 256, length);  // 8 significant bits
  s.tolerance[DType::f16] = low_precision_tolerance(1.0 / 2048, length);  // 11 significant bits
  return s;
}

}  // namespace xlm
