// Harness entry for matmul. Each case carries its transpose flags as a third,
// integer input (i64 [2]) that `run` reads back. Sizes are odd and not tile
// multiples; all four transpose combinations appear in plain 2-D, batched
// (attention-like) and shared-b (Linear-like) cases. Low-precision tolerances
// grow with the longest reduction (K forward; N and batch*M in the backward).
#include "kernels/matmul/matmul.h"
#include "kernels/op_spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace xlm {

namespace {

struct MatmulCase {
  Shape batch;  // leading dims of a (and of b when batched)
  int64_t m, k, n;
  bool ta, tb;
  bool shared_b;
};

std::vector<MatmulCase> matmul_case_list() {
  const int64_t triples[][3] = {{1, 1, 1},   {3, 17, 1},  {17, 3, 33}, {33, 65, 17},
                                {65, 33, 3}, {1, 65, 65}, {65, 1, 17}};
  std::vector<MatmulCase> list;
  int combo = 0;
  for (const auto& t : triples) {  // 2-D: every triple in all four transpose combinations
    for (int c = 0; c < 4; ++c) list.push_back({{}, t[0], t[1], t[2], (c & 1) != 0, (c & 2) != 0, true});
  }
  for (const auto& t : {std::vector<int64_t>{3, 17, 5}, {17, 33, 3}, {1, 3, 65}}) {
    for (int c = 0; c < 4; ++c) {
      const bool ta = (c & 1) != 0, tb = (c & 2) != 0;
      list.push_back({{2, 3}, t[0], t[1], t[2], ta, tb, false});  // batched (attention)
      list.push_back({{3}, t[0], t[1], t[2], ta, tb, false});     // batched, rank 3
      list.push_back({{2, 3}, t[0], t[1], t[2], ta, tb, true});   // shared b (Linear)
      list.push_back({{combo % 2 == 0 ? 5 : 1}, t[0], t[1], t[2], ta, tb, true});
      ++combo;
    }
  }
  return list;
}

// Longest sum any forward or backward GEMM of the list performs.
int64_t longest_reduction(const std::vector<MatmulCase>& list) {
  int64_t longest = 1;
  for (const MatmulCase& c : list) {
    const int64_t batch = shape_numel(c.batch);
    longest = std::max({longest, c.k, c.n, c.shared_b ? batch * c.m : c.m});
  }
  return longest;
}

// Inputs are rounded identically on both sides, so the error is the output's
// rounding (relative) plus fp32 accumulation, which grows like sqrt(length).
Tolerance low_precision_tolerance(double unit_roundoff, int64_t length) {
  return {0.5 * unit_roundoff * std::sqrt(static_cast<double>(length)), 2.0 * unit_roundoff};
}

}  // namespace

OpSpec spec_matmul() {
  OpSpec s;
  s.name = "matmul";
  s.cases = [] {
    std::vector<OpCase> cases;
    uint64_t seed = 700;
    for (const MatmulCase& c : matmul_case_list()) {
      Shape a_shape = c.batch, b_shape = c.shared_b ? Shape{} : c.batch;
      a_shape.push_back(c.ta ? c.k : c.m);
      a_shape.push_back(c.ta ? c.m : c.k);
      b_shape.push_back(c.tb ? c.n : c.k);
      b_shape.push_back(c.tb ? c.k : c.n);
      const std::string label = fmt::format("a{}{} b{}{}{}", shape_str(a_shape), c.ta ? "^T" : "", shape_str(b_shape),
                                            c.tb ? "^T" : "", c.shared_b && !c.batch.empty() ? " shared" : "");
      Tensor flags = Tensor::from_vector(std::vector<int64_t>{c.ta ? 1 : 0, c.tb ? 1 : 0}, {2});
      Tensor a = random_uniform(a_shape, seed++);
      Tensor b = random_uniform(b_shape, seed++);
      cases.push_back({label, {a, b, flags}});
    }
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) {
    const std::vector<int64_t> flags = in[2].to(Device::cpu()).to_vector<int64_t>();
    return matmul(in[0], in[1], flags[0] != 0, flags[1] != 0);
  };
  s.grad_inputs = {0, 1};
  const int64_t length = longest_reduction(matmul_case_list());
  s.tolerance[DType::bf16] = low_precision_tolerance(1.0 / 256, length);  // 8 significant bits
  s.tolerance[DType::f16] = low_precision_tolerance(1.0 / 2048, length);  // 11 significant bits
  return s;
}

}  // namespace xlm
