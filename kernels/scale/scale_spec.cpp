// Harness entry for scale: elementwise, so odd sizes and ranks 1-4 suffice;
// alpha is negative and not a power of two so that it actually rounds.
#include "kernels/op_spec.h"
#include "kernels/scale/scale.h"

namespace xlm {

OpSpec spec_scale() {
  OpSpec s;
  s.name = "scale";
  s.cases = [] {
    std::vector<OpCase> cases;
    uint64_t seed = 400;
    for (Shape shape : {Shape{1}, Shape{7}, Shape{3, 33}, Shape{2, 3, 129}, Shape{2, 3, 5, 7}, Shape{1000}})
      cases.push_back({shape_str(shape), {random_uniform(shape, seed++, -4.0, 4.0)}});
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) { return scale(in[0], -0.37); };
  s.grad_inputs = {0};
  return s;
}

}  // namespace xlm
