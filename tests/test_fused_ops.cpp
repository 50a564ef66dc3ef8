// The fused ops against the compositions they replace: on the CPU the fused
// residual layer norm and bias + GELU are the same loops, so outputs and
// every gradient must be equal bit for bit; p = 0 / p = 1 and the argument
// checks; and [cuda] cases the harness shapes do not reach (rows long enough
// to need more than 48 KiB of shared memory, or just under it once the
// kernels' static shared memory is counted, rows that start misaligned so the
// scalar path runs, large batches), in f32 and in bf16/f16.
#include "core/autograd.h"
#include "core/error.h"
#include "kernels/add/add.h"
#include "kernels/bias_gelu/bias_gelu.h"
#include "kernels/dropout/dropout.h"
#include "kernels/gelu/gelu.h"
#include "kernels/layer_norm/layer_norm.h"
#include "kernels/op_spec.h"
#include "kernels/residual_layer_norm/residual_layer_norm.h"
#include "kernels/scale_rows/scale_rows.h"
#include "support.h"

#include <optional>

using namespace xlm;

namespace {

struct ResidualRun {
  std::vector<double> y, gx, gf, ggamma, gbeta;
};

// t's values rounded through `round_through`, then stored in `dtype` on `device`.
Tensor rounded(const Tensor& t, DType round_through, DType dtype, Device device) {
  const auto r = Tensor::from_doubles(t.to_doubles(), t.shape(), round_through).to_doubles();
  return Tensor::from_doubles(r, t.shape(), dtype, device);
}

Tensor leaf(const Tensor& t, DType dtype, Device device, std::optional<DType> rounding = std::nullopt) {
  Tensor p = rounded(t, rounding.value_or(dtype), dtype, device);
  p.set_requires_grad(true);
  return p;
}

// A padding mask for rows of `shape` (all but the last dim): 0 on every third row, else 1.
Tensor padding_mask(const Shape& shape, DType dtype, Device device) {
  const Shape rows(shape.begin(), shape.end() - 1);
  std::vector<double> m(static_cast<size_t>(shape_numel(rows)), 1.0);
  for (size_t r = 1; r < m.size(); r += 3) m[r] = 0.0;
  return Tensor::from_doubles(m, rows, dtype, device);
}

// fused = residual_layer_norm, otherwise layer_norm(add(x, dropout(f))), and with `masked`
// the rows times padding_mask (fused: the op's row_scale; otherwise scale_rows). Inputs and
// the upstream gradient are rounded through `rounding` (default: dtype) first, so an f64
// reference can see the values a bf16 run sees.
ResidualRun run_residual(bool fused, const Shape& shape, double p, uint64_t offset, DType dtype = DType::f32,
                         Device device = Device::cpu(), double lo = -2, double hi = 2,
                         std::optional<DType> rounding = std::nullopt, bool masked = false) {
  const int64_t C = shape.back();
  const DType round_through = rounding.value_or(dtype);
  Tensor x = leaf(random_uniform(shape, 1, lo, hi), dtype, device, round_through),
         f = leaf(random_uniform(shape, 2, lo, hi), dtype, device, round_through);
  Tensor gamma = leaf(random_uniform({C}, 3, 0.5, 1.5), dtype, device, round_through);
  Tensor beta = leaf(random_uniform({C}, 4), dtype, device, round_through);
  const uint64_t seed = 77;
  const Tensor mask = masked ? padding_mask(shape, dtype, device) : Tensor();
  Tensor y = fused ? residual_layer_norm(x, f, gamma, beta, 1e-12, ResidualDropout{p, seed, offset}, mask)
                   : layer_norm(add(x, dropout(f, p, seed, offset)), gamma, beta, 1e-12);
  if (masked && !fused) y = scale_rows(y, mask);
  y.backward(rounded(random_uniform(shape, 5), round_through, dtype, device));
  return {y.to_doubles(), x.grad().to_doubles(), f.grad().to_doubles(), gamma.grad().to_doubles(),
          beta.grad().to_doubles()};
}

void check_equal(const ResidualRun& a, const ResidualRun& b) {
  CHECK(a.y == b.y);
  CHECK(a.gx == b.gx);
  CHECK(a.gf == b.gf);
  CHECK(a.ggamma == b.ggamma);
  CHECK(a.gbeta == b.gbeta);
}

void check_close(const ResidualRun& got, const ResidualRun& want, double atol, double rtol) {
  XLM_CHECK_CLOSE(got.y, want.y, atol, rtol);
  // grad_x and grad_f of rows of magnitude 1e4 are ~1e-4 (rstd ~ 1/8000): atol scaled to them.
  XLM_CHECK_CLOSE(got.gx, want.gx, xlm::test::scaled_atol(want.gx, atol), rtol);
  XLM_CHECK_CLOSE(got.gf, want.gf, xlm::test::scaled_atol(want.gf, atol), rtol);
  XLM_CHECK_CLOSE(got.ggamma, want.ggamma, atol * 10, rtol);
  XLM_CHECK_CLOSE(got.gbeta, want.gbeta, atol * 10, rtol);
}

}  // namespace

TEST_CASE("residual_layer_norm on the CPU is bit-identical to layer_norm(add(x, dropout(f)))", "[residual_layer_norm]") {
  for (double p : {0.0, 0.1, 0.5, 1.0}) {
    for (uint64_t offset : {0ull, 4ull, 1000004ull}) {
      INFO("p " << p << " offset " << offset);
      check_equal(run_residual(true, {3, 5, 37}, p, offset), run_residual(false, {3, 5, 37}, p, offset));
    }
  }
  check_equal(run_residual(true, {6, 1}, 0.1, 8), run_residual(false, {6, 1}, 0.1, 8));
  // The shape of the [cuda] shared-memory regression case (C = 3020), in f32 and f64.
  check_equal(run_residual(true, {2, 3020}, 0.1, 12), run_residual(false, {2, 3020}, 0.1, 12));
  check_equal(run_residual(true, {2, 3020}, 0.1, 12, DType::f64), run_residual(false, {2, 3020}, 0.1, 12, DType::f64));
}

TEST_CASE("residual_layer_norm with a row factor is bit-identical to scale_rows after the op", "[residual_layer_norm]") {
  for (double p : {0.0, 0.1}) {
    for (DType dtype : {DType::f32, DType::f64}) {
      INFO("p " << p << " " << dtype_name(dtype));
      const ResidualRun fused = run_residual(true, {3, 5, 37}, p, 4, dtype, Device::cpu(), -2, 2, std::nullopt, true);
      check_equal(fused, run_residual(false, {3, 5, 37}, p, 4, dtype, Device::cpu(), -2, 2, std::nullopt, true));
      // Masked rows: output 0 and no gradient reaches x or f through them.
      for (size_t r = 1; r < 15; r += 3) {
        for (size_t c = 0; c < 37; ++c) {
          CHECK(fused.y[r * 37 + c] == 0.0);
          CHECK(fused.gx[r * 37 + c] == 0.0);
          CHECK(fused.gf[r * 37 + c] == 0.0);
        }
      }
    }
  }
}

TEST_CASE("residual_layer_norm: p = 1 drops all of f, so grad_f is zero", "[residual_layer_norm]") {
  const ResidualRun r = run_residual(true, {4, 9}, 1.0, 0);
  for (double v : r.gf) CHECK(v == 0.0);
  double sum = 0;
  for (double v : r.gx) sum += std::fabs(v);
  CHECK(sum > 0.1);
}

TEST_CASE("residual_layer_norm rejects bad arguments with a clear error", "[residual_layer_norm]") {
  const Tensor x = Tensor::zeros({2, 4}, DType::f32), g = Tensor::zeros({4}, DType::f32);
  XLM_CHECK_THROWS(residual_layer_norm(x, Tensor::zeros({2, 3}, DType::f32), g, g, 1e-12), ShapeError, "'f'");
  XLM_CHECK_THROWS(residual_layer_norm(x, x, Tensor::zeros({3}, DType::f32), g, 1e-12), ShapeError, "'gamma'");
  XLM_CHECK_THROWS(residual_layer_norm(x, x, g, g, 1e-12, ResidualDropout{1.5, 0, 0}), ConfigError, "[0, 1]");
  XLM_CHECK_THROWS(residual_layer_norm(x, x, g, g, 0.0), Error, "eps");
  XLM_CHECK_THROWS(residual_layer_norm(x, Tensor::zeros({2, 4}, DType::f64), g, g, 1e-12), DTypeError,
                   "residual_layer_norm");
  XLM_CHECK_THROWS(residual_layer_norm(x, x, g, g, 1e-12, {}, Tensor::zeros({4}, DType::f32)), ShapeError,
                   "'row_scale'");
  XLM_CHECK_THROWS(residual_layer_norm(x, x, g, g, 1e-12, {}, Tensor::zeros({2}, DType::f64)), DTypeError,
                   "residual_layer_norm");
  Tensor learned = Tensor::zeros({2}, DType::f32);
  learned.set_requires_grad(true);
  XLM_CHECK_THROWS(residual_layer_norm(x, x, g, g, 1e-12, {}, learned), Error, "takes no gradient");
}

TEST_CASE("bias_gelu on the CPU is bit-identical to gelu(add(x, b))", "[bias_gelu]") {
  for (Shape shape : {Shape{1}, Shape{3, 7}, Shape{2, 4, 64}}) {
    INFO(shape_str(shape));
    const int64_t N = shape.back();
    std::vector<std::vector<double>> outs[2];
    for (int fused = 0; fused < 2; ++fused) {
      Tensor x = leaf(random_uniform(shape, 11, -5, 5), DType::f32, Device::cpu());
      Tensor b = leaf(random_uniform({N}, 12), DType::f32, Device::cpu());
      Tensor y = fused ? bias_gelu(x, b) : gelu(add(x, b));
      y.backward(Tensor::from_doubles(random_uniform(shape, 13).to_doubles(), shape, DType::f32));
      outs[fused] = {y.to_doubles(), x.grad().to_doubles(), b.grad().to_doubles()};
    }
    CHECK(outs[0] == outs[1]);
  }
}

TEST_CASE("bias_gelu: far tails give z and 0 with gradients 1 and 0", "[bias_gelu]") {
  Tensor x = Tensor::from_doubles({40, -40, 1e4, -1e4}, {1, 4}, DType::f32);
  x.set_requires_grad(true);
  const Tensor b = Tensor::from_doubles({1, 1, 0, 0}, {4}, DType::f32);
  Tensor y = bias_gelu(x, b);
  y.backward(Tensor::full({1, 4}, 1.0, DType::f32));
  XLM_CHECK_CLOSE(y.to_doubles(), (std::vector<double>{41, 0, 1e4, 0}), 0.0, 0.0);
  XLM_CHECK_CLOSE(x.grad().to_doubles(), (std::vector<double>{1, 0, 1, 0}), 0.0, 0.0);
}

TEST_CASE("bias_gelu rejects bad arguments with a clear error", "[bias_gelu]") {
  const Tensor x = Tensor::zeros({2, 4}, DType::f32);
  XLM_CHECK_THROWS(bias_gelu(x, Tensor::zeros({3}, DType::f32)), ShapeError, "'b'");
  XLM_CHECK_THROWS(bias_gelu(x, Tensor::zeros({4}, DType::f64)), DTypeError, "bias_gelu");
  XLM_CHECK_THROWS(bias_gelu(Tensor::zeros({2, 4}, DType::i64), Tensor::zeros({4}, DType::i64)), DTypeError, "'x'");
}

TEST_CASE("residual_layer_norm on CUDA: long rows, misaligned rows, many rows", "[residual_layer_norm][cuda]") {
  XLM_REQUIRE_GPU_OR_STANDIN();
  struct Case {
    Shape shape;
    double p, lo, hi;
  };
  // C = 4096: the backward needs 64 KiB of shared memory (opt-in); C = 1027 runs the scalar path;
  // 4000 rows of 1024 is a training-sized batch (more rows than backward blocks). C = 3020: the
  // backward's 16C + C/4 = 49,075 dynamic bytes are under 48 KiB, but not with the kernels'
  // 128 static bytes (review-norm's regression case: it must opt in, or the launch fails).
  for (const Case& c : {Case{{3, 4096}, 0.1, -2, 2}, Case{{5, 1027}, 0.1, -2, 2}, Case{{4000, 1024}, 0.1, -2, 2},
                        Case{{8, 256}, 0.0, -1e4, 1e4}, Case{{8, 256}, 0.3, -1.1e4, -0.9e4},
                        Case{{2, 3020}, 0.1, -2, 2}}) {
    INFO(shape_str(c.shape) << " p " << c.p);
    for (bool masked : {false, true}) {
      INFO("masked " << masked);
      const ResidualRun want =
          run_residual(false, c.shape, c.p, 12, DType::f32, Device::cpu(), c.lo, c.hi, std::nullopt, masked);
      const ResidualRun got =
          run_residual(true, c.shape, c.p, 12, DType::f32, xlm::test::gpu(), c.lo, c.hi, std::nullopt, masked);
      check_close(got, want, 1e-4, 1e-3);
    }
  }
}

TEST_CASE("residual_layer_norm and bias_gelu on CUDA: views starting off a 4-element boundary", "[bias_gelu][cuda]") {
  XLM_REQUIRE_GPU_OR_STANDIN();
  // Rows of 8 elements sliced from row 1 of a (5, 9) buffer reshaped: a slice
  // of a (45,) vector at offset 1 is not 16-byte aligned.
  const Tensor base = random_uniform({45}, 21);
  std::vector<std::vector<double>> out[2];
  int k = 0;
  for (Device device : {Device::cpu(), xlm::test::gpu()}) {
    const Tensor buf = Tensor::from_doubles(base.to_doubles(), {45}, DType::f32, device);
    const Tensor x = buf.slice(1, 41).reshape({5, 8});
    const Tensor f = buf.slice(3, 43).reshape({5, 8});
    const Tensor b = buf.slice(5, 13);
    const Tensor gamma = Tensor::full({8}, 1.25, DType::f32, device);
    out[k++] = {bias_gelu(x, b).to_doubles(),
                residual_layer_norm(x, f, gamma, b, 1e-12, ResidualDropout{0.2, 5, 3}).to_doubles()};
  }
  XLM_CHECK_CLOSE(out[1][0], out[0][0], 1e-6, 1e-5);
  XLM_CHECK_CLOSE(out[1][1], out[0][1], 1e-5, 1e-4);
}

TEST_CASE("residual_layer_norm on CUDA in bf16 and f16: long and misaligned rows", "[residual_layer_norm][cuda]") {
  XLM_REQUIRE_GPU();  // bf16/f16: no CPU twin to stand in
  // The same long-row paths in 16-bit storage (z, statistics and reductions in fp32, one
  // rounding of each output), against the f64 composition on the CPU from the same rounded
  // inputs, with the default table (docs/numerics.md), gradients x4.
  struct Tol {
    DType dtype;
    double atol, rtol;
  };
  for (const Tol& t : {Tol{DType::bf16, 1e-2, 2e-2}, Tol{DType::f16, 2e-3, 4e-3}}) {
    for (const Shape& shape : {Shape{2, 3020}, Shape{3, 4096}, Shape{5, 1027}}) {
      INFO(dtype_name(t.dtype) << " " << shape_str(shape));
      const ResidualRun want = run_residual(false, shape, 0.1, 12, DType::f64, Device::cpu(), -2, 2, t.dtype);
      const ResidualRun got = run_residual(true, shape, 0.1, 12, t.dtype, xlm::test::gpu(), -2, 2);
      XLM_CHECK_CLOSE(got.y, want.y, t.atol, t.rtol);
      XLM_CHECK_CLOSE(got.gx, want.gx, 4 * t.atol, 4 * t.rtol);
      XLM_CHECK_CLOSE(got.gf, want.gf, 4 * t.atol, 4 * t.rtol);
      XLM_CHECK_CLOSE(got.ggamma, want.ggamma, 4 * t.atol, 4 * t.rtol);
      XLM_CHECK_CLOSE(got.gbeta, want.gbeta, 4 * t.atol, 4 * t.rtol);
    }
  }
}

TEST_CASE("residual_layer_norm on CUDA: a 0/1 row factor gives the unmasked op's bits or zeros", "[residual_layer_norm][cuda]") {
  XLM_REQUIRE_GPU_OR_STANDIN();
  // The mask multiplies the output before its one rounding and the upstream gradient as
  // it is loaded, so a row with factor 1 is the unmasked row bit for bit (output, grad_x,
  // grad_f) and a row with factor 0 is zero, in every dtype the device runs; long rows
  // (shared-memory opt-in) and a misaligned length (scalar path) included.
  for (DType dtype : {DType::f32, DType::bf16, DType::f16}) {
    if (!xlm::test::gpu_runs(dtype)) continue;
    for (const Shape& shape : {Shape{7, 1024}, Shape{4, 1027}, Shape{3, 4096}}) {
      INFO(dtype_name(dtype) << " " << shape_str(shape));
      const int64_t C = shape.back(), rows = shape_numel(shape) / C;
      const ResidualRun plain = run_residual(true, shape, 0.1, 12, dtype, xlm::test::gpu(), -2, 2);
      const ResidualRun masked = run_residual(true, shape, 0.1, 12, dtype, xlm::test::gpu(), -2, 2, std::nullopt, true);
      for (int64_t r = 0; r < rows; ++r) {
        const bool kept = r % 3 != 1;  // padding_mask's rule
        for (int64_t c = 0; c < C; ++c) {
          const size_t i = static_cast<size_t>(r * C + c);
          if (kept) {
            REQUIRE(masked.y[i] == plain.y[i]);
            REQUIRE(masked.gx[i] == plain.gx[i]);
            REQUIRE(masked.gf[i] == plain.gf[i]);
          } else {
            REQUIRE(masked.y[i] == 0.0);
            REQUIRE(masked.gx[i] == 0.0);
            REQUIRE(masked.gf[i] == 0.0);
          }
        }
      }
    }
  }
}
