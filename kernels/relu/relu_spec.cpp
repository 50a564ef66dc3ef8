// Harness entry for ReLU: elementwise, so shapes only need odd sizes and ranks.
// Inputs are drawn from [-4, 4] and nudged away from 0 by more than the
// finite-difference step, where the function has its kink.
#include "kernels/op_spec.h"
#include "kernels/relu/relu.h"

#include <cmath>

namespace xlm {

OpSpec spec_relu() {
  OpSpec s;
  s.name = "relu";
  s.cases = [] {
    std::vector<OpCase> cases;
    uint64_t seed = 500;
    for (Shape shape : {Shape{1}, Shape{7}, Shape{3, 5}, Shape{2, 3, 129}, Shape{1000}}) {
      Tensor x = random_uniform(shape, seed++, -4.0, 4.0);
      double* p = x.data<double>();
      for (int64_t i = 0; i < x.numel(); ++i)
        if (std::fabs(p[i]) < 1e-3) p[i] = p[i] < 0 ? -1e-3 : 1e-3;
      cases.push_back({shape_str(shape), {x}});
    }
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) { return relu(in[0]); };
  s.grad_inputs = {0};
  return s;
}

}  // namespace xlm
