// Harness entry for fused attention: self-attention with padding (one
// sequence of length 0, so a fully masked row), causal self-attention,
// cross-attention (Tq != Tk, causal too: incremental decoding), Tq = 1, and
// attention dropout, at odd sequence lengths that are not multiples of the
// CUDA tiles. Index inputs: key lengths (i64 [B]) and a flags word.
#include "kernels/attention/attention.h"
#include "kernels/op_spec.h"

#include <fmt/format.h>

namespace xlm {

OpSpec spec_attention() {
  OpSpec s;
  s.name = "attention";
  s.cases = [] {
    std::vector<OpCase> cases;
    struct Dims {
      int64_t b, tq, tk, h, d;
      int64_t flags;  // bit 0: causal, bit 1: dropout 0.25
      std::vector<double> lengths;
    };
    uint64_t seed = 900;
    for (const Dims& m : {Dims{2, 5, 5, 2, 8, 0, {5, 3}}, Dims{2, 7, 7, 3, 4, 1, {7, 5}},
                          Dims{1, 3, 9, 2, 8, 0, {9}}, Dims{2, 6, 6, 1, 16, 3, {6, 4}}, Dims{3, 1, 4, 2, 4, 1, {4, 2, 1}},
                          Dims{3, 4, 6, 2, 8, 1, {6, 0, 3}}, Dims{2, 3, 11, 1, 8, 3, {11, 7}}}) {
      cases.push_back({fmt::format("B{} Tq{} Tk{} H{} D{} flags{}", m.b, m.tq, m.tk, m.h, m.d, m.flags),
                       {random_uniform({m.b, m.tq, m.h, m.d}, seed++), random_uniform({m.b, m.tk, m.h, m.d}, seed++),
                        random_uniform({m.b, m.tk, m.h, m.d}, seed++),
                        Tensor::from_doubles(m.lengths, {m.b}, DType::i64),
                        Tensor::from_doubles({double(m.flags)}, {1}, DType::i64)}});
    }
    return cases;
  };
  s.run = [](const std::vector<Tensor>& in) {
    const int64_t flags = static_cast<int64_t>(in[4].item());
    AttentionOptions o;
    o.causal = flags & 1;
    o.dropout = (flags & 2) ? 0.25 : 0.0;
    o.seed = 1234;
    o.offset = 8;
    return attention(in[0], in[1], in[2], in[3], o);
  };
  s.grad_inputs = {0, 1, 2};
  return s;
}

}  // namespace xlm
