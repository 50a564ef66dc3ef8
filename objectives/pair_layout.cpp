// See objectives/pair_layout.h. Written row by row on the host: a batch is a
// few thousand tokens, and the layout must be exact rather than fast.
#include "objectives/pair_layout.h"

#include "core/error.h"
#include "core/host_reads.h"

#include <algorithm>
#include <vector>

namespace xlm::objectives {

namespace {

struct Side {
  std::vector<int64_t> x;    // (B, L)
  std::vector<int64_t> len;  // (B)
  int64_t width = 0;         // L
};

Side read_side(const Tensor& x, const Tensor& len, const char* name) {
  check_dtype(x, DType::i64, "concat_pair", name);
  check_dtype(len, DType::i64, "concat_pair", name);
  XLM_CHECK(x.dim() == 2 && len.dim() == 1 && len.size(0) == x.size(0), ShapeError,
            "concat_pair: {} is {} with lengths {}, expected (B, L) and (B)", name, shape_str(x.shape()),
            shape_str(len.shape()));
  Side s{host_values<int64_t>(x), host_values<int64_t>(len), x.size(1)};  // host batches
  for (size_t b = 0; b < s.len.size(); ++b)
    XLM_CHECK(s.len[b] >= 1 && s.len[b] <= s.width, ShapeError,
              "concat_pair: {} length {} of row {} is outside [1, {}]", name, s.len[b], b, s.width);
  return s;
}

}  // namespace

LmBatch concat_pair(const text::ParallelBatch& batch, const PairSides& sides, int64_t pad_index) {
  const Side s1 = read_side(batch.x1, batch.len1, "x1");
  const Side s2 = read_side(batch.x2, batch.len2, "x2");
  XLM_CHECK(s1.len.size() == s2.len.size(), ShapeError, "concat_pair: x1 has {} rows but x2 has {}",
            s1.len.size(), s2.len.size());
  const Side& a = sides.swap ? s2 : s1;  // placed first
  const Side& c = sides.swap ? s1 : s2;  // placed second
  const auto B = static_cast<int64_t>(a.len.size());
  int64_t T = 0;
  for (int64_t b = 0; b < B; ++b) T = std::max(T, a.len[static_cast<size_t>(b)] + c.len[static_cast<size_t>(b)]);

  std::vector<int64_t> words(static_cast<size_t>(B * T), pad_index);  // (B, T)
  std::vector<int64_t> positions(static_cast<size_t>(B * T));         // (B, T)
  std::vector<int64_t> langs(static_cast<size_t>(B * T));             // (B, T)
  std::vector<int64_t> lengths(static_cast<size_t>(B));               // (B)
  for (int64_t b = 0; b < B; ++b) {
    const int64_t la = a.len[static_cast<size_t>(b)], lc = c.len[static_cast<size_t>(b)];
    lengths[static_cast<size_t>(b)] = la + lc;
    for (int64_t t = 0; t < T; ++t) {
      const auto o = static_cast<size_t>(b * T + t);
      if (t < la) {
        words[o] = a.x[static_cast<size_t>(b * a.width + t)];
        positions[o] = t;
        langs[o] = sides.first_lang;
      } else {
        if (t < la + lc) words[o] = c.x[static_cast<size_t>(b * c.width + (t - la))];
        positions[o] = t - la;
        langs[o] = sides.second_lang;
      }
    }
  }
  LmBatch out;
  out.words = Tensor::from_vector(words, {B, T});
  out.lengths = Tensor::from_vector(lengths, {B});
  out.positions = Tensor::from_vector(positions, {B, T});
  out.langs = Tensor::from_vector(langs, {B, T});
  out.pred_index = Tensor::from_vector(std::vector<int64_t>{}, {0});
  out.targets = Tensor::from_vector(std::vector<int64_t>{}, {0});
  out.causal = false;
  out.n_sentences = B;
  return out;
}

}  // namespace xlm::objectives
