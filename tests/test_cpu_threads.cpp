// The CPU twins made fast for issue 9 (vectorised loops, parallel_for): the
// dropout mask and values are those of the scalar Philox path for odd offsets
// and lengths (batches start at multiples of 64 draws, so a range's first and
// last batch are partial), and every op gives bit-identical results on 1 and
// on 2 threads, with sizes chosen so that 2 threads really split the work.
#include "core/philox.h"
#include "kernels/bias_gelu/bias_gelu.h"
#include "kernels/cross_entropy/cross_entropy.h"
#include "kernels/dropout/dropout.h"
#include "kernels/gelu/gelu.h"
#include "kernels/layer_norm/layer_norm.h"
#include "kernels/op_spec.h"
#include "nn/adam_update.h"

#include <catch2/catch.hpp>

#include <functional>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

using namespace xlm;

namespace {

Tensor f32(const Shape& shape, uint64_t seed, double lo = -3, double hi = 3) {
  return Tensor::from_doubles(random_uniform(shape, seed, lo, hi).to_doubles(), shape, DType::f32);
}

// The outputs of `run` (appended as doubles) with `threads` OpenMP threads.
std::vector<double> with_threads(int threads, const std::function<std::vector<Tensor>()>& run) {
#if defined(_OPENMP)
  const int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
#else
  (void)threads;
#endif
  std::vector<double> out;
  for (const Tensor& t : run()) {
    const std::vector<double> v = t.to_doubles();
    out.insert(out.end(), v.begin(), v.end());
  }
#if defined(_OPENMP)
  omp_set_num_threads(saved);
#endif
  return out;
}

void check_thread_invariant(const std::function<std::vector<Tensor>()>& run) {
  const std::vector<double> one = with_threads(1, run), two = with_threads(2, run);
  REQUIRE(one.size() == two.size());
  CHECK(one == two);
}

}  // namespace

TEST_CASE("cpu dropout draws the scalar Philox stream for odd offsets and lengths", "[dropout][cpu]") {
  const uint64_t seed = 0x1234567890abcdefull;
  for (double p : {0.1, 0.5, 0.9}) {
    const float threshold = dropout_threshold(p);
    const float scale = static_cast<float>(1.0 / (1.0 - p));
    for (uint64_t offset : {0ull, 1ull, 3ull, 5ull, 63ull, 64ull, 65ull, 130ull, (1ull << 34) + 7}) {
      for (int64_t n : {1, 2, 3, 5, 63, 64, 65, 127, 1001}) {
        Tensor mask = Tensor::empty({n}, DType::u8);
        dropout_mask_cpu(threshold, seed, offset, mask);
        const Tensor x = f32({n}, static_cast<uint64_t>(n));
        Tensor y = Tensor::empty({n}, DType::f32);
        dropout_forward_cpu(x, threshold, 1.0 / (1.0 - p), seed, offset, y);
        const std::vector<double> m = mask.to_doubles(), xv = x.to_doubles(), yv = y.to_doubles();
        for (int64_t i = 0; i < n; ++i) {
          const bool keep = philox_uniform(seed, offset + static_cast<uint64_t>(i)) > threshold;
          REQUIRE(m[static_cast<size_t>(i)] == (keep ? 1.0 : 0.0));
          const float want = keep ? static_cast<float>(xv[static_cast<size_t>(i)]) * scale : 0.0f;
          REQUIRE(yv[static_cast<size_t>(i)] == static_cast<double>(want));
        }
      }
    }
  }
}

TEST_CASE("cpu dropout keeps nothing at p = 1 and everything at p = 0", "[dropout][cpu]") {
  const Tensor x = f32({1000}, 3);
  Tensor y = Tensor::empty({1000}, DType::f32), mask = Tensor::empty({1000}, DType::u8);
  dropout_forward_cpu(x, dropout_threshold(1.0), 1.0, 9, 11, y);
  dropout_mask_cpu(dropout_threshold(1.0), 9, 11, mask);
  for (double v : y.to_doubles()) REQUIRE(v == 0.0);
  for (double v : mask.to_doubles()) REQUIRE(v == 0.0);
  dropout_forward_cpu(x, dropout_threshold(0.0), 1.0, 9, 11, y);
  CHECK(y.to_doubles() == x.to_doubles());
}

TEST_CASE("cpu twins give the same bits on 1 and 2 threads", "[cpu][parallel]") {
  SECTION("dropout") {
    const Tensor x = f32({40001}, 1);
    check_thread_invariant([&] {
      Tensor y = Tensor::empty(x.shape(), DType::f32), mask = Tensor::empty(x.shape(), DType::u8);
      dropout_forward_cpu(x, dropout_threshold(0.1), 1.0 / 0.9, 42, 7, y);
      dropout_mask_cpu(dropout_threshold(0.1), 42, 7, mask);
      return std::vector<Tensor>{y, mask};
    });
  }
  SECTION("gelu") {
    const Tensor x = f32({20001}, 2), gy = f32({20001}, 3);
    check_thread_invariant([&] { return std::vector<Tensor>{gelu(x), gelu_backward(x, gy)}; });
  }
  SECTION("bias_gelu") {
    const Tensor x = f32({64, 256}, 4), b = f32({256}, 5), gy = f32({64, 256}, 6);
    check_thread_invariant([&] {
      BiasGeluGrads g = bias_gelu_backward(x, b, gy);
      return std::vector<Tensor>{bias_gelu(x, b), g.grad_x, g.grad_b};
    });
  }
  SECTION("layer_norm") {
    const Tensor x = f32({600, 64}, 7), gamma = f32({64}, 8, 0.5, 1.5), beta = f32({64}, 9), gy = f32({600, 64}, 10);
    check_thread_invariant([&] {
      const int64_t rows = 600;
      Tensor y = Tensor::empty(x.shape(), DType::f32), mean = Tensor::empty({rows}, DType::f32),
             rstd = Tensor::empty({rows}, DType::f32);
      layer_norm_forward_cpu(x, gamma, beta, 1e-12, y, mean, rstd);
      Tensor gx = Tensor::empty(x.shape(), DType::f32), gg = Tensor::empty({64}, DType::f32),
             gb = Tensor::empty({64}, DType::f32);
      layer_norm_backward_cpu(x, gamma, mean, rstd, gy, gx, gg, gb);
      return std::vector<Tensor>{y, mean, rstd, gx, gg, gb};
    });
  }
  SECTION("cross_entropy") {
    const int64_t N = 300, V = 512;
    const Tensor logits = f32({N, V}, 11, -8, 8);
    std::vector<double> t(static_cast<size_t>(N));
    int64_t count = 0;
    for (int64_t n = 0; n < N; ++n) {
      t[static_cast<size_t>(n)] = n % 7 == 3 ? -100.0 : static_cast<double>((n * 37) % V);
      count += n % 7 == 3 ? 0 : 1;
    }
    const Tensor targets = Tensor::from_doubles(t, {N}, DType::i64);
    check_thread_invariant([&] {
      const Tensor loss = cross_entropy(logits, targets);
      const DType s = cross_entropy_loss_dtype(DType::f32);
      Tensor l = Tensor::empty({}, s), lse = Tensor::empty({N}, s);
      cross_entropy_forward_cpu(logits, targets, -100, count, l, lse);
      const Tensor g = cross_entropy_backward(logits, targets, lse, Tensor::full({}, 1.0, s), -100, count);
      return std::vector<Tensor>{loss, l, lse, g};
    });
  }
  SECTION("adam") {
    const int64_t n = 70001;
    check_thread_invariant([&] {
      Tensor p = f32({n}, 12), g = f32({n}, 13), m = f32({n}, 14, -0.1, 0.1), v = f32({n}, 15, 0, 0.01);
      nn::AdamUpdateArgs args;
      args.lr = 1e-3;
      args.weight_decay = 0.01;
      args.step_size = 1e-3;
      nn::adam_update(p, g, m, v, args);
      return std::vector<Tensor>{p, m, v};
    });
  }
}
