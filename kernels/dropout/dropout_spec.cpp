// Harness entry for dropout. The seed and offset are fixed, so the mask is a
// constant of the case and finite differences see a linear map; the offset is
// not a multiple of 4 so the CUDA twin's 4-wide groups straddle Philox blocks.
#include "kernels/dropout/dropout.h"
#include "kernels/op_spec.h"

namespace xlm {

OpSpec spec_dropout() {
  OpSpec s;
  s.name = "dropout";
  s.cases = [] {
    std::vector<OpCase> cases;
    uint64_t seed = 400;
    for (Shape shape : {Shape{1}, Shape{7}, Shape{3, 5}, Shape{2, 3, 129}, Shape{1001}})
      cases.push_back({shape_str(shape), {random_uniform(shape, seed++, -3.0, 3.0)}});
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) { return dropout(in[0], 0.3, 0x5eed0fd20c0ffeeULL, 4099); };
  s.grad_inputs = {0};
  return s;
}

}  // namespace xlm
