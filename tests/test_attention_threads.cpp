// The CPU attention twin splits its (b, h) heads over the OpenMP threads (the
// masked softmax its rows), and their f32 softmax uses core/vec_math.h's exp
// instead of libm's. A head (a row) never spans two threads, so the output,
// the logsumexp and the gradients must be the same bits for 1 and 2 threads;
// and the exp must stay within the ~1 ulp the softmax tolerances
// (docs/numerics.md) were set for.
#include "core/autograd.h"
#include "core/vec_math.h"
#include "kernels/attention/attention.h"
#include "kernels/masked_softmax/masked_softmax.h"
#include "kernels/op_spec.h"
#include "support.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

#if defined(_OPENMP)
#include <omp.h>
#endif

using namespace xlm;

namespace {

struct Run {
  std::vector<float> out, lse, gq, gk, gv;
};

Run run_attention(int64_t b, int64_t tq, int64_t tk, int64_t h, int64_t d, const std::vector<double>& lengths,
                  const AttentionOptions& options) {
  auto input = [](const Shape& s, uint64_t seed) {
    return Tensor::from_doubles(random_uniform(s, seed, -2.0, 2.0).to_doubles(), s, DType::f32).set_requires_grad(true);
  };
  Tensor q = input({b, tq, h, d}, 31), k = input({b, tk, h, d}, 32), v = input({b, tk, h, d}, 33);
  const Tensor key_lengths = lengths.empty() ? Tensor() : Tensor::from_doubles(lengths, {b}, DType::i64);
  AttentionResult r = attention_with_logsumexp(q, k, v, key_lengths, options);
  r.out.backward(Tensor::from_doubles(random_uniform(r.out.shape(), 34).to_doubles(), r.out.shape(), DType::f32));
  return {r.out.to_vector<float>(), r.logsumexp.to_vector<float>(), q.grad().to_vector<float>(),
          k.grad().to_vector<float>(), v.grad().to_vector<float>()};
}

// |got - want| in units of the float spacing at want.
double ulps(float got, double want) {
  const auto w = static_cast<float>(want);
  const double spacing = static_cast<double>(std::nextafter(std::fabs(w), INFINITY)) - std::fabs(w);
  return std::fabs(static_cast<double>(got) - want) / spacing;
}

}  // namespace

TEST_CASE("attention CPU: the same bits for 1 and 2 threads, forward and backward", "[attention][threads]") {
#if defined(_OPENMP)
  struct Case {
    int64_t b, tq, tk, h, d;
    std::vector<double> lengths;
    bool causal;
    double dropout;
  };
  const int saved = omp_get_max_threads();
  // Row blocks of 64 (Tq 70 gives two), padding with an empty sequence, causal
  // cuts, cross-attention, dropout on whole blocks and on cut rows.
  for (const Case& c : {Case{3, 70, 70, 2, 16, {70, 41, 0}, false, 0.0}, Case{2, 70, 70, 3, 8, {}, true, 0.1},
                        Case{3, 9, 67, 2, 8, {67, 30, 5}, false, 0.2}, Case{4, 33, 33, 1, 32, {}, false, 0.1}}) {
    AttentionOptions o;
    o.causal = c.causal;
    o.dropout = c.dropout;
    o.seed = 99;
    o.offset = 6;
    omp_set_num_threads(1);
    const Run one = run_attention(c.b, c.tq, c.tk, c.h, c.d, c.lengths, o);
    omp_set_num_threads(2);
    const Run two = run_attention(c.b, c.tq, c.tk, c.h, c.d, c.lengths, o);
    INFO("B" << c.b << " Tq" << c.tq << " Tk" << c.tk << " H" << c.h << " D" << c.d << " causal " << c.causal
             << " p " << c.dropout);
    // memcmp: equal bits, NaN or not (there must be none: the logsumexp of an empty row is -inf).
    auto same_bits = [](const std::vector<float>& x, const std::vector<float>& y) {
      return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0;
    };
    CHECK(same_bits(one.out, two.out));
    CHECK(same_bits(one.lse, two.lse));
    CHECK(same_bits(one.gq, two.gq));
    CHECK(same_bits(one.gk, two.gk));
    CHECK(same_bits(one.gv, two.gv));
    CHECK(std::isfinite(one.out[0]));
  }
  omp_set_num_threads(saved);
#else
  SUCCEED("built without OpenMP: one thread only");
#endif
}

TEST_CASE("masked softmax CPU: the same bits for 1 and 2 threads, forward and backward", "[masked_softmax][threads]") {
#if defined(_OPENMP)
  const int saved = omp_get_max_threads();
  const Shape shape{3, 4, 130, 130};  // 1560 rows: several chunks of 16384 elements
  const Tensor scores = Tensor::from_doubles(random_uniform(shape, 41, -4.0, 4.0).to_doubles(), shape, DType::f32);
  const Tensor grad = Tensor::from_doubles(random_uniform(shape, 42).to_doubles(), shape, DType::f32);
  const Tensor lengths = Tensor::from_doubles({130, 70, 0}, {3}, DType::i64);
  std::vector<float> y[2], g[2];
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    const Tensor out = masked_softmax(scores, lengths, true, 0.125);
    y[threads - 1] = out.to_vector<float>();
    g[threads - 1] = masked_softmax_backward(out, grad, 0.125).to_vector<float>();
  }
  omp_set_num_threads(saved);
  CHECK(std::memcmp(y[0].data(), y[1].data(), y[0].size() * sizeof(float)) == 0);
  CHECK(std::memcmp(g[0].data(), g[1].data(), g[0].size() * sizeof(float)) == 0);
  CHECK(y[0][0] == 1.0f);  // row 0 of the causal mask sees one key
#else
  SUCCEED("built without OpenMP: one thread only");
#endif
}

TEST_CASE("vec::exp stays within 1.5 ulp of exp over the softmax's range", "[attention][vec_math]") {
  // Every 331st float of [-103, 0] and of [0, 88.7] (exponentials of normal
  // results; the softmax only takes x <= 0, the positive half is checked too),
  // walked by bit pattern: 2^31 floats below 103 in magnitude, ~6.4 million here.
  auto bits_of = [](float x) {
    uint32_t u;
    std::memcpy(&u, &x, sizeof u);
    return u;
  };
  double worst = 0;
  float worst_x = 0;
  for (const auto& [sign, limit] : {std::pair<uint32_t, float>{0x80000000u, 103.0f}, {0u, 88.7f}}) {
    const uint32_t end = bits_of(limit);
    for (uint32_t u = 0; u <= end; u += 331) {
      const uint32_t word = u | sign;
      float x;
      std::memcpy(&x, &word, sizeof x);
      const double err = ulps(vec::exp(x), std::exp(static_cast<double>(x)));
      if (err > worst) worst = err, worst_x = x;
    }
  }
  INFO("worst " << worst << " ulp at x = " << worst_x);
  CHECK(worst <= 1.5);
  CHECK(worst > 0);  // the sweep did run
  CHECK(vec::exp(0.0f) == 1.0f);
  CHECK(vec::exp(-0.0f) == 1.0f);
  CHECK(vec::exp(-200.0f) == 0.0f);
  CHECK(vec::exp(-INFINITY) == 0.0f);
}
