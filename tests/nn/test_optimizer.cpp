// Optimizer steps against references written out here in double: the first
// Adam step is ~lr * sign(g) (bias correction), later steps follow the
// recurrences with decoupled weight decay; schedules drive lr; parameters
// without a gradient are skipped; save + load continues bit for bit.
#include "core/error.h"
#include "nn/optimizer.h"
#include "support.h"

#include <cmath>
#include <cstring>

using namespace xlm;
using namespace xlm::nn;

namespace {

Tensor param(const std::vector<double>& v, DType dtype = DType::f64) {
  Tensor t = Tensor::from_doubles(v, {static_cast<int64_t>(v.size())}, dtype);
  t.set_requires_grad(true);
  return t;
}

void give_grad(Tensor p, const std::vector<double>& g) {
  p.set_grad(Tensor::from_doubles(g, p.shape(), p.dtype()));
}

// XLM's Adam on one tensor, in double.
struct AdamReference {
  double lr, beta1, beta2, eps, wd;
  std::vector<double> p, m, v;
  int t = 0;
  void step(const std::vector<double>& g) {
    ++t;
    const double step_size = lr * std::sqrt(1 - std::pow(beta2, t)) / (1 - std::pow(beta1, t));
    for (size_t i = 0; i < p.size(); ++i) {
      m[i] = beta1 * m[i] + (1 - beta1) * g[i];
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
      p[i] -= wd * lr * p[i];
      p[i] -= step_size * m[i] / (std::sqrt(v[i]) + eps);
    }
  }
};

std::vector<uint32_t> bits_of(const Tensor& t) {
  std::vector<float> f = t.to_vector<float>();
  std::vector<uint32_t> b(f.size());
  std::memcpy(b.data(), f.data(), f.size() * sizeof(float));
  return b;
}

}  // namespace

TEST_CASE("adam: the first bias-corrected step moves each weight by about lr against its gradient",
          "[nn][optimizer]") {
  Tensor w = param({0.5, -1.0, 2.0, 0.0});
  Optimizer opt(parse_optimizer_spec("adam,lr=0.01"), {{"w", w}});
  give_grad(w, {3.0, -0.2, 0.1, -50.0});
  opt.step();
  // m/(sqrt(v)+eps) after bias correction = g/(|g| + eps'), so the step is lr * sign(g).
  XLM_CHECK_CLOSE(w.to_doubles(), (std::vector<double>{0.49, -0.99, 1.99, 0.01}), 1e-7, 0);
  CHECK(opt.n_updates() == 1);
  CHECK(opt.lr() == 0.01);
}

TEST_CASE("adam: decoupled weight decay shrinks weights by weight_decay * lr", "[nn][optimizer]") {
  Tensor w = param({2.0, -4.0});
  Optimizer opt(parse_optimizer_spec("adam,lr=0.1,weight_decay=0.5"), {{"w", w}});
  give_grad(w, {1.0, 1.0});
  opt.step();
  // p * (1 - 0.5 * 0.1) - 0.1 * sign(g): the decay does not go through the moments.
  XLM_CHECK_CLOSE(w.to_doubles(), (std::vector<double>{2.0 * 0.95 - 0.1, -4.0 * 0.95 - 0.1}), 1e-7, 0);
}

TEST_CASE("adam: several steps match the double reference (f64 and f32)", "[nn][optimizer]") {
  const std::vector<std::vector<double>> grads = {
      {0.3, -1.2, 0.05, 2.0}, {-0.1, -0.8, 0.07, 1.5}, {0.25, 0.4, -0.02, -3.0}, {0.0, 0.1, 0.2, 0.3}, {1, 1, 1, 1}};
  AdamReference ref{0.02, 0.9, 0.98, 1e-6, 0.01, {0.5, -0.25, 1.0, -2.0}, {0, 0, 0, 0}, {0, 0, 0, 0}};
  Tensor w64 = param(ref.p, DType::f64);
  Tensor w32 = param(ref.p, DType::f32);
  const OptimizerSpec spec = parse_optimizer_spec("adam,lr=0.02,beta2=0.98,eps=1e-6,weight_decay=0.01");
  Optimizer opt64(spec, {{"w", w64}});
  Optimizer opt32(spec, {{"w", w32}});
  for (const auto& g : grads) {
    ref.step(g);
    give_grad(w64, g);
    give_grad(w32, g);
    opt64.step();
    opt32.step();
    opt64.zero_grad();
    opt32.zero_grad();
  }
  CHECK_FALSE(w64.grad().defined());
  XLM_CHECK_CLOSE(w64.to_doubles(), ref.p, 1e-14, 1e-13);
  XLM_CHECK_CLOSE(w32.to_doubles(), ref.p, 1e-6, 1e-6);
  const NamedTensors state = opt64.state();
  REQUIRE(state.size() == 2);
  CHECK(state[0].first == "exp_avg.w");
  CHECK(state[1].first == "exp_avg_sq.w");
  XLM_CHECK_CLOSE(state[0].second.to_doubles(), ref.m, 1e-15, 1e-13);
  XLM_CHECK_CLOSE(state[1].second.to_doubles(), ref.v, 1e-15, 1e-13);
  CHECK(opt64.state_json().at("param_steps").at("w") == 5);
}

TEST_CASE("adam_inverse_sqrt: each step uses the schedule's lr at the updates already made", "[nn][optimizer]") {
  Tensor w = param({1.0});
  Optimizer opt(parse_optimizer_spec("adam_inverse_sqrt,lr=0.001,warmup_updates=4,warmup_init_lr=0"), {{"w", w}});
  const LrSchedule schedule(opt.spec());
  CHECK(opt.lr() == 0);  // before any step: the first step's lr
  double expected_w = 1.0;
  for (int k = 1; k <= 8; ++k) {
    give_grad(w, {1.0});
    opt.step();
    CHECK(opt.lr() == schedule.lr_at(k - 1));
    expected_w -= opt.lr();  // a constant gradient keeps m / sqrt(v) at 1 (eps aside)
  }
  CHECK(opt.lr() == Approx(0.001 * std::sqrt(4.0 / 7.0)).epsilon(1e-14));
  CHECK(w.to_doubles()[0] == Approx(expected_w).epsilon(1e-6));
}

TEST_CASE("sgd: p -= lr * (g + weight_decay * p)", "[nn][optimizer]") {
  Tensor w = param({1.0, -2.0});
  Optimizer opt(parse_optimizer_spec("sgd,lr=0.1,weight_decay=0.01"), {{"w", w}});
  give_grad(w, {0.5, 3.0});
  opt.step();
  XLM_CHECK_CLOSE(w.to_doubles(), (std::vector<double>{1.0 - 0.1 * (0.5 + 0.01), -2.0 - 0.1 * (3.0 - 0.02)}), 1e-15,
                  0);
  CHECK(opt.state().empty());
  CHECK_FALSE(opt.state_json().contains("param_steps"));
}

TEST_CASE("optimizer: parameters without a gradient are left alone", "[nn][optimizer]") {
  Tensor a = param({1.0, 2.0});
  Tensor b = param({3.0});
  Optimizer opt(parse_optimizer_spec("adam,lr=0.1,weight_decay=0.1"), {{"a", a}, {"b", b}});
  give_grad(a, {1.0, -1.0});
  opt.step();
  CHECK(b.to_doubles() == std::vector<double>{3.0});
  CHECK(opt.state()[3].second.to_doubles() == std::vector<double>{0.0});  // exp_avg_sq.b
  const nlohmann::json j = opt.state_json();
  CHECK(j.at("param_steps").at("a") == 1);
  CHECK(j.at("param_steps").at("b") == 0);
  CHECK(j.at("n_updates") == 1);
  CHECK(j.at("optimizer") == "adam");
}

TEST_CASE("optimizer: bad parameters and gradients are refused before anything moves", "[nn][optimizer]") {
  Tensor a = param({1.0, 2.0});
  XLM_CHECK_THROWS(Optimizer(parse_optimizer_spec("adam"), {{"a", a}, {"a", param({1.0})}}), Error,
                   "\"a\" is listed twice");
  XLM_CHECK_THROWS(Optimizer(parse_optimizer_spec("adam"), {{"a", a}, {"tied", a.detach()}}), Error,
                   "share storage");
  XLM_CHECK_THROWS(Optimizer({"adam", {{"beta3", 0.5}}}, {{"a", a}}), ConfigError, "no key \"beta3\"");
  Tensor b = param({5.0});
  Optimizer opt(parse_optimizer_spec("adam"), {{"a", a}, {"b", b}});
  give_grad(a, {1.0, 1.0});
  b.set_grad(Tensor::from_doubles({1.0}, {1}, DType::f32));
  XLM_CHECK_THROWS(opt.step(), Error, "gradient of \"b\"", "f32[1]");
  CHECK(a.to_doubles() == std::vector<double>{1.0, 2.0});
  CHECK(opt.n_updates() == 0);
}

TEST_CASE("optimizer: save after k steps, load into a fresh optimizer, m more steps = k+m steps bit for bit",
          "[nn][optimizer]") {
  const OptimizerSpec spec =
      parse_optimizer_spec("adam_inverse_sqrt,lr=0.01,warmup_updates=3,beta2=0.98,weight_decay=0.05");
  const std::vector<double> w0 = {0.1, -0.7, 1.3, 0.002, -2.5, 0.9};
  const std::vector<double> b0 = {0.05, -0.05};
  // A deterministic gradient for (step, element); b gets none at step 1.
  auto grads_at = [](int step, const Tensor& w, const Tensor& b) {
    std::vector<double> gw(6), gb(2);
    for (int i = 0; i < 6; ++i) gw[i] = std::sin(0.7 * step + 1.3 * i) * (1 + i);
    for (int i = 0; i < 2; ++i) gb[i] = std::cos(0.3 * step + i);
    give_grad(w, gw);
    if (step != 1) give_grad(b, gb);
  };
  const int k = 3, m = 4;

  Tensor w = param(w0, DType::f32), b = param(b0, DType::f32);
  Optimizer straight(spec, {{"w", w}, {"b", b}});
  for (int s = 0; s < k + m; ++s) {
    grads_at(s, w, b);
    straight.step();
    straight.zero_grad();
  }

  Tensor w1 = param(w0, DType::f32), b1 = param(b0, DType::f32);
  std::map<std::string, Tensor> saved;
  nlohmann::json saved_json;
  Tensor w_saved, b_saved;
  {
    Optimizer first(spec, {{"w", w1}, {"b", b1}});
    for (int s = 0; s < k; ++s) {
      grads_at(s, w1, b1);
      first.step();
      first.zero_grad();
    }
    for (const auto& [name, t] : first.state()) saved[name] = t.clone();
    saved_json = nlohmann::json::parse(first.state_json().dump());  // through text, as a checkpoint would
    w_saved = w1.clone();
    b_saved = b1.clone();
  }
  Tensor w2 = param(w_saved.to_doubles(), DType::f32), b2 = param(b_saved.to_doubles(), DType::f32);
  Optimizer resumed(spec, {{"w", w2}, {"b", b2}});
  resumed.load_state(saved, saved_json);
  CHECK(resumed.n_updates() == k);
  const LrSchedule schedule(spec);
  CHECK(resumed.lr() == schedule.lr_at(k - 1));
  for (int s = k; s < k + m; ++s) {
    grads_at(s, w2, b2);
    resumed.step();
    resumed.zero_grad();
  }
  CHECK(bits_of(w2) == bits_of(w));
  CHECK(bits_of(b2) == bits_of(b));
  CHECK(resumed.state_json() == straight.state_json());
  const NamedTensors s1 = resumed.state(), s2 = straight.state();
  for (size_t i = 0; i < s1.size(); ++i) CHECK(bits_of(s1[i].second) == bits_of(s2[i].second));
}

TEST_CASE("optimizer: load_state names what is wrong and changes nothing", "[nn][optimizer]") {
  Tensor w = param({1.0, 2.0});
  Optimizer source(parse_optimizer_spec("adam"), {{"w", w}});
  give_grad(w, {1.0, 1.0});
  source.step();
  std::map<std::string, Tensor> tensors;
  for (const auto& [name, t] : source.state()) tensors[name] = t.clone();
  const nlohmann::json j = source.state_json();

  Tensor w2 = param({1.0, 2.0});
  Optimizer target(parse_optimizer_spec("adam"), {{"w", w2}});
  auto missing = tensors;
  missing.erase("exp_avg_sq.w");
  XLM_CHECK_THROWS(target.load_state(missing, j), FormatError, "missing tensor \"exp_avg_sq.w\"");
  auto reshaped = tensors;
  reshaped["exp_avg.w"] = Tensor::zeros({3}, DType::f64);
  XLM_CHECK_THROWS(target.load_state(reshaped, j), FormatError, "\"exp_avg.w\" is [3]", "[2]");
  auto extra = tensors;
  extra["exp_avg.other"] = Tensor::zeros({1}, DType::f64);
  XLM_CHECK_THROWS(target.load_state(extra, j), FormatError, "unexpected tensor \"exp_avg.other\"");
  nlohmann::json wrong = j;
  wrong["optimizer"] = "sgd";
  XLM_CHECK_THROWS(target.load_state(tensors, wrong), FormatError, "saved by \"sgd\"", "uses \"adam\"");
  nlohmann::json no_steps = j;
  no_steps.erase("param_steps");
  XLM_CHECK_THROWS(target.load_state(tensors, no_steps), FormatError, "param_steps");
  nlohmann::json bad_count = j;
  bad_count["n_updates"] = -1;
  XLM_CHECK_THROWS(target.load_state(tensors, bad_count), FormatError, "n_updates");
  CHECK(target.n_updates() == 0);
  CHECK(target.state()[0].second.to_doubles() == std::vector<double>{0.0, 0.0});

  // Other entries (model weights in the same file) are ignored; moments saved in f32 are converted.
  tensors["embeddings.weight"] = Tensor::zeros({4}, DType::f32);
  tensors["exp_avg.w"] = Tensor::from_doubles(tensors["exp_avg.w"].to_doubles(), {2}, DType::f32);
  target.load_state(tensors, j);
  CHECK(target.n_updates() == 1);
  CHECK(target.state()[0].second.dtype() == DType::f64);
  XLM_CHECK_CLOSE(target.state()[0].second.to_doubles(), source.state()[0].second.to_doubles(), 1e-8, 0);
  CHECK_FALSE(target.state()[1].second.same_data(tensors["exp_avg_sq.w"]));
}

TEST_CASE("adam and sgd updates: CUDA matches the CPU", "[nn][optimizer][cuda]") {
  XLM_REQUIRE_GPU_OR_STANDIN();
  for (const char* text : {"adam_inverse_sqrt,lr=0.01,warmup_updates=2,weight_decay=0.1", "sgd,lr=0.1,weight_decay=0.01"}) {
    INFO(text);
    const OptimizerSpec spec = parse_optimizer_spec(text);
    NamedTensors cpu, gpu;
    for (int64_t n : {1, 257, 70001}) {
      std::vector<double> v(n);
      for (int64_t i = 0; i < n; ++i) v[i] = std::cos(0.11 * i + n);
      Tensor c = param(v, DType::f32);
      Tensor g = Tensor::from_doubles(v, {n}, DType::f32, xlm::test::gpu());
      g.set_requires_grad(true);
      cpu.emplace_back("p" + std::to_string(n), c);
      gpu.emplace_back("p" + std::to_string(n), g);
    }
    Optimizer opt_cpu(spec, cpu), opt_gpu(spec, gpu);
    for (int s = 0; s < 3; ++s) {
      for (size_t i = 0; i < cpu.size(); ++i) {
        std::vector<double> g(cpu[i].second.numel());
        for (size_t e = 0; e < g.size(); ++e) g[e] = std::sin(0.5 * s + 0.03 * e);
        give_grad(cpu[i].second, g);
        gpu[i].second.set_grad(Tensor::from_doubles(g, cpu[i].second.shape(), DType::f32, xlm::test::gpu()));
      }
      opt_cpu.step();
      opt_gpu.step();
    }
    for (size_t i = 0; i < cpu.size(); ++i)
      XLM_CHECK_CLOSE(gpu[i].second.to_doubles(), cpu[i].second.to_doubles(), 1e-6, 1e-5);
    const NamedTensors sc = opt_cpu.state(), sg = opt_gpu.state();
    for (size_t i = 0; i < sc.size(); ++i) {
      CHECK(sg[i].second.device() == xlm::test::gpu());
      XLM_CHECK_CLOSE(sg[i].second.to_doubles(), sc[i].second.to_doubles(), 1e-7, 1e-5);
    }
  }
}
