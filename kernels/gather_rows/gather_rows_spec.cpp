// Harness entry for gather_rows: more picks than rows in some cases so indices
// repeat (the backward must accumulate), odd widths, i32 and i64 indices.
#include "kernels/gather_rows/gather_rows.h"
#include "kernels/op_spec.h"

#include <fmt/format.h>

namespace xlm {

OpSpec spec_gather_rows() {
  OpSpec s;
  s.name = "gather_rows";
  s.cases = [] {
    struct Case {
      int64_t N, C, M;
      DType dtype;
    };
    std::vector<OpCase> cases;
    uint64_t seed = 300;
    for (const Case& k : {Case{1, 1, 1, DType::i64}, Case{6, 5, 13, DType::i64}, Case{9, 33, 4, DType::i32},
                          Case{17, 129, 17, DType::i32}, Case{200, 3, 77, DType::i64}}) {
      cases.push_back({fmt::format("x [{}, {}] index {}[{}]", k.N, k.C, dtype_name(k.dtype), k.M),
                       {random_uniform({k.N, k.C}, seed, -2.0, 2.0), random_indices({k.M}, seed + 1, k.N, k.dtype)}});
      seed += 2;
    }
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) { return gather_rows(in[0], in[1]); };
  s.grad_inputs = {0};
  return s;
}

}  // namespace xlm
