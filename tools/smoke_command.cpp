// `xlm smoke`: a tiny forward/backward check of the engine end to end on any
// device: a two-layer classifier (Linear -> GELU -> LayerNorm -> Linear ->
// cross-entropy) fitted by plain SGD to a fixed random batch. It prints the
// loss and fails unless the loss at least halved, so it doubles as a quick "does this
// build compute gradients on this device" check (scripts/demo runs it).
#include "core/autograd.h"
#include "core/error.h"
#include "kernels/add/add.h"
#include "kernels/cross_entropy/cross_entropy.h"
#include "kernels/gelu/gelu.h"
#include "kernels/layer_norm/layer_norm.h"
#include "kernels/matmul/matmul.h"
#include "kernels/scale/scale.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>
#include <random>

namespace xlm::tools {

namespace {

struct SmokeOptions {
  std::string device = "cpu";
  int steps = 40;
  double lr = 0.5;
  uint64_t seed = 0;
};

Tensor random_param(const Shape& shape, double stddev, std::mt19937_64& rng, Device device) {
  std::normal_distribution<double> dist(0.0, stddev);
  std::vector<double> v(static_cast<size_t>(shape_numel(shape)));
  for (double& x : v) x = dist(rng);
  Tensor t = Tensor::from_doubles(v, shape, DType::f32, device);
  t.set_requires_grad(true);
  return t;
}

void run_smoke(const SmokeOptions& o) {
  const Device device = Device::parse(o.device);
  XLM_CHECK(o.steps >= 2, ConfigError, "--steps must be at least 2, got {}", o.steps);
  const int64_t n = 32, c = 16, h = 64, v = 10;
  std::mt19937_64 rng(o.seed);
  std::vector<double> xs(static_cast<size_t>(n * c));
  std::normal_distribution<double> normal;
  for (double& x : xs) x = normal(rng);
  std::vector<double> ys(static_cast<size_t>(n));
  std::uniform_int_distribution<int64_t> label(0, v - 1);
  for (double& y : ys) y = static_cast<double>(label(rng));
  const Tensor x = Tensor::from_doubles(xs, {n, c}, DType::f32, device);   // (N, C)
  const Tensor y = Tensor::from_doubles(ys, {n}, DType::i64, device);      // (N,)

  std::vector<Tensor> params = {
      random_param({c, h}, 1.0 / std::sqrt(double(c)), rng, device),  // w1 (C, H)
      Tensor::zeros({h}, DType::f32, device).set_requires_grad(true),  // b1 (H,)
      Tensor::full({h}, 1.0, DType::f32, device).set_requires_grad(true),  // gamma (H,)
      Tensor::zeros({h}, DType::f32, device).set_requires_grad(true),  // beta (H,)
      random_param({h, v}, 1.0 / std::sqrt(double(h)), rng, device),  // w2 (H, V)
  };
  auto forward = [&] {
    Tensor hidden = gelu(add(matmul(x, params[0]), params[1]));      // (N, H)
    hidden = layer_norm(hidden, params[2], params[3], 1e-12);        // (N, H)
    return cross_entropy(matmul(hidden, params[4]), y);              // ()
  };
  fmt::print("smoke: 2-layer classifier, {} examples, {} steps of SGD (lr {}) on {}\n", n, o.steps, o.lr,
             device.str());
  double first = 0, last = 0;
  for (int step = 0; step < o.steps; ++step) {
    for (Tensor& p : params) p.zero_grad();
    Tensor loss = forward();
    loss.backward();
    last = loss.item();
    if (step == 0) first = last;
    XLM_CHECK(std::isfinite(last), Error, "smoke: loss is not finite at step {}", step);
    if (step % 10 == 0 || step == o.steps - 1) fmt::print("step {:3d}  loss {:.4f}\n", step, last);
    autograd::NoGradGuard no_grad;
    for (Tensor& p : params) {
      Tensor updated = add(p.detach(), scale(p.grad(), -o.lr));
      copy_bytes(p.data_ptr(), device, updated.data_ptr(), device, p.nbytes());
    }
  }
  XLM_CHECK(last < 0.5 * first, Error, "smoke: loss did not fall enough ({:.4f} -> {:.4f})", first, last);
  fmt::print("smoke: ok, loss {:.4f} -> {:.4f}\n", first, last);
}

}  // namespace

void add_smoke_command(CLI::App& app) {
  auto opts = std::make_shared<SmokeOptions>();
  CLI::App* cmd = app.add_subcommand("smoke", "Tiny forward/backward/SGD check of the engine on one device");
  cmd->add_option("--device", opts->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--steps", opts->steps, "SGD steps")->capture_default_str();
  cmd->add_option("--lr", opts->lr, "learning rate")->capture_default_str();
  cmd->add_option("--seed", opts->seed, "seed of the data and initial weights")->capture_default_str();
  cmd->callback([opts] { run_smoke(*opts); });
}

}  // namespace xlm::tools
