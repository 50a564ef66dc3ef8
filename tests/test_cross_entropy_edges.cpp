// Cross-entropy where a naive softmax fails: logits of magnitude 1e4 and
// 1e30 (exp overflows without the max shift), very negative rows (exp
// underflows to 0 for every column), a confident row whose gradient is
// exactly 0, and a batch where every row is ignored. [cuda]: vocabularies
// of XLM's size (64k, 95k columns, odd and multiple-of-4 widths), and the
// same extreme rows, against the CPU.
#include "core/autograd.h"
#include "kernels/cross_entropy/cross_entropy.h"
#include "support.h"

#include <cmath>

using namespace xlm;

namespace {

struct CeRun {
  double loss;
  std::vector<double> grad;
};

CeRun run_ce(const std::vector<double>& logits, int64_t N, int64_t V, const std::vector<int64_t>& targets, DType dtype,
             Device device, int64_t ignore_index = -100) {
  Tensor x = Tensor::from_doubles(logits, {N, V}, dtype, device);
  x.set_requires_grad(true);
  Tensor loss = cross_entropy(x, Tensor::from_vector(targets, {N}, device), ignore_index);
  loss.backward();
  return {loss.item(), x.grad().to_doubles()};
}

// Row n: base + n + v * step for column v.
std::vector<double> ramp(int64_t N, int64_t V, double base, double step) {
  std::vector<double> v(static_cast<size_t>(N * V));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < V; ++c) v[static_cast<size_t>(n * V + c)] = base + static_cast<double>(n) + c * step;
  return v;
}

}  // namespace

TEST_CASE("cross_entropy is shift invariant at 1e4 and -1e4 and finite at 1e30", "[cross_entropy]") {
  const int64_t N = 3, V = 7;
  const std::vector<int64_t> targets = {0, 6, 3};
  const CeRun centred = run_ce(ramp(N, V, 0, 0.5), N, V, targets, DType::f64, Device::cpu());
  for (double base : {1e4, -1e4}) {
    INFO("base " << base);
    const CeRun shifted = run_ce(ramp(N, V, base, 0.5), N, V, targets, DType::f32, Device::cpu());
    // f32 holds 1e4 + k/2 exactly; lse is rounded at 1e4 (ulp 1e-3).
    CHECK(std::fabs(shifted.loss - centred.loss) <= 2e-3);
    XLM_CHECK_CLOSE(shifted.grad, centred.grad, 2e-3, 0.0);
  }
  const CeRun huge = run_ce({1e30, -1e30, 0, 1e30, -1e30, 0}, 2, 3, {0, 1}, DType::f32, Device::cpu());
  CHECK(std::isfinite(huge.loss));
  CHECK(huge.loss == Approx(1e30).epsilon(1e-6));  // row 0 is certain (loss 0), row 1 is 2e30 off
  for (double g : huge.grad) CHECK(std::isfinite(g));
}

TEST_CASE("cross_entropy of a certain row is 0 with an exactly zero gradient", "[cross_entropy]") {
  const CeRun r = run_ce({-1e4, 1e4, -1e4, -1e4}, 1, 4, {1}, DType::f32, Device::cpu());
  CHECK(r.loss == 0.0);
  for (double g : r.grad) CHECK(g == 0.0);
}

TEST_CASE("cross_entropy with every row ignored: loss 0, gradient 0", "[cross_entropy]") {
  const CeRun r = run_ce(ramp(3, 5, 1e4, 1), 3, 5, {-1, -1, -1}, DType::f32, Device::cpu(), -1);
  CHECK(r.loss == 0.0);
  for (double g : r.grad) CHECK(g == 0.0);
}

TEST_CASE("cross_entropy on CUDA: XLM-sized vocabularies and extreme logits match the CPU", "[cross_entropy][cuda]") {
  XLM_REQUIRE_GPU();  // bf16/f16: no CPU twin to stand in
  struct Case {
    int64_t N, V;
    double base, step;
  };
  for (const Case& c : {Case{5, 64000, 0, 1e-4}, Case{3, 95001, -3, 7e-5}, Case{4, 95000, 1e4, 1e-5},
                        Case{4, 1003, -1e4, 0.01}}) {
    INFO("N " << c.N << " V " << c.V << " base " << c.base);
    std::vector<int64_t> targets;
    for (int64_t n = 0; n < c.N; ++n) targets.push_back((n * 7919 + 3) % c.V);
    targets[1] = -100;  // one ignored row
    const std::vector<double> logits = ramp(c.N, c.V, c.base, c.step);
    const CeRun want = run_ce(logits, c.N, c.V, targets, DType::f32, Device::cpu());
    const CeRun got = run_ce(logits, c.N, c.V, targets, DType::f32, xlm::test::gpu());
    CHECK(std::fabs(got.loss - want.loss) <= 2e-3 + 1e-4 * std::fabs(want.loss));
    XLM_CHECK_CLOSE(got.grad, want.grad, 1e-7, 3e-3);
    // bf16 logits: the CPU reference on the same rounded values.
    const std::vector<double> rounded = Tensor::from_doubles(logits, {c.N, c.V}, DType::bf16).to_doubles();
    const CeRun want16 = run_ce(rounded, c.N, c.V, targets, DType::f32, Device::cpu());
    const CeRun got16 = run_ce(rounded, c.N, c.V, targets, DType::bf16, xlm::test::gpu());
    CHECK(std::fabs(got16.loss - want16.loss) <= 2e-2 + 1e-3 * std::fabs(want16.loss));
    XLM_CHECK_CLOSE(got16.grad, want16.grad, 1e-6, 2e-2);
  }
  const CeRun certain = run_ce({-1e4, 1e4, -1e4, -1e4}, 1, 4, {1}, DType::f32, xlm::test::gpu());
  CHECK(certain.loss == 0.0);
  for (double g : certain.grad) CHECK(g == 0.0);
}
