// Harness entry for length_mask. run() only sees tensors, so the second input
// is a placeholder of shape (T, start + 1) whose shape carries T and the
// decoder-cache start and whose dtype is the one under test; lengths cover
// 1..start+T, i32 and i64, and T is odd or 1.
#include "kernels/length_mask/length_mask.h"
#include "kernels/op_spec.h"

#include <fmt/format.h>

namespace xlm {

OpSpec spec_length_mask() {
  OpSpec s;
  s.name = "length_mask";
  s.cases = [] {
    struct Case {
      int64_t B, T, start;
      DType dtype;
    };
    std::vector<OpCase> cases;
    for (const Case& k : {Case{1, 1, 0, DType::i64}, Case{3, 7, 0, DType::i32}, Case{5, 33, 0, DType::i64},
                          Case{4, 1, 6, DType::i64}, Case{6, 9, 3, DType::i32}, Case{130, 65, 0, DType::i64}}) {
      std::vector<int64_t> lengths(static_cast<size_t>(k.B));
      for (int64_t b = 0; b < k.B; ++b) lengths[static_cast<size_t>(b)] = 1 + (b * 7 + 3) % (k.start + k.T);
      Tensor len = Tensor::from_vector(lengths, {k.B});
      if (k.dtype == DType::i32) {
        std::vector<int32_t> narrow(lengths.begin(), lengths.end());
        len = Tensor::from_vector(narrow, {k.B});
      }
      cases.push_back({fmt::format("B={} T={} start={} {}", k.B, k.T, k.start, dtype_name(k.dtype)),
                       {len, random_uniform({k.T, k.start + 1}, 400)}});
    }
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) {
    return length_mask(in[0], in[1].size(0), in[1].size(1) - 1, in[1].dtype());
  };
  return s;
}

}  // namespace xlm
