// Harness entry for scale_rows: ranks 1-4 (a 1-D x takes a 0-dim scale), odd
// row lengths up to 1000 and many short rows. The scale's gradient sums up
// to 1000 products each already rounded to the storage dtype, so bf16/f16
// get the same looser tolerances as mul's bias gradient.
#include "kernels/op_spec.h"
#include "kernels/scale_rows/scale_rows.h"

namespace xlm {

OpSpec spec_scale_rows() {
  OpSpec s;
  s.name = "scale_rows";
  s.cases = [] {
    std::vector<OpCase> cases;
    uint64_t seed = 700;
    for (Shape x : {Shape{1}, Shape{7}, Shape{3, 5}, Shape{2, 3, 129}, Shape{2, 1, 3, 33}, Shape{4, 1000},
                    Shape{1000, 3}}) {
      const Shape rows(x.begin(), x.end() - 1);
      cases.push_back({shape_str(x) + " * " + shape_str(rows), {random_uniform(x, seed), random_uniform(rows, seed + 1)}});
      seed += 2;
    }
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) { return scale_rows(in[0], in[1]); };
  s.grad_inputs = {0, 1};
  s.tolerance[DType::bf16] = {3e-2, 3e-2};
  s.tolerance[DType::f16] = {5e-3, 5e-3};
  return s;
}

}  // namespace xlm
