// Fused attention against the composition it replaced (permute, matmul,
// masked_softmax, dropout), which lives on here only as the cross-check: the
// same masks, the same Philox dropout mask, the same gradients, in f64 on the
// CPU. Also the logsumexp it keeps, fully masked rows, extreme inputs, the
// argument errors, and [cuda] the GPU twin (tensor-core and generic paths)
// against the CPU reference for every dtype and head size.
#include "core/autograd.h"
#include "core/error.h"
#include "kernels/attention/attention.h"
#include "kernels/dropout/dropout.h"
#include "kernels/masked_softmax/masked_softmax.h"
#include "kernels/matmul/matmul.h"
#include "kernels/op_spec.h"
#include "kernels/permute/permute.h"
#include "support.h"

#include <cmath>
#include <optional>

using namespace xlm;

namespace {

// The former kernels/attention implementation, kept as the reference composition.
Tensor composed_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& key_lengths,
                          const AttentionOptions& options) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  Tensor qh = permute(q, {0, 2, 1, 3});                              // (B, H, Tq, D)
  Tensor kh = permute(k, {0, 2, 1, 3});                              // (B, H, Tk, D)
  Tensor vh = permute(v, {0, 2, 1, 3});                              // (B, H, Tk, D)
  Tensor scores = matmul(qh, kh, false, true);                       // (B, H, Tq, Tk)
  Tensor weights = masked_softmax(scores, key_lengths, options.causal, scale);
  if (options.dropout > 0) weights = dropout(weights, options.dropout, options.seed, options.offset);
  return permute(matmul(weights, vh), {0, 2, 1, 3});                 // (B, Tq, H, D)
}

struct Case {
  int64_t b, tq, tk, h, d;
  std::vector<double> lengths;  // empty: no padding mask
  AttentionOptions options;
};

struct Outcome {
  std::vector<double> out, gq, gk, gv;
};

using AttentionFn = Tensor (*)(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const AttentionOptions&);

// Runs fn on the case's inputs (seeded, in `dtype` on `device`) and backpropagates a
// fixed upstream gradient. Inputs and gradient are first rounded through `round_through`
// (default: dtype), so a reference in f64 sees exactly the values a bf16 run sees.
Outcome run(AttentionFn fn, const Case& c, DType dtype, Device device, double magnitude = 1.0,
            std::optional<DType> rounding = std::nullopt) {
  const DType round_through = rounding.value_or(dtype);
  auto input = [&](const Shape& s, uint64_t seed) {
    const auto v = random_uniform(s, seed, -magnitude, magnitude).to_doubles();
    const auto r = Tensor::from_doubles(v, s, round_through).to_doubles();
    return Tensor::from_doubles(r, s, dtype, device).set_requires_grad(true);
  };
  Tensor q = input({c.b, c.tq, c.h, c.d}, 11), k = input({c.b, c.tk, c.h, c.d}, 12), v = input({c.b, c.tk, c.h, c.d}, 13);
  Tensor lengths = c.lengths.empty() ? Tensor() : Tensor::from_doubles(c.lengths, {c.b}, DType::i64, device);
  Tensor y = fn(q, k, v, lengths, c.options);
  const auto w =
      Tensor::from_doubles(random_uniform(y.shape(), 14).to_doubles(), y.shape(), round_through).to_doubles();
  y.backward(Tensor::from_doubles(w, y.shape(), dtype, device));
  return {y.to_doubles(), q.grad().to_doubles(), k.grad().to_doubles(), v.grad().to_doubles()};
}

void check_close(const Outcome& got, const Outcome& want, double atol, double rtol, double grad_scale = 1.0) {
  XLM_CHECK_CLOSE(got.out, want.out, atol, rtol);
  XLM_CHECK_CLOSE(got.gq, want.gq, atol * grad_scale, rtol * grad_scale);
  XLM_CHECK_CLOSE(got.gk, want.gk, atol * grad_scale, rtol * grad_scale);
  XLM_CHECK_CLOSE(got.gv, want.gv, atol * grad_scale, rtol * grad_scale);
}

AttentionOptions opts(bool causal, double p = 0.0, uint64_t seed = 0, uint64_t offset = 0) {
  AttentionOptions o;
  o.causal = causal;
  o.dropout = p;
  o.seed = seed;
  o.offset = offset;
  return o;
}

const std::vector<Case>& cross_check_cases() {
  static const std::vector<Case> cases = {
      {2, 37, 37, 3, 20, {37, 21}, opts(false)},            // padding, sizes off every tile
      {2, 37, 37, 2, 16, {37, 30}, opts(true)},             // causal self-attention
      {2, 5, 19, 2, 8, {19, 12}, opts(false)},              // cross-attention, Tq < Tk
      {2, 5, 19, 2, 8, {19, 12}, opts(true)},               // causal with the Tk - Tq offset
      {1, 19, 6, 2, 8, {}, opts(false)},                    // Tq > Tk, no padding mask
      {3, 1, 9, 2, 8, {9, 4, 1}, opts(false)},              // Tq = 1 (one decoding step)
      {3, 6, 6, 2, 8, {6, 0, 3}, opts(false)},              // an empty sequence: fully masked rows
      {2, 70, 70, 2, 16, {70, 65}, opts(true, 0.1, 77, 5)}, // dropout 0.1, causal, offset not a multiple of 4
      {2, 9, 13, 3, 8, {13, 2}, opts(false, 0.1, 3, 1000)}, // dropout in cross-attention
  };
  return cases;
}

}  // namespace

TEST_CASE("fused attention matches the composed ops, forward and backward, in f64", "[attention]") {
  for (const Case& c : cross_check_cases()) {
    INFO("B" << c.b << " Tq" << c.tq << " Tk" << c.tk << " H" << c.h << " D" << c.d << " causal " << c.options.causal
             << " p " << c.options.dropout);
    const Outcome fused = run(attention, c, DType::f64, Device::cpu());
    const Outcome composed = run(composed_attention, c, DType::f64, Device::cpu());
    check_close(fused, composed, 1e-12, 1e-10);
  }
}

TEST_CASE("fused attention in f32 matches the composed ops in f32", "[attention]") {
  for (const Case& c : cross_check_cases()) {
    const Outcome fused = run(attention, c, DType::f32, Device::cpu());
    const Outcome composed = run(composed_attention, c, DType::f32, Device::cpu());
    check_close(fused, composed, 1e-5, 1e-4, 4.0);
  }
}

TEST_CASE("fused attention's f32 CPU GEMM path stays within the f32 tolerance of its f64 path", "[attention]") {
  // Training head sizes and lengths past one 64-row block of the CPU twin, so the
  // f32 GEMMs, the per-block key ranges and the dK/dV accumulation across blocks
  // are all exercised; the reference sees the same f32-rounded inputs.
  const std::vector<Case> cases = {
      {2, 130, 130, 2, 64, {130, 67}, opts(true, 0.1, 21, 3)},  // causal, padding, dropout
      {2, 70, 150, 2, 32, {150, 0}, opts(false)},               // cross-attention, an empty source
      {1, 90, 129, 1, 128, {}, opts(true)},                     // causal with a Tk - Tq offset
  };
  for (const Case& c : cases) {
    INFO("Tq" << c.tq << " Tk" << c.tk << " D" << c.d);
    const Outcome want = run(attention, c, DType::f64, Device::cpu(), 1.0, DType::f32);
    const Outcome got = run(attention, c, DType::f32, Device::cpu());
    check_close(got, want, 1e-5, 1e-4, 4.0);
  }
}

TEST_CASE("fused attention keeps the logsumexp of each row's visible scores", "[attention]") {
  const int64_t B = 2, Tq = 4, Tk = 6, H = 2, D = 8;
  const Tensor q = random_uniform({B, Tq, H, D}, 1), k = random_uniform({B, Tk, H, D}, 2),
               v = random_uniform({B, Tk, H, D}, 3);
  const Tensor lengths = Tensor::from_doubles({6, 0}, {B}, DType::i32);
  const AttentionResult r = attention_with_logsumexp(q, k, v, lengths, opts(true));
  REQUIRE(r.logsumexp.shape() == Shape{B, H, Tq});
  REQUIRE(r.logsumexp.dtype() == DType::f64);
  const auto pq = q.to_doubles(), pk = k.to_doubles(), lse = r.logsumexp.to_doubles();
  for (int64_t h = 0; h < H; ++h) {
    for (int64_t i = 0; i < Tq; ++i) {
      const int64_t limit = i + Tk - Tq + 1;  // batch 0: causal with offset 2, no padding
      double sum = 0;
      for (int64_t j = 0; j < limit; ++j) {
        double s = 0;
        for (int64_t d = 0; d < D; ++d) s += pq[static_cast<size_t>((i * H + h) * D + d)] * pk[static_cast<size_t>((j * H + h) * D + d)];
        sum += std::exp(s / std::sqrt(double(D)));
      }
      CHECK(lse[static_cast<size_t>(h * Tq + i)] == Approx(std::log(sum)).epsilon(1e-12));
      CHECK(std::isinf(lse[static_cast<size_t>((H + h) * Tq + i)]));  // batch 1 has no visible key
    }
  }
  const auto out = r.out.to_doubles();
  for (size_t i = static_cast<size_t>(Tq * H * D); i < out.size(); ++i) CHECK(out[i] == 0.0);
  auto f32 = [](const Tensor& t) { return Tensor::from_doubles(t.to_doubles(), t.shape(), DType::f32); };
  CHECK(attention_with_logsumexp(f32(q), f32(k), f32(v), lengths).logsumexp.dtype() == DType::f32);
}

TEST_CASE("fused attention: fully masked rows give zeros and zero gradients, never NaN", "[attention]") {
  const Case c{2, 5, 7, 2, 8, {0, 3}, opts(false, 0.2, 9, 0)};
  const Outcome o = run(attention, c, DType::f64, Device::cpu());
  for (size_t i = 0; i < o.out.size() / 2; ++i) CHECK(o.out[i] == 0.0);   // batch 0: every query masked
  for (size_t i = 0; i < o.gq.size() / 2; ++i) CHECK(o.gq[i] == 0.0);
  for (size_t i = 0; i < o.gk.size() / 2; ++i) CHECK((o.gk[i] == 0.0 && o.gv[i] == 0.0));
  // batch 1: keys 3.. are padding and receive no gradient
  const size_t row = static_cast<size_t>(c.h * c.d);
  for (size_t i = o.gk.size() / 2 + 3 * row; i < o.gk.size(); ++i) CHECK((o.gk[i] == 0.0 && o.gv[i] == 0.0));
  for (double x : o.out) CHECK(std::isfinite(x));
}

TEST_CASE("fused attention stays finite on very large and very negative scores", "[attention]") {
  for (DType dtype : {DType::f32, DType::f64}) {
    for (bool causal : {false, true}) {
      const Case c{2, 9, 9, 2, 16, {9, 5}, opts(causal)};
      const Outcome fused = run(attention, c, dtype, Device::cpu(), 300.0);  // scores up to ~1e6
      for (const auto* v : {&fused.out, &fused.gq, &fused.gk, &fused.gv})
        for (double x : *v) CHECK(std::isfinite(x));
      const Outcome composed = run(composed_attention, c, DType::f64, Device::cpu(), 300.0);
      // The softmax is one-hot up to rounding: outputs are rows of v, equal in both.
      XLM_CHECK_CLOSE(fused.out, composed.out, dtype == DType::f64 ? 1e-9 : 1e-3, 1e-4);
    }
  }
}

TEST_CASE("fused attention: dropout 1 drops everything, 0 draws nothing", "[attention]") {
  const Case all{1, 4, 4, 1, 8, {}, opts(false, 1.0, 5, 0)};
  for (double x : run(attention, all, DType::f64, Device::cpu()).out) CHECK(x == 0.0);
  const Case none{1, 4, 4, 1, 8, {}, opts(false, 0.0, 5, 0)};
  Case other_seed = none;
  other_seed.options.seed = 6;
  CHECK(run(attention, none, DType::f64, Device::cpu()).out == run(attention, other_seed, DType::f64, Device::cpu()).out);
}

TEST_CASE("fused attention rejects bad arguments with a clear error", "[attention]") {
  const Tensor q = Tensor::zeros({2, 3, 2, 4}, DType::f32), k = Tensor::zeros({2, 5, 2, 4}, DType::f32);
  const Tensor v_short = Tensor::zeros({2, 4, 2, 4}, DType::f32), k_wide = Tensor::zeros({2, 5, 2, 8}, DType::f32);
  const Tensor q_rank3 = q.reshape({2, 3, 8}), k_f64 = Tensor::zeros({2, 5, 2, 4}, DType::f64);
  const Tensor too_long = Tensor::from_doubles({5, 6}, {2}, DType::i64);
  const Tensor float_lengths = Tensor::from_doubles({5, 1}, {2}, DType::f32);
  const AttentionOptions bad_rate = opts(false, 1.5);
  XLM_CHECK_THROWS(attention(q, k, v_short, Tensor()), ShapeError, "same shape");
  XLM_CHECK_THROWS(attention(q, k_wide, k_wide, Tensor()), ShapeError, "head size");
  XLM_CHECK_THROWS(attention(q_rank3, k, k, Tensor()), ShapeError, "[B, T, H, D]");
  XLM_CHECK_THROWS(attention(q, k_f64, k_f64, Tensor()), DTypeError, "attention");
  XLM_CHECK_THROWS(attention(q, k, k, too_long), IndexError, "key_lengths[1] = 6", "[0, 5]");
  XLM_CHECK_THROWS(attention(q, k, k, float_lengths), DTypeError, "key_lengths");
  XLM_CHECK_THROWS(attention(q, k, k, Tensor(), bad_rate), ConfigError, "dropout", "1.5");
}

TEST_CASE("attention CUDA twin matches the CPU reference for each dtype and head size", "[attention][cuda]") {
  XLM_REQUIRE_GPU();
  struct Tol {
    DType dtype;
    double atol, rtol;
  };
  // Head sizes 64 and 128 take the tensor-core kernel for bf16/f16; 40 takes the generic one.
  for (int64_t d : {64, 128, 40}) {
    const std::vector<Case> cases = {
        {2, 130, 130, 2, d, {130, 67}, opts(true)},              // causal, not a multiple of the 64-row tiles
        {2, 7, 200, 3, d, {200, 0}, opts(false)},                // cross-attention, an empty source
        {2, 70, 90, 2, d, {90, 33}, opts(true, 0.1, 1234, 7)},   // causal cross + dropout
        {1, 1, 65, 2, d, {}, opts(false, 0.1, 99, 3)},           // one decoding step
    };
    for (const Tol& t : {Tol{DType::f32, 1e-5, 1e-4}, Tol{DType::bf16, 1e-2, 2e-2}, Tol{DType::f16, 2e-3, 4e-3}}) {
      for (const Case& c : cases) {
        INFO(dtype_name(t.dtype) << " D" << d << " Tq" << c.tq << " Tk" << c.tk << " causal " << c.options.causal
                                 << " p " << c.options.dropout);
        // The reference: f64 on the CPU, from the inputs rounded to the dtype under test.
        const Outcome want = run(attention, c, DType::f64, Device::cpu(), 1.0, t.dtype);
        const Outcome got = run(attention, c, t.dtype, Device::cuda(0));
        check_close(got, want, t.atol, t.rtol, 4.0);
      }
    }
  }
}
