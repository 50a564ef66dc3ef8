// DecoderCache::reorder, which beam search relies on: after reordering the
// rows of a cache by an index (repeats allowed), the next cached step gives
// exactly what a cache built from the correspondingly reordered inputs gives.
#include "tiny_model.h"

#include "core/autograd.h"
#include "core/error.h"
#include "support.h"

using namespace xlm;
using namespace xlm::nn;

namespace {

// Feeds tokens[t] (one per row) for t = 0..steps-1 into `cache`; returns the last output (B, 1, D).
Tensor feed(TransformerModel& model, DecoderCache& cache, const std::vector<std::vector<int64_t>>& tokens,
            const Tensor& src_enc, const Tensor& src_len) {
  Tensor out;
  for (const auto& step_tokens : tokens) {
    const int64_t B = static_cast<int64_t>(step_tokens.size());
    ForwardArgs a;
    a.words = nntest::ids(step_tokens, {B, 1});
    a.lengths = Tensor::full({B}, static_cast<double>(cache.slen + 1), DType::i64);
    a.causal = true;
    a.src_enc = src_enc;
    a.src_len = src_len;
    a.cache = &cache;
    out = model.forward(a);
  }
  return out;
}

}  // namespace

TEST_CASE("nn: DecoderCache::reorder equals decoding the reordered rows from scratch", "[nn][cache]") {
  TransformerModel model(nntest::tiny_config(true), 11);
  model.set_training(false);
  autograd::NoGradGuard no_grad;
  const Tensor src_enc = nntest::random_tensor({3, 4, 8}, 5, DType::f32);  // (B, S, D)
  const std::vector<int64_t> src_len = {4, 2, 3};
  const std::vector<std::vector<int64_t>> prefix = {{1, 1, 1}, {7, 12, 4}, {9, 3, 15}};  // (steps, B)
  const std::vector<int64_t> index = {2, 0, 0, 1};                                      // (N) with a repeat

  DecoderCache cache;
  feed(model, cache, prefix, src_enc, nntest::ids(src_len, {3}));
  cache.reorder(nntest::ids(index, {4}));
  REQUIRE(cache.slen == 3);
  CHECK(cache.self_attn[1].k.shape() == Shape{4, 3, 2, 4});
  CHECK(cache.cross_attn[0].v.shape() == Shape{4, 4, 2, 4});

  // The same rows, reordered before decoding.
  std::vector<double> enc = src_enc.to_doubles(), enc_r;
  std::vector<int64_t> len_r;
  std::vector<std::vector<int64_t>> prefix_r(prefix.size());
  for (int64_t i : index) {
    enc_r.insert(enc_r.end(), enc.begin() + i * 32, enc.begin() + (i + 1) * 32);
    len_r.push_back(src_len[static_cast<size_t>(i)]);
    for (size_t t = 0; t < prefix.size(); ++t) prefix_r[t].push_back(prefix[t][static_cast<size_t>(i)]);
  }
  const Tensor src_enc_r = Tensor::from_doubles(enc_r, {4, 4, 8}, DType::f32);
  const Tensor src_len_r = nntest::ids(len_r, {4});
  DecoderCache fresh;
  feed(model, fresh, prefix_r, src_enc_r, src_len_r);

  const std::vector<std::vector<int64_t>> next = {{5, 6, 17, 8}};
  const Tensor a = feed(model, cache, next, src_enc_r, src_len_r);
  const Tensor b = feed(model, fresh, next, src_enc_r, src_len_r);
  XLM_CHECK_CLOSE(a.to_doubles(), b.to_doubles(), 1e-6, 0.0);
  // Rows 1 and 2 both come from row 0 and got different tokens: they differ.
  const std::vector<double> av = a.to_doubles();
  CHECK(std::abs(av[8] - av[16]) + std::abs(av[9] - av[17]) > 1e-4);

  XLM_CHECK_THROWS(cache.reorder(nntest::ids({0, 9}, {2})), IndexError, "gather_rows");
  XLM_CHECK_THROWS(cache.reorder(nntest::ids({0, 1}, {1, 2})), ShapeError, "reorder");
}
