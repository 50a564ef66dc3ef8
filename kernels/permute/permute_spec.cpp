// Harness entry for permute. The permutation differs per case, so each case
// carries it as a second, integer input (i64 [rank]) that `run` reads back;
// the op is a pure copy, so every dtype must match the reference exactly.
#include "kernels/op_spec.h"
#include "kernels/permute/permute.h"

namespace xlm {

OpSpec spec_permute() {
  OpSpec s;
  s.name = "permute";
  s.cases = [] {
    struct Case {
      Shape shape;
      std::vector<int64_t> dims;
    };
    const std::vector<Case> list = {
        {{1, 7}, {1, 0}},
        {{3, 5}, {1, 0}},
        {{17, 33}, {1, 0}},
        {{3, 5, 7}, {2, 0, 1}},
        {{3, 5, 7}, {1, 2, 0}},
        {{2, 1, 9}, {0, 2, 1}},
        {{2, 5, 3, 7}, {0, 2, 1, 3}},  // [B, T, H, D] -> [B, H, T, D]
        {{3, 2, 5, 4}, {0, 2, 1, 3}},  // and back
        {{2, 3, 5, 7}, {3, 1, 0, 2}},
        {{1, 3, 1, 5}, {2, 3, 1, 0}},
    };
    std::vector<OpCase> cases;
    uint64_t seed = 300;
    for (const Case& c : list) {
      Tensor dims = Tensor::from_vector(c.dims, {static_cast<int64_t>(c.dims.size())});
      cases.push_back({shape_str(c.shape) + " dims " + shape_str(c.dims), {random_uniform(c.shape, seed++), dims}});
    }
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) {
    const std::vector<int64_t> dims = in[1].to(Device::cpu()).to_vector<int64_t>();
    return permute(in[0], dims);
  };
  s.grad_inputs = {0};
  s.cuda_dtypes = {DType::f32, DType::f64, DType::bf16, DType::f16};
  for (DType t : {DType::f32, DType::f64, DType::bf16, DType::f16}) s.tolerance[t] = {0.0, 0.0};
  return s;
}

}  // namespace xlm
