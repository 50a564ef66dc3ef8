// Harness entry for bias + GELU: N = 1, N not a multiple of 4 (scalar path)
// and a multiple of 4 (vector path), several leading shapes, and inputs far
// out in both tails (gelu(z) = z and 0 there, its derivative 1 and 0).
#include "kernels/bias_gelu/bias_gelu.h"
#include "kernels/op_spec.h"

#include <fmt/format.h>

namespace xlm {

OpSpec spec_bias_gelu() {
  OpSpec s;
  s.name = "bias_gelu";
  s.cases = [] {
    std::vector<OpCase> cases;
    uint64_t seed = 2200;
    struct Case {
      Shape shape;
      double lo, hi;
    };
    for (const Case& c : {Case{{1}, -4, 4}, Case{{5, 1}, -4, 4}, Case{{3, 7}, -4, 4}, Case{{2, 3, 129}, -4, 4},
                          Case{{4, 64}, -4, 4}, Case{{3, 1000}, -4, 4}, Case{{6, 20}, 30, 60},
                          Case{{6, 20}, -60, -30}}) {
      OpCase oc;
      oc.label = fmt::format("{} range [{}, {}]", shape_str(c.shape), c.lo, c.hi);
      oc.inputs = {random_uniform(c.shape, seed, c.lo, c.hi), random_uniform({c.shape.back()}, seed + 1, -1.0, 1.0)};
      seed += 2;
      cases.push_back(std::move(oc));
    }
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) { return bias_gelu(in[0], in[1]); };
  s.grad_inputs = {0, 1};
  return s;
}

}  // namespace xlm
