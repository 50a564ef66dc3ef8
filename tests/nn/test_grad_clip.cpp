// clip_grad_norm: the global norm over every gradient, torch's scaling rule,
// parameters without a gradient skipped; the [cuda] case compares with the CPU.
#include "nn/grad_clip.h"
#include "support.h"

#include <cmath>

using namespace xlm;
using namespace xlm::nn;

namespace {
Tensor with_grad(const std::vector<double>& g, DType dtype, Device device = Device::cpu()) {
  Tensor p = Tensor::zeros({static_cast<int64_t>(g.size())}, dtype, device);
  p.set_requires_grad(true);
  p.set_grad(Tensor::from_doubles(g, p.shape(), dtype, device));
  return p;
}
}  // namespace

TEST_CASE("clip_grad_norm: below the limit nothing changes and the norm is returned", "[nn][optimizer]") {
  Tensor a = with_grad({3.0, 4.0}, DType::f64), b = with_grad({12.0}, DType::f64);
  Tensor none = Tensor::zeros({5}, DType::f64);
  none.set_requires_grad(true);
  const NamedTensors params = {{"a", a}, {"none", none}, {"b", b}};
  CHECK(clip_grad_norm(params, 26.0) == 13.0);
  CHECK(a.grad().to_doubles() == std::vector<double>{3.0, 4.0});
  CHECK(clip_grad_norm(params, 0.0) == 13.0);  // max_norm <= 0: measure only
  CHECK(grad_norm(params) == 13.0);
  CHECK_FALSE(none.grad().defined());
}

TEST_CASE("clip_grad_norm: above the limit every gradient is scaled by max_norm / (norm + 1e-6)",
          "[nn][optimizer]") {
  for (DType dtype : {DType::f64, DType::f32}) {
    Tensor a = with_grad({3.0, 4.0}, dtype), b = with_grad({-12.0}, dtype);
    const NamedTensors params = {{"a", a}, {"b", b}};
    CHECK(clip_grad_norm(params, 6.5) == Approx(13.0).epsilon(1e-12));
    const double c = 6.5 / (13.0 + 1e-6);
    const double tol = dtype == DType::f64 ? 1e-14 : 1e-6;
    XLM_CHECK_CLOSE(a.grad().to_doubles(), (std::vector<double>{3 * c, 4 * c}), 0, tol);
    XLM_CHECK_CLOSE(b.grad().to_doubles(), (std::vector<double>{-12 * c}), 0, tol);
    CHECK(grad_norm(params) == Approx(6.5).epsilon(1e-6));
  }
}

TEST_CASE("clip_grad_norm: a non-finite norm is reported and the gradients are kept", "[nn][optimizer]") {
  Tensor a = with_grad({1.0, NAN}, DType::f32);
  CHECK(std::isnan(clip_grad_norm({{"a", a}}, 1.0)));
  CHECK(a.grad().to_doubles()[0] == 1.0);
}

TEST_CASE("clip_grad_norm: CUDA matches the CPU", "[nn][optimizer][cuda]") {
  XLM_REQUIRE_GPU_OR_STANDIN();
  std::vector<std::vector<double>> values;
  for (int64_t n : {1, 255, 257, 100003, 3000001}) {
    std::vector<double> v(n);
    for (int64_t i = 0; i < n; ++i) v[i] = std::sin(0.37 * i + n) * 0.01;
    values.push_back(v);
  }
  NamedTensors cpu, gpu;
  for (size_t i = 0; i < values.size(); ++i) {
    cpu.emplace_back("p" + std::to_string(i), with_grad(values[i], DType::f32));
    gpu.emplace_back("p" + std::to_string(i), with_grad(values[i], DType::f32, xlm::test::gpu()));
  }
  const double norm_cpu = clip_grad_norm(cpu, 0.5);
  const double norm_gpu = clip_grad_norm(gpu, 0.5);
  CHECK(norm_gpu == Approx(norm_cpu).epsilon(1e-5));
  REQUIRE(norm_cpu > 0.5);
  for (size_t i = 0; i < values.size(); ++i)
    XLM_CHECK_CLOSE(gpu[i].second.grad().to_doubles(), cpu[i].second.grad().to_doubles(), 1e-9, 1e-5);
}
