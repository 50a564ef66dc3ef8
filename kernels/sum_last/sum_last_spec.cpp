// Harness entry for sum_last: ranks 1-4, rows of 1 to 1000 elements. keepdim
// follows the rank's parity so that both output shapes (and the 0-dim result
// of a 1-D input) go through the harness. Rows of 1000 are summed in another
// order on the GPU (32 lane partials, then a shuffle tree), hence the
// looser low-precision tolerances.
#include "kernels/op_spec.h"
#include "kernels/sum_last/sum_last.h"

namespace xlm {

OpSpec spec_sum_last() {
  OpSpec s;
  s.name = "sum_last";
  s.cases = [] {
    std::vector<OpCase> cases;
    uint64_t seed = 500;
    for (Shape shape : {Shape{1}, Shape{7}, Shape{3, 33}, Shape{2, 3, 129}, Shape{2, 3, 5, 7}, Shape{1000},
                        Shape{4, 1000}, Shape{129, 1}})
      cases.push_back({shape_str(shape), {random_uniform(shape, seed++)}});
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) { return sum_last(in[0], in[0].dim() % 2 == 0); };
  s.grad_inputs = {0};
  s.tolerance[DType::bf16] = {2e-2, 2e-2};
  s.tolerance[DType::f16] = {4e-3, 4e-3};
  return s;
}

}  // namespace xlm
