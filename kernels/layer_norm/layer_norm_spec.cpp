// Harness entry for LayerNorm. eps is not a tensor, so each case carries it as
// a fourth, non-floating input: an i64 [1] holding k for eps = 10^-k (the
// harness moves it to the device untouched and never differentiates it).
// Cases cover XLM's eps = 1e-12 and the common 1e-5, odd C (1 gives a zero
// variance, where only eps keeps rstd finite), and several leading shapes.
#include "kernels/layer_norm/layer_norm.h"
#include "kernels/op_spec.h"

#include <fmt/format.h>

#include <cmath>

namespace xlm {

OpSpec spec_layer_norm() {
  OpSpec s;
  s.name = "layer_norm";
  s.cases = [] {
    std::vector<OpCase> cases;
    uint64_t seed = 300;
    struct Case {
      Shape shape;
      int64_t eps_exponent;
    };
    for (const Case& c : {Case{{4, 1}, 12}, Case{{5, 3}, 12}, Case{{2, 3, 7}, 5}, Case{{6, 33}, 12},
                          Case{{3, 129}, 5}, Case{{2, 2, 129}, 12}, Case{{3, 1000}, 12}, Case{{7}, 5}}) {
      const int64_t C = c.shape.back();
      OpCase oc;
      oc.label = fmt::format("{} eps=1e-{}", shape_str(c.shape), c.eps_exponent);
      oc.inputs = {random_uniform(c.shape, seed, -2.0, 2.0), random_uniform({C}, seed + 1, 0.5, 1.5),
                   random_uniform({C}, seed + 2, -1.0, 1.0), Tensor::from_vector<int64_t>({c.eps_exponent}, {1})};
      seed += 3;
      cases.push_back(std::move(oc));
    }
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) {
    const double eps = std::pow(10.0, -static_cast<double>(in[3].to_vector<int64_t>()[0]));
    return layer_norm(in[0], in[1], in[2], eps);
  };
  s.grad_inputs = {0, 1, 2};
  return s;
}

}  // namespace xlm
