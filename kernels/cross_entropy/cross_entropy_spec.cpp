// Harness entry for cross-entropy. ignore_index is not a tensor, so every
// case carries it as a third, non-floating input: an i64 [1] the run lambda
// reads. Cases cover odd V (1 up to 1000), i32 and i64 targets, some rows
// ignored, an ignore_index inside [0, V) (as a pad id would be), and a batch
// where every row is ignored (loss 0, gradient 0). The loss is a 0-dim f32
// tensor for bf16/f16 logits: the harness builds its upstream gradient in
// y.dtype(), so the differing output dtype needs nothing special.
#include "kernels/cross_entropy/cross_entropy.h"
#include "kernels/op_spec.h"

#include <fmt/format.h>

namespace xlm {

OpSpec spec_cross_entropy() {
  OpSpec s;
  s.name = "cross_entropy";
  s.cases = [] {
    std::vector<OpCase> cases;
    uint64_t seed = 500;
    struct Case {
      int64_t rows, vocab;
      std::vector<int64_t> ignored_rows;  // rows whose target is set to ignore_index
      int64_t ignore_index;
      DType target_dtype;
    };
    const std::vector<Case> list = {
        {4, 1, {1}, -100, DType::i64},       {5, 3, {}, -100, DType::i32},
        {6, 7, {0, 4}, -100, DType::i64},    {3, 33, {2}, 2, DType::i64},  // ignore_index inside [0, V)
        {4, 129, {0, 1, 2, 3}, -100, DType::i64},                          // every row ignored
        {3, 1000, {1}, -1, DType::i32},      {9, 33, {}, -100, DType::i64},
    };
    for (const Case& c : list) {
      std::vector<double> targets = random_indices({c.rows}, seed + 1, c.vocab).to_doubles();
      for (double& t : targets)
        if (static_cast<int64_t>(t) == c.ignore_index) t = static_cast<double>((c.ignore_index + 1) % c.vocab);
      for (int64_t r : c.ignored_rows) targets[static_cast<size_t>(r)] = static_cast<double>(c.ignore_index);
      OpCase oc;
      oc.label = fmt::format("[{}, {}] {} ignored (ignore_index {}) targets {}", c.rows, c.vocab,
                             c.ignored_rows.size(), c.ignore_index, dtype_name(c.target_dtype));
      oc.inputs = {random_uniform({c.rows, c.vocab}, seed, -4.0, 4.0),
                   Tensor::from_doubles(targets, {c.rows}, c.target_dtype),
                   Tensor::from_vector<int64_t>({c.ignore_index}, {1})};
      seed += 2;
      cases.push_back(std::move(oc));
    }
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) { return cross_entropy(in[0], in[1], in[2].to_vector<int64_t>()[0]); };
  s.grad_inputs = {0};
  return s;
}

}  // namespace xlm
