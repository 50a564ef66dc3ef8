// Harness entry for embedding: small tables so ids repeat (the backward must
// accumulate), odd row widths, ids of rank 1..3 in both i32 and i64.
#include "kernels/embedding/embedding.h"
#include "kernels/op_spec.h"

#include <fmt/format.h>

namespace xlm {

OpSpec spec_embedding() {
  OpSpec s;
  s.name = "embedding";
  s.cases = [] {
    struct Case {
      int64_t V, C;
      Shape ids;
      DType dtype;
    };
    std::vector<OpCase> cases;
    uint64_t seed = 200;
    for (const Case& k : {Case{1, 1, {3}, DType::i64}, Case{5, 3, {7}, DType::i32}, Case{4, 33, {2, 9}, DType::i64},
                          Case{11, 129, {3, 5}, DType::i32}, Case{3, 7, {2, 2, 5}, DType::i64},
                          Case{97, 65, {301}, DType::i32}}) {
      cases.push_back({fmt::format("V={} C={} ids {}{}", k.V, k.C, dtype_name(k.dtype), shape_str(k.ids)),
                       {random_uniform({k.V, k.C}, seed, -2.0, 2.0), random_indices(k.ids, seed + 1, k.V, k.dtype)}});
      seed += 2;
    }
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) { return embedding(in[0], in[1]); };
  s.grad_inputs = {0};
  return s;
}

}  // namespace xlm
