// Harness entry for scale_by: elementwise, so odd sizes and ranks 1-4 suffice;
// the factor (input 1) is negative and not a power of two so that it rounds,
// and is not differentiated (it is a constant of the op).
#include "kernels/op_spec.h"
#include "kernels/scale_by/scale_by.h"

namespace xlm {

OpSpec spec_scale_by() {
  OpSpec s;
  s.name = "scale_by";
  s.cases = [] {
    std::vector<OpCase> cases;
    uint64_t seed = 2400;
    const Tensor factor = Tensor::from_vector<double>({-0.37}, {1});
    for (Shape shape : {Shape{1}, Shape{7}, Shape{3, 33}, Shape{2, 3, 129}, Shape{2, 3, 5, 7}, Shape{1000}})
      cases.push_back({shape_str(shape), {random_uniform(shape, seed++, -4.0, 4.0), factor}});
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) { return scale_by(in[0], in[1]); };
  s.grad_inputs = {0};
  return s;
}

}  // namespace xlm
