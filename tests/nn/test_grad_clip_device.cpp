// clip_factor_on_device against clip_grad_norm: on the CPU the same norm, and
// scale_by with its factor gives the same clipped gradients bit for bit
// (below, above and without a limit, in f32 and f64), with no host read
// counted and no gradient touched; a non-finite norm gives the factor 1. The
// optimizer's use of the factor (Optimizer::step's grad_factors) against
// scale_by then step, bit for bit, Adam and SGD. The [cuda] cases compare the
// device's norm and factor with the CPU's, also for a gradient whose square
// overflows fp32.
#include "core/error.h"
#include "core/host_reads.h"
#include "kernels/scale_by/scale_by.h"
#include "nn/grad_clip.h"
#include "nn/optimizer.h"
#include "nn/optimizer_parse.h"
#include "support.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace xlm;
using namespace xlm::nn;

namespace {

// Parameters of odd sizes (not multiples of 4: the CPU sum's tail runs) with seeded gradients.
NamedTensors params_with_grads(DType dtype, uint64_t seed, Device device = Device::cpu()) {
  NamedTensors out;
  for (int64_t n : {1, 7, 130, 1029}) {
    std::vector<double> g(static_cast<size_t>(n)), w(g.size());
    for (size_t i = 0; i < g.size(); ++i) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      g[i] = static_cast<double>(static_cast<int64_t>(seed >> 33) % 20001 - 10000) / 3333.0;
      w[i] = std::cos(0.3 * static_cast<double>(i + static_cast<size_t>(n)));
    }
    Tensor p = Tensor::from_doubles(w, {n}, dtype, device);
    p.set_requires_grad(true);
    p.set_grad(Tensor::from_doubles(g, p.shape(), dtype, device));
    out.emplace_back("p" + std::to_string(n), p);
  }
  return out;
}

std::vector<double> grads_of(const NamedTensors& params) {
  std::vector<double> all;
  for (const auto& [name, p] : params) {
    const std::vector<double> g = p.grad().to_doubles();
    all.insert(all.end(), g.begin(), g.end());
  }
  return all;
}

std::vector<double> values_of(const NamedTensors& params) {
  std::vector<double> all;
  for (const auto& [name, p] : params) {
    const std::vector<double> v = p.to_doubles();
    all.insert(all.end(), v.begin(), v.end());
  }
  return all;
}

}  // namespace

TEST_CASE("clip_factor_on_device: clip_grad_norm's norm and, through scale_by, its gradients bit for bit",
          "[nn][optimizer]") {
  for (DType dtype : {DType::f32, DType::f64}) {
    for (double max_norm : {0.0, 0.5, 1e9}) {
      INFO(dtype_name(dtype) << " max_norm " << max_norm);
      const NamedTensors today = params_with_grads(dtype, 7);
      const NamedTensors device = params_with_grads(dtype, 7);
      const double want = clip_grad_norm(today, max_norm);
      const int64_t reads = host_read_count();
      const ClipFactor clip = clip_factor_on_device(device, max_norm);
      CHECK(host_read_count() == reads);
      CHECK(clip.norm.dtype() == DType::f64);
      CHECK(clip.norm.item() == want);
      CHECK(grads_of(device) == grads_of(params_with_grads(dtype, 7)));  // nothing scaled
      if (max_norm > 0) {
        REQUIRE(clip.factor.defined());
        CHECK(clip.factor.dtype() == DType::f64);
        for (const auto& [name, p] : device) {
          Tensor t = p;
          t.set_grad(scale_by(p.grad(), clip.factor));
        }
        CHECK(grads_of(device) == grads_of(today));
        if (max_norm == 0.5) CHECK(grads_of(today) != grads_of(params_with_grads(dtype, 7)));  // it did clip
      } else {
        CHECK_FALSE(clip.factor.defined());
      }
    }
  }
}

TEST_CASE("clip_factor_on_device with inv_scale: the norm and clip of gradients unscaled first, bit for bit",
          "[nn][optimizer]") {
  // Loss-scaled gradients (x 2^10) measured with inv_scale 2^-10 against the
  // same gradients unscaled in place first: the same norm, and the factor
  // times a scaled gradient is the unscaled gradient times the plain factor.
  const double inv_scale = std::ldexp(1.0, -10);
  for (DType dtype : {DType::f32, DType::f64}) {
    for (double max_norm : {0.0, 0.5, 1e9}) {
      INFO(dtype_name(dtype) << " max_norm " << max_norm);
      const NamedTensors scaled = params_with_grads(dtype, 9), unscaled = params_with_grads(dtype, 9);
      for (const auto& [name, p] : scaled) {
        Tensor t = p;
        t.set_grad(scale_by(p.grad(), Tensor::from_vector(std::vector<double>{1 / inv_scale}, {1})));
      }
      const ClipFactor want = clip_factor_on_device(unscaled, max_norm);
      const ClipFactor got = clip_factor_on_device(scaled, max_norm, inv_scale);
      CHECK(got.norm.item() == want.norm.item());
      REQUIRE(got.factor.defined());  // it unscales, even without clipping
      for (size_t i = 0; i < scaled.size(); ++i) {
        const Tensor mine = scale_by(scaled[i].second.grad(), got.factor);
        const Tensor theirs = want.factor.defined() ? scale_by(unscaled[i].second.grad(), want.factor)
                                                    : unscaled[i].second.grad();
        CHECK(mine.to_doubles() == theirs.to_doubles());
      }
    }
  }
  XLM_CHECK_THROWS(clip_factor_on_device(params_with_grads(DType::f32, 1), 1.0, 0.0), Error, "inv_scale");
}

TEST_CASE("clip_factor_on_device: a non-finite norm gives the factor 1", "[nn][optimizer]") {
  NamedTensors params = params_with_grads(DType::f32, 3);
  Tensor bad = params[1].second;
  bad.set_grad(Tensor::full(bad.shape(), std::numeric_limits<double>::infinity(), DType::f32));
  const std::vector<double> before = grads_of(params);
  const ClipFactor clip = clip_factor_on_device(params, 0.5);
  CHECK(std::isinf(clip.norm.item()));
  CHECK(clip.factor.item() == 1.0);
  CHECK(grads_of(params) == before);
}

TEST_CASE("clip_factor_on_device: no gradient is a zero norm and no factor", "[nn][optimizer]") {
  Tensor p = Tensor::zeros({3}, DType::f32);
  p.set_requires_grad(true);
  const ClipFactor clip = clip_factor_on_device({{"p", p}}, 1.0);
  CHECK(clip.norm.item() == 0.0);
  CHECK_FALSE(clip.factor.defined());
  CHECK_FALSE(p.grad().defined());
}

TEST_CASE("Optimizer::step with gradient factors: scale_by then step, bit for bit", "[nn][optimizer]") {
  for (const std::string spec : {"adam,lr=0.001,weight_decay=0.01", "sgd,lr=0.1"}) {
    for (DType dtype : {DType::f32, DType::f64}) {
      INFO(spec << " " << dtype_name(dtype));
      const NamedTensors fused = params_with_grads(dtype, 5), two_pass = params_with_grads(dtype, 5);
      // Two clip groups with their own factors, and a parameter left unscaled.
      const Tensor a = Tensor::from_vector(std::vector<double>{0.25}, {1});       // (1,) f64
      const Tensor b = Tensor::from_vector(std::vector<double>{0.8134567}, {1});  // (1,) f64
      const std::vector<Tensor> factors{a, a, b, Tensor()};
      for (size_t i = 0; i < two_pass.size(); ++i) {
        if (!factors[i].defined()) continue;
        Tensor p = two_pass[i].second;
        p.set_grad(scale_by(p.grad(), factors[i]));
      }
      Optimizer with_factors(parse_optimizer_spec(spec), fused), plain(parse_optimizer_spec(spec), two_pass);
      const std::vector<double> grads_before = grads_of(fused);
      with_factors.step(factors);
      plain.step();
      CHECK(values_of(fused) == values_of(two_pass));
      CHECK(grads_of(fused) == grads_before);  // the stored gradients are not scaled
      for (const auto& [key, t] : plain.state()) {
        INFO(key);
        const auto other = with_factors.state();
        const auto it = std::find_if(other.begin(), other.end(), [&](const auto& kv) { return kv.first == key; });
        REQUIRE(it != other.end());
        CHECK(it->second.to_doubles() == t.to_doubles());
      }
      CHECK(values_of(fused) != values_of(params_with_grads(dtype, 5)));  // it did update
    }
  }
  NamedTensors params = params_with_grads(DType::f32, 5);
  Optimizer opt(parse_optimizer_spec("adam,lr=0.001"), params);
  const std::vector<Tensor> too_few{Tensor()};
  XLM_CHECK_THROWS(opt.step(too_few), ShapeError, "1 gradient factors for 4 parameters");
  const std::vector<Tensor> f32_factor{Tensor::full({1}, 1.0, DType::f32, Device::cpu()), Tensor(), Tensor(), Tensor()};
  XLM_CHECK_THROWS(opt.step(f32_factor), ShapeError, "\"p1\"", "expected one f64");
}

TEST_CASE("clip_factor_on_device: CUDA matches the CPU", "[nn][optimizer][cuda]") {
  XLM_REQUIRE_GPU_OR_STANDIN();
  for (double max_norm : {0.5, 1e9}) {
    const NamedTensors cpu = params_with_grads(DType::f32, 11);
    const NamedTensors gpu = params_with_grads(DType::f32, 11, xlm::test::gpu());
    const ClipFactor want = clip_factor_on_device(cpu, max_norm);
    const ClipFactor got = clip_factor_on_device(gpu, max_norm);
    CHECK(got.norm.device() == xlm::test::gpu());
    CHECK(got.factor.device() == xlm::test::gpu());
    CHECK(got.norm.item() == Approx(want.norm.item()).epsilon(1e-6));
    CHECK(got.factor.item() == Approx(want.factor.item()).epsilon(1e-6));
  }
}

TEST_CASE("clip_factor_on_device: a gradient whose square overflows fp32 still clips, on CUDA as on the CPU",
          "[nn][optimizer][cuda]") {
  XLM_REQUIRE_GPU_OR_STANDIN();
  // One element of 2e19 among ordinary ones: its square (4e38) is past fp32's
  // range, the norm is not. The CUDA sum of squares works in double, so the
  // device clips as the CPU twin does (an infinite norm would mean "no clip").
  // In f32, and in bf16 (whose range is f32's) where the device runs it.
  for (DType dtype : {DType::f32, DType::bf16}) {
    if (!xlm::test::gpu_runs(dtype)) continue;
    INFO(dtype_name(dtype));
    NamedTensors cpu = params_with_grads(DType::f32, 17);
    NamedTensors gpu = params_with_grads(dtype, 17, xlm::test::gpu());
    for (NamedTensors* params : {&cpu, &gpu}) {
      Tensor p = (*params)[2].second;  // 130 elements
      std::vector<double> g = p.grad().to_doubles();
      g[5] = 2e19;
      p.set_grad(Tensor::from_doubles(g, p.shape(), p.dtype(), p.device()));
    }
    const ClipFactor want = clip_factor_on_device(cpu, 5.0);
    const ClipFactor got = clip_factor_on_device(gpu, 5.0);
    REQUIRE(std::isfinite(want.norm.item()));
    const double eps = dtype == DType::f32 ? 1e-6 : 1e-2;  // bf16 rounds 2e19 by up to 2^-9
    CHECK(got.norm.item() == Approx(want.norm.item()).epsilon(eps));
    CHECK(got.factor.item() == Approx(want.factor.item()).epsilon(eps));
    CHECK(got.factor.item() < 1e-18);
  }
}
