// Times the CPU twin of fused attention (forward, and forward + backward
// through autograd) next to the composed path it replaced (permute, matmul,
// masked_softmax, dropout), on fixed shapes, f32, causal, dropout 0.1. A plain
// program rather than a test: timings on a shared machine are noisy, so each
// figure is the best of several repetitions, and nothing here can fail a build.
// Usage: xlm_attention_cpu_bench [repetitions] [fused]   (threads: OMP_NUM_THREADS,
// with xlm's thread defaults, core/cpu_thread_env.h; `fused` skips the
// composed path, for profiling the fused one alone)
#include "core/autograd.h"
#include "core/cpu_parallel.h"
#include "core/cpu_thread_env.h"
#include "kernels/attention/attention.h"
#include "kernels/dropout/dropout.h"
#include "kernels/masked_softmax/masked_softmax.h"
#include "kernels/matmul/matmul.h"
#include "kernels/permute/permute.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

using namespace xlm;

namespace {

using AttentionFn = std::function<Tensor(const Tensor&, const Tensor&, const Tensor&, const AttentionOptions&)>;

Tensor composed(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& o) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  Tensor scores = matmul(permute(q, {0, 2, 1, 3}), permute(k, {0, 2, 1, 3}), false, true);  // (B, H, Tq, Tk)
  Tensor weights = masked_softmax(scores, Tensor(), o.causal, scale);
  if (o.dropout > 0) weights = dropout(weights, o.dropout, o.seed, o.offset);
  return permute(matmul(weights, permute(v, {0, 2, 1, 3})), {0, 2, 1, 3});  // (B, Tq, H, D)
}

Tensor fused(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& o) {
  return attention(q, k, v, Tensor(), o);
}

// Best wall time in ms over `reps` runs of fn (after one warm-up run).
double best_ms(int reps, const std::function<void()>& fn) {
  fn();
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  return best;
}

void bench(int64_t b, int64_t t, int64_t h, int64_t d, int reps, bool with_composed) {
  auto input = [&](uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> dist(-1.0, 1.0);
    std::vector<double> values(static_cast<size_t>(b * t * h * d));
    for (double& x : values) x = dist(rng);
    return Tensor::from_doubles(values, {b, t, h, d}, DType::f32);
  };
  const Tensor q0 = input(1), k0 = input(2), v0 = input(3), w = input(4);  // (B, T, H, D)
  AttentionOptions o;
  o.causal = true;
  o.dropout = 0.1;
  o.seed = 7;
  auto forward = [&](const AttentionFn& fn) {
    return best_ms(reps, [&] {
      autograd::NoGradGuard no_grad;
      fn(q0, k0, v0, o);
    });
  };
  auto forward_backward = [&](const AttentionFn& fn) {
    return best_ms(reps, [&] {
      Tensor q = q0.detach().set_requires_grad(true), k = k0.detach().set_requires_grad(true),
             v = v0.detach().set_requires_grad(true);
      fn(q, k, v, o).backward(w);
    });
  };
  fmt::print("B={:<3} T={:<4} H={:<2} D={:<4} | fused fwd {:7.2f} ms  fwd+bwd {:7.2f} ms | composed fwd {:7.2f} ms  "
             "fwd+bwd {:7.2f} ms\n",
             b, t, h, d, forward(fused), forward_backward(fused), with_composed ? forward(composed) : 0.0,
             with_composed ? forward_backward(composed) : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  xlm::apply_cpu_thread_env_defaults(argv);  // as xlm does (tools/main.cpp)
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  const bool with_composed = !(argc > 2 && std::string(argv[2]) == "fused");
  fmt::print("f32, causal, dropout 0.1, best of {} runs, {} threads\n", reps, xlm::cpu_threads());
  bench(4, 128, 8, 64, reps, with_composed);
  bench(16, 128, 4, 64, reps, with_composed);
  bench(8, 256, 8, 128, reps, with_composed);
  return 0;
}
