// Harness entry for the residual layer norm. eps, p and the Philox offset are
// not tensors, so each case carries them in a fifth, non-floating input: an
// i64 [3] = {k for eps = 10^-k, p in thousandths, offset}. With a fixed seed
// the mask is a constant of the case, so finite differences see a smooth map.
// Cases: C = 1 (zero variance), C not a multiple of 4 (scalar path) and a
// multiple of 4 (vector path), offsets not multiples of 4 (draw groups that
// straddle Philox blocks), p = 0 (no draw) and p = 1 (f dropped entirely),
// and inputs of magnitude 1e4, positive and very negative. Cases marked
// `scaled` carry a sixth input, the row factor (...,): every third row 0 (a
// padded position), the others in [0.5, 2]; a constant, so not differentiated.
#include "kernels/op_spec.h"
#include "kernels/residual_layer_norm/residual_layer_norm.h"

#include <fmt/format.h>

#include <cmath>

namespace xlm {

OpSpec spec_residual_layer_norm() {
  OpSpec s;
  s.name = "residual_layer_norm";
  s.cases = [] {
    std::vector<OpCase> cases;
    uint64_t seed = 2100;
    struct Case {
      Shape shape;
      int64_t eps_exponent, p_thousandths, offset;
      double lo, hi;  // range of x and f
      bool scaled = false;
    };
    const std::vector<Case> list = {
        {{4, 1}, 12, 100, 0, -2, 2},          {{5, 3}, 12, 100, 5, -2, 2},
        {{2, 3, 7}, 5, 0, 0, -2, 2},          {{6, 32}, 12, 100, 4, -2, 2},
        {{3, 129}, 5, 250, 7, -2, 2},         {{2, 2, 64}, 12, 1000, 8, -2, 2},
        {{3, 1000}, 12, 100, 1, -2, 2},       {{9}, 5, 500, 3, -2, 2},
        {{3, 40}, 12, 100, 2, -1e4, 1e4},     {{2, 33}, 12, 100, 6, -1.1e4, -0.9e4},
        {{4, 3, 36}, 12, 100, 5, -2, 2, true}, {{7, 1}, 12, 0, 0, -2, 2, true},
        {{6, 131}, 5, 250, 3, -2, 2, true},
    };
    for (const Case& c : list) {
      const int64_t C = c.shape.back();
      OpCase oc;
      oc.label = fmt::format("{} eps=1e-{} p={} offset={} range [{}, {}]{}", shape_str(c.shape), c.eps_exponent,
                             static_cast<double>(c.p_thousandths) / 1000, c.offset, c.lo, c.hi,
                             c.scaled ? " row_scale" : "");
      oc.inputs = {random_uniform(c.shape, seed, c.lo, c.hi), random_uniform(c.shape, seed + 1, c.lo, c.hi),
                   random_uniform({C}, seed + 2, 0.5, 1.5), random_uniform({C}, seed + 3, -1.0, 1.0),
                   Tensor::from_vector<int64_t>({c.eps_exponent, c.p_thousandths, c.offset}, {3})};
      if (c.scaled) {
        const Shape rows(c.shape.begin(), c.shape.end() - 1);
        std::vector<double> scale = random_uniform(rows, 9100 + cases.size(), 0.5, 2.0).to_doubles();
        for (size_t r = 0; r < scale.size(); r += 3) scale[r] = 0.0;
        oc.inputs.push_back(Tensor::from_doubles(scale, rows, DType::f64));
      }
      seed += 4;
      cases.push_back(std::move(oc));
    }
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) {
    const std::vector<int64_t> ctl = in[4].to_vector<int64_t>();
    ResidualDropout d;
    d.p = static_cast<double>(ctl[1]) / 1000.0;
    d.seed = 0x2e51d0a1ULL;
    d.offset = static_cast<uint64_t>(ctl[2]);
    const Tensor row_scale = in.size() > 5 ? in[5] : Tensor();
    return residual_layer_norm(in[0], in[1], in[2], in[3], std::pow(10.0, -static_cast<double>(ctl[0])), d,
                               row_scale);
  };
  s.grad_inputs = {0, 1, 2, 3};
  return s;
}

}  // namespace xlm
