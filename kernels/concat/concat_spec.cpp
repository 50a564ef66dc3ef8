// Harness entry for concat. The harness checks one fixed list of
// differentiable inputs, so every case joins exactly three tensors; the dim
// rides along as a fourth, integer input (i64 [1]) that `run` reads back.
// Concat is a pure copy, so every dtype must match the reference exactly.
#include "kernels/concat/concat.h"
#include "kernels/op_spec.h"

namespace xlm {

OpSpec spec_concat() {
  OpSpec s;
  s.name = "concat";
  s.cases = [] {
    struct Case {
      Shape a, b, c;
      int64_t dim;
    };
    const std::vector<Case> list = {
        {{1}, {1}, {1}, 0},
        {{3}, {7}, {1}, 0},
        {{3, 5}, {1, 5}, {7, 5}, 0},
        {{3, 5}, {3, 1}, {3, 33}, 1},
        {{3, 5}, {3, 2}, {3, 7}, -1},
        {{2, 3, 5, 7}, {2, 1, 5, 7}, {2, 4, 5, 7}, 1},  // key/value cache [B, T, H, D] along T
        {{2, 0, 3, 5}, {2, 1, 3, 5}, {2, 2, 3, 5}, 1},  // an empty cache before the first step
        {{2, 3, 129}, {2, 3, 1}, {2, 3, 2}, 2},
        {{5, 3, 7}, {5, 1, 7}, {5, 2, 7}, -2},
    };
    std::vector<OpCase> cases;
    uint64_t seed = 600;
    for (const Case& c : list) {
      Tensor dim = Tensor::from_vector<int64_t>({c.dim}, {1});
      cases.push_back({shape_str(c.a) + " " + shape_str(c.b) + " " + shape_str(c.c) + " dim " + std::to_string(c.dim),
                       {random_uniform(c.a, seed), random_uniform(c.b, seed + 1), random_uniform(c.c, seed + 2), dim}});
      seed += 3;
    }
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) {
    const int64_t dim = in[3].to(Device::cpu()).to_vector<int64_t>()[0];
    return concat({in[0], in[1], in[2]}, dim);
  };
  s.grad_inputs = {0, 1, 2};
  s.cuda_dtypes = {DType::f32, DType::f64, DType::bf16, DType::f16};
  for (DType t : {DType::f32, DType::f64, DType::bf16, DType::f16}) s.tolerance[t] = {0.0, 0.0};
  return s;
}

}  // namespace xlm
