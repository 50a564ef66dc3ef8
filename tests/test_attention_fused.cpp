// Fused attention against the composition it replaced (permute, matmul,
// masked_softmax, dropout), which lives on here only as the cross-check: the
// same masks, the same Philox dropout mask, the same gradients, in f64 on the
// CPU. Also the logsumexp it keeps, fully masked rows, extreme inputs, the
// argument errors, and [cuda] the GPU twin (tensor-core and generic paths)
// against the CPU reference for every dtype and head size: output, logsumexp
// (-inf rows included) and gradients, with causal Tq > Tk, empty sequences,
// dropout 1, i32 key lengths, tensors that are not 16-byte aligned (the
// generic fallback of the bf16/f16 head sizes), and two runs bit for bit.
#include "core/autograd.h"
#include "core/error.h"
#include "kernels/attention/attention.h"
#include "kernels/dropout/dropout.h"
#include "kernels/masked_softmax/masked_softmax.h"
#include "kernels/matmul/matmul.h"
#include "kernels/op_spec.h"
#include "kernels/permute/permute.h"
#include "support.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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
  DType lengths_dtype = DType::i64;
  int64_t misalign = 0;  // q, k, v start this many elements into their buffers (1: not 16-byte aligned)
};

struct Outcome {
  std::vector<double> out, gq, gk, gv;
  std::vector<double> lse;  // (B, H, Tq), when the function returns it
};

std::pair<Tensor, Tensor> out_and_lse(const Tensor& out) { return {out, Tensor()}; }
std::pair<Tensor, Tensor> out_and_lse(const AttentionResult& r) { return {r.out, r.logsumexp}; }

// Runs fn (attention, attention_with_logsumexp or composed_attention) on the case's inputs
// (seeded, in `dtype` on `device`) and backpropagates a fixed upstream gradient. Inputs and
// gradient are first rounded through `round_through` (default: dtype), so a reference in f64
// sees exactly the values a bf16 run sees. With c.misalign, q, k and v are views that start
// c.misalign elements into a leaf buffer (their gradients are read back from its tail).
template <typename Fn>
Outcome run(Fn fn, const Case& c, DType dtype, Device device, double magnitude = 1.0,
            std::optional<DType> rounding = std::nullopt) {
  const DType round_through = rounding.value_or(dtype);
  std::vector<Tensor> leaves;
  auto input = [&](const Shape& s, uint64_t seed) {
    const auto v = random_uniform(s, seed, -magnitude, magnitude).to_doubles();
    auto r = Tensor::from_doubles(v, s, round_through).to_doubles();
    if (c.misalign == 0) {
      leaves.push_back(Tensor::from_doubles(r, s, dtype, device).set_requires_grad(true));
      return leaves.back();
    }
    r.insert(r.begin(), static_cast<size_t>(c.misalign), 0.0);
    const int64_t n = static_cast<int64_t>(r.size());
    leaves.push_back(Tensor::from_doubles(r, {n}, dtype, device).set_requires_grad(true));
    Tensor view = leaves.back().slice(c.misalign, n).reshape(s);
    CHECK(reinterpret_cast<uintptr_t>(view.data_ptr()) % 16 != 0);  // the case is what it claims
    return view;
  };
  Tensor q = input({c.b, c.tq, c.h, c.d}, 11), k = input({c.b, c.tk, c.h, c.d}, 12), v = input({c.b, c.tk, c.h, c.d}, 13);
  Tensor lengths =
      c.lengths.empty() ? Tensor() : Tensor::from_doubles(c.lengths, {c.b}, c.lengths_dtype, device);
  const auto [y, lse] = out_and_lse(fn(q, k, v, lengths, c.options));
  const auto w =
      Tensor::from_doubles(random_uniform(y.shape(), 14).to_doubles(), y.shape(), round_through).to_doubles();
  y.backward(Tensor::from_doubles(w, y.shape(), dtype, device));
  auto grad = [&](size_t i) {
    auto g = leaves[i].grad().to_doubles();
    g.erase(g.begin(), g.begin() + c.misalign);
    return g;
  };
  return {y.to_doubles(), grad(0), grad(1), grad(2), lse.defined() ? lse.to_doubles() : std::vector<double>{}};
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

namespace {

// A tolerance per dtype under test (docs/numerics.md's table); gradients get 4x.
struct Tol {
  DType dtype;
  double atol, rtol;
};
const std::vector<Tol>& device_tolerances() {
  static const std::vector<Tol> t = {{DType::f32, 1e-5, 1e-4}, {DType::bf16, 1e-2, 2e-2}, {DType::f16, 2e-3, 4e-3}};
  return t;
}

// The gradients of the Tq = 1 and Tk = 200 cases stay below ~0.04, under bf16's gradient atol
// (4e-2), so every comparison below scales atol to the tensor (test::scaled_atol): with the
// plain atol an all-zero dK or dV would pass.
using xlm::test::scaled_atol;

// The logsumexp is fp32 on every device and for every input dtype (the inputs are the same
// rounded values on both sides), so it is held to the f32 row; a row whose reference is -inf
// (no visible key) must be -inf.
void check_logsumexp(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  std::vector<double> got_finite, want_finite;
  long bad_inf = -1;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] == -std::numeric_limits<double>::infinity()) {
      if (got[i] != want[i] && bad_inf < 0) bad_inf = static_cast<long>(i);
    } else {
      got_finite.push_back(got[i]);
      want_finite.push_back(want[i]);
    }
  }
  INFO("logsumexp row " << bad_inf << " should be -inf, got " << (bad_inf >= 0 ? got[bad_inf] : 0.0));
  CHECK(bad_inf == -1);
  XLM_CHECK_CLOSE(got_finite, want_finite, 1e-5, 1e-4);
}

// The fused op on `device` in `dtype` against the f64 CPU reference computed from the
// same rounded inputs with i64 key lengths and aligned tensors (the case's plain layout).
void check_against_cpu_reference(const Case& c, DType dtype, Device device, double atol, double rtol) {
  Case plain = c;
  plain.lengths_dtype = DType::i64;
  plain.misalign = 0;
  const Outcome want = run(attention_with_logsumexp, plain, DType::f64, Device::cpu(), 1.0, dtype);
  const Outcome got = run(attention_with_logsumexp, c, dtype, device);
  XLM_CHECK_CLOSE(got.out, want.out, scaled_atol(want.out, atol), rtol);
  XLM_CHECK_CLOSE(got.gq, want.gq, scaled_atol(want.gq, 4 * atol), 4 * rtol);
  XLM_CHECK_CLOSE(got.gk, want.gk, scaled_atol(want.gk, 4 * atol), 4 * rtol);
  XLM_CHECK_CLOSE(got.gv, want.gv, scaled_atol(want.gv, 4 * atol), 4 * rtol);
  check_logsumexp(got.lse, want.lse);
}

std::string describe(const Case& c, DType dtype) {
  std::string s = std::string(dtype_name(dtype)) + " B" + std::to_string(c.b) + " Tq" + std::to_string(c.tq) + " Tk" +
                  std::to_string(c.tk) + " H" + std::to_string(c.h) + " D" + std::to_string(c.d) +
                  (c.options.causal ? " causal" : "") + " p " + std::to_string(c.options.dropout) + " lengths " +
                  dtype_name(c.lengths_dtype) + " misalign " + std::to_string(c.misalign);
  return s;
}

// The [cuda] cases at head size d.
std::vector<Case> device_cases(int64_t d) {
  return {
      {2, 130, 130, 2, d, {130, 67}, opts(true)},              // causal, not a multiple of the 64-row tiles
      {2, 7, 200, 3, d, {200, 0}, opts(false)},                // cross-attention, an empty source
      {2, 70, 90, 2, d, {90, 33}, opts(true, 0.1, 1234, 7)},   // causal cross + dropout
      {1, 1, 65, 2, d, {}, opts(false, 0.1, 99, 3)},           // one decoding step
      {1, 70, 6, 2, d, {}, opts(true)},                        // causal Tq > Tk: queries 0..63 see no key
      {2, 100, 37, 2, d, {37, 5}, opts(true, 0.2, 5, 1)},      // causal Tq > Tk with padding and dropout
      {3, 64, 64, 1, d, {0, 64, 1}, opts(true, 0.3, 11, 2)},   // length 0 (every row fully padded) and 1
      {2, 65, 65, 1, d, {65, 40}, opts(true, 1.0, 3, 0)},      // dropout 1: zero output and gradients
      {2, 70, 90, 2, d, {90, 33}, opts(true, 0.1, 1234, 7), DType::i32},  // i32 key lengths on the device
  };
}

}  // namespace

TEST_CASE("attention CUDA twin matches the CPU reference for each dtype and head size", "[attention][cuda]") {
  XLM_REQUIRE_GPU_OR_STANDIN();
  // Head sizes 64 and 128 take the tensor-core kernels for bf16/f16; 40 takes the generic ones.
  for (int64_t d : {64, 128, 40}) {
    for (const Tol& t : device_tolerances()) {
      if (!xlm::test::gpu_runs(t.dtype)) continue;  // the stand-in: f32 only
      for (const Case& c : device_cases(d)) {
        INFO(describe(c, t.dtype));
        check_against_cpu_reference(c, t.dtype, xlm::test::gpu(), t.atol, t.rtol);
      }
    }
  }
}

TEST_CASE("attention CUDA twin: tensors that are not 16-byte aligned take the generic kernels", "[attention][cuda]") {
  XLM_REQUIRE_GPU();  // bf16/f16: no CPU twin to stand in
  // bf16/f16 at D = 64 and 128 fall back to attention_generic.cuh when a tensor is not
  // 16-byte aligned (q, k, v here: views one element into their buffers).
  for (int64_t d : {64, 128}) {
    for (const Tol& t : device_tolerances()) {
      for (Case c : {Case{2, 70, 90, 2, d, {90, 33}, opts(true, 0.1, 1234, 7)}, Case{1, 70, 6, 2, d, {}, opts(true)}}) {
        c.misalign = 1;
        INFO(describe(c, t.dtype));
        check_against_cpu_reference(c, t.dtype, xlm::test::gpu(), t.atol, t.rtol);
      }
    }
  }
}

TEST_CASE("attention CUDA twin: two runs give the same bits, forward and backward", "[attention][cuda]") {
  XLM_REQUIRE_GPU();  // bf16/f16: no CPU twin to stand in
  // No atomics anywhere (dQ is its own pass), so the results must not change from run to run.
  for (int64_t d : {64, 128, 40}) {
    for (const Tol& t : device_tolerances()) {
      const Case c{2, 130, 200, 3, d, {200, 150}, opts(true, 0.1, 42, 5)};
      INFO(describe(c, t.dtype));
      const Outcome first = run(attention_with_logsumexp, c, t.dtype, xlm::test::gpu());
      const Outcome second = run(attention_with_logsumexp, c, t.dtype, xlm::test::gpu());
      CHECK(first.out == second.out);
      CHECK(first.lse == second.lse);
      CHECK(first.gq == second.gq);
      CHECK(first.gk == second.gk);
      CHECK(first.gv == second.gv);
    }
  }
}

TEST_CASE("attention's GPU test cases hold for the CPU twin in f32: reference, layouts, checks", "[attention]") {
  // The device tests' own machinery, run where there is no GPU: the f64 reference from
  // rounded inputs, i32 key lengths, misaligned views, the scaled atol, the -inf rows of the
  // logsumexp and two runs bit for bit, with the CPU twin in f32 under the f32 row.
  const Tol& t = device_tolerances().front();
  std::vector<Case> cases = device_cases(64);
  Case misaligned{2, 70, 90, 2, 64, {90, 33}, opts(true, 0.1, 1234, 7)};
  misaligned.misalign = 1;
  cases.push_back(misaligned);
  for (const Case& c : cases) {
    INFO(describe(c, t.dtype));
    check_against_cpu_reference(c, t.dtype, Device::cpu(), t.atol, t.rtol);
  }
  const Case c{2, 130, 200, 3, 64, {200, 150}, opts(true, 0.1, 42, 5)};
  const Outcome first = run(attention_with_logsumexp, c, DType::f32, Device::cpu());
  const Outcome second = run(attention_with_logsumexp, c, DType::f32, Device::cpu());
  CHECK((first.out == second.out && first.lse == second.lse && first.gq == second.gq && first.gk == second.gk &&
         first.gv == second.gv));
  // Causal Tq > Tk does give rows that see no key (queries 0..63 of both heads): -inf to compare.
  const Case tq_over_tk{1, 70, 6, 2, 64, {}, opts(true)};
  const Outcome empty_rows = run(attention_with_logsumexp, tq_over_tk, DType::f64, Device::cpu());
  CHECK(std::count(empty_rows.lse.begin(), empty_rows.lse.end(), -std::numeric_limits<double>::infinity()) ==
        2 * 64);
}
