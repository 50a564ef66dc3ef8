// Harness entry for the masked softmax. The op has two flags besides its
// tensors, so every case carries a third, non-floating input the run lambda
// reads: flags, an i32 [2] tensor {causal, use_lengths}. With use_lengths = 0
// the op gets an undefined key_lengths (no padding mask); the second input is
// then present but unused. The scale is fixed at 0.35 (not a power of two, so
// a scale missing from the backward cannot hide). Cases cover self-attention
// (Tq == Tk), decoding suffixes (Tq < Tk), Tq > Tk (leading queries fully
// masked), batch entries of length 0 (fully masked rows), i32 and i64
// lengths, rank 3 and 4, and odd Tk up to 1000.
#include "kernels/masked_softmax/masked_softmax.h"
#include "kernels/op_spec.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace xlm {

namespace {
constexpr double kSpecScale = 0.35;
}

OpSpec spec_masked_softmax() {
  OpSpec s;
  s.name = "masked_softmax";
  s.cases = [] {
    std::vector<OpCase> cases;
    uint64_t seed = 400;
    struct Case {
      Shape shape;
      std::vector<int64_t> lengths;  // empty: no padding mask
      bool causal;
      DType length_dtype;
    };
    const std::vector<Case> list = {
        {{2, 3, 5, 5}, {5, 3}, true, DType::i64},          // self-attention, causal + padding
        {{3, 2, 4, 7}, {7, 0, 4}, true, DType::i64},       // decoding suffix, one empty batch entry
        {{2, 1, 6, 4}, {}, true, DType::i64},              // Tq > Tk: first queries see nothing
        {{2, 2, 3, 33}, {33, 17}, false, DType::i32},      // padding only, i32 lengths
        {{1, 2, 3, 129}, {100}, true, DType::i32},         // long rows
        {{2, 1, 2, 1000}, {}, false, DType::i64},          // plain softmax
        {{3, 4, 1}, {1, 0, 1}, true, DType::i64},          // rank 3, Tk = 1
        {{2, 3, 7}, {3, 7}, false, DType::i64},            // rank 3, padding only
    };
    for (const Case& c : list) {
      const bool use_lengths = !c.lengths.empty();
      std::vector<double> lengths(c.lengths.begin(), c.lengths.end());
      if (!use_lengths) lengths.assign(static_cast<size_t>(c.shape[0]), 0.0);
      OpCase oc;
      oc.label = fmt::format("{} causal={} lengths={}", shape_str(c.shape), c.causal,
                             use_lengths ? fmt::format("{}", fmt::join(c.lengths, ",")) : "none");
      oc.inputs = {random_uniform(c.shape, seed++, -4.0, 4.0),
                   Tensor::from_doubles(lengths, {c.shape[0]}, c.length_dtype),
                   Tensor::from_vector<int32_t>({c.causal ? 1 : 0, use_lengths ? 1 : 0}, {2})};
      cases.push_back(std::move(oc));
    }
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) {
    const std::vector<int32_t> flags = in[2].to_vector<int32_t>();
    return masked_softmax(in[0], flags[1] ? in[1] : Tensor(), flags[0] != 0, kSpecScale);
  };
  s.grad_inputs = {0};
  return s;
}

}  // namespace xlm
