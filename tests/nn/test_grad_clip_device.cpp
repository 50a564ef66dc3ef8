// clip_grad_norm_on_device against clip_grad_norm: on the CPU the same norm and
// the same clipped gradients bit for bit (below, above and without a limit, in
// f32 and f64, and with a non-finite gradient left untouched), with no host
// read counted; the [cuda] case compares the device clip with the CPU's.
#include "core/host_reads.h"
#include "nn/grad_clip.h"
#include "support.h"

#include <cmath>
#include <limits>

using namespace xlm;
using namespace xlm::nn;

namespace {

// Parameters of odd sizes (not multiples of 4: the CPU sum's tail runs) with seeded gradients.
NamedTensors params_with_grads(DType dtype, uint64_t seed, Device device = Device::cpu()) {
  NamedTensors out;
  for (int64_t n : {1, 7, 130, 1029}) {
    Tensor p = Tensor::zeros({n}, dtype, device);
    p.set_requires_grad(true);
    std::vector<double> g(static_cast<size_t>(n));
    for (size_t i = 0; i < g.size(); ++i) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      g[i] = static_cast<double>(static_cast<int64_t>(seed >> 33) % 20001 - 10000) / 3333.0;
    }
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

}  // namespace

TEST_CASE("clip_grad_norm_on_device: the CPU clip bit for bit, without a host read", "[nn][optimizer]") {
  for (DType dtype : {DType::f32, DType::f64}) {
    for (double max_norm : {0.0, 0.5, 1e9}) {
      INFO(dtype_name(dtype) << " max_norm " << max_norm);
      const NamedTensors today = params_with_grads(dtype, 7);
      const NamedTensors device = params_with_grads(dtype, 7);
      const double want = clip_grad_norm(today, max_norm);
      const int64_t reads = host_read_count();
      const Tensor norm = clip_grad_norm_on_device(device, max_norm);
      CHECK(host_read_count() == reads);
      CHECK(norm.dtype() == DType::f64);
      CHECK(norm.item() == want);
      CHECK(grads_of(device) == grads_of(today));
      if (max_norm == 0.5) CHECK(grads_of(device) != grads_of(params_with_grads(dtype, 7)));  // it did clip
    }
  }
}

TEST_CASE("clip_grad_norm_on_device: a non-finite norm leaves the gradients untouched", "[nn][optimizer]") {
  NamedTensors params = params_with_grads(DType::f32, 3);
  Tensor bad = params[1].second;
  bad.set_grad(Tensor::full(bad.shape(), std::numeric_limits<double>::infinity(), DType::f32));
  const std::vector<double> before = grads_of(params);
  const Tensor norm = clip_grad_norm_on_device(params, 0.5);
  CHECK(std::isinf(norm.item()));
  CHECK(grads_of(params) == before);
}

TEST_CASE("clip_grad_norm_on_device: no gradient is a zero norm", "[nn][optimizer]") {
  Tensor p = Tensor::zeros({3}, DType::f32);
  p.set_requires_grad(true);
  CHECK(clip_grad_norm_on_device({{"p", p}}, 1.0).item() == 0.0);
  CHECK_FALSE(p.grad().defined());
}

TEST_CASE("clip_grad_norm_on_device: CUDA matches the CPU", "[nn][optimizer][cuda]") {
  XLM_REQUIRE_GPU_OR_STANDIN();
  for (double max_norm : {0.5, 1e9}) {
    const NamedTensors cpu = params_with_grads(DType::f32, 11);
    const NamedTensors gpu = params_with_grads(DType::f32, 11, xlm::test::gpu());
    const double want = clip_grad_norm_on_device(cpu, max_norm).item();
    const Tensor norm = clip_grad_norm_on_device(gpu, max_norm);
    CHECK(norm.device() == xlm::test::gpu());
    CHECK(norm.item() == Approx(want).epsilon(1e-6));
    XLM_CHECK_CLOSE(grads_of(gpu), grads_of(cpu), 1e-7, 1e-5);
  }
}
