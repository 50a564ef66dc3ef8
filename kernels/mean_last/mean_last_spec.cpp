// Harness entry for mean_last: the sum_last shapes (ranks 1-4, rows of 1 to
// 1000), keepdim by the rank's parity, and the same looser low-precision
// tolerances for long rows summed in another order on the GPU.
#include "kernels/mean_last/mean_last.h"
#include "kernels/op_spec.h"

namespace xlm {

OpSpec spec_mean_last() {
  OpSpec s;
  s.name = "mean_last";
  s.cases = [] {
    std::vector<OpCase> cases;
    uint64_t seed = 600;
    for (Shape shape : {Shape{1}, Shape{7}, Shape{3, 33}, Shape{2, 3, 129}, Shape{2, 3, 5, 7}, Shape{1000},
                        Shape{4, 1000}, Shape{129, 1}})
      cases.push_back({shape_str(shape), {random_uniform(shape, seed++, -4.0, 4.0)}});
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) { return mean_last(in[0], in[0].dim() % 2 == 1); };
  s.grad_inputs = {0};
  s.tolerance[DType::bf16] = {2e-2, 2e-2};
  s.tolerance[DType::f16] = {4e-3, 4e-3};
  return s;
}

}  // namespace xlm
