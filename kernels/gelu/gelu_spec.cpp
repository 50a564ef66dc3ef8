// Harness entry for GELU: elementwise, so shapes only need odd sizes and ranks.
#include "kernels/gelu/gelu.h"
#include "kernels/op_spec.h"

namespace xlm {

OpSpec spec_gelu() {
  OpSpec s;
  s.name = "gelu";
  s.cases = [] {
    std::vector<OpCase> cases;
    uint64_t seed = 100;
    for (Shape shape : {Shape{1}, Shape{7}, Shape{3, 5}, Shape{2, 3, 129}, Shape{1000}})
      cases.push_back({shape_str(shape), {random_uniform(shape, seed++, -4.0, 4.0)}});
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) { return gelu(in[0]); };
  s.grad_inputs = {0};
  return s;
}

}  // namespace xlm
