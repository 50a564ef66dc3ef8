// MasterWeights with the CPU pair model f32 / master f64 (the same code runs
// bf16 / f32 on CUDA, tested in the [cuda] case): masters start as exact
// copies, gradients are cast up, updates land in the masters and reach the
// model rounded to nearest, a step too small for the model's dtype is kept in
// the master instead of being lost.
#include "core/error.h"
#include "nn/loss_scaler.h"
#include "nn/master_weights.h"
#include "kernels/scale_by/scale_by.h"
#include "nn/optimizer.h"
#include "support.h"

#include <cmath>
#include <cstring>

using namespace xlm;
using namespace xlm::nn;

namespace {
std::vector<std::vector<double>> values_of(const NamedTensors& tensors) {
  std::vector<std::vector<double>> out;
  for (const auto& [name, t] : tensors) out.push_back(t.to_doubles());
  return out;
}

Tensor param(const std::vector<double>& v, DType dtype, Device device = Device::cpu()) {
  Tensor t = Tensor::from_doubles(v, {static_cast<int64_t>(v.size())}, dtype, device);
  t.set_requires_grad(true);
  return t;
}
}  // namespace

TEST_CASE("MasterWeights: masters are wider copies and grads are cast up", "[nn][mixed_precision]") {
  Tensor a = param({0.1, -3.5}, DType::f32), b = param({7.0}, DType::f32);
  MasterWeights mw({{"a", a}, {"b", b}}, DType::f64);
  REQUIRE(mw.master().size() == 2);
  CHECK(mw.master()[0].first == "a");
  const Tensor ma = mw.master()[0].second;
  CHECK(ma.dtype() == DType::f64);
  CHECK(ma.requires_grad());
  CHECK_FALSE(ma.same_data(a));
  CHECK(ma.to_doubles() == a.to_doubles());  // f32 -> f64 is exact

  a.set_grad(Tensor::from_doubles({0.25, 1e-3}, {2}, DType::f32));
  mw.copy_grads_to_master();
  CHECK(ma.grad().dtype() == DType::f64);
  CHECK(ma.grad().to_doubles() == a.grad().to_doubles());
  CHECK_FALSE(mw.master()[1].second.grad().defined());  // b had no gradient

  Tensor mb = mw.master()[1].second;
  mb.set_grad(Tensor::from_doubles({1.0}, {1}, DType::f64));
  mw.copy_grads_to_master();  // b still has none: its stale master grad is dropped
  CHECK_FALSE(mw.master()[1].second.grad().defined());
}

TEST_CASE("MasterWeights: updates accumulate in the master below the model's resolution", "[nn][mixed_precision]") {
  // 1 + 2^-30 is 1 in f32: a model-only update would be lost every step.
  Tensor w = param({1.0}, DType::f32);
  const Tensor model_view = w;
  MasterWeights mw({{"w", w}}, DType::f64);
  Optimizer opt(parse_optimizer_spec("sgd,lr=1"), mw.master());
  for (int i = 0; i < 1 << 10; ++i) {
    w.set_grad(Tensor::from_doubles({-std::ldexp(1.0, -30)}, {1}, DType::f32));
    mw.copy_grads_to_master();
    opt.step();
    mw.copy_master_to_model();
    opt.zero_grad();
    w.zero_grad();
  }
  CHECK(mw.master()[0].second.item() == 1.0 + std::ldexp(1.0, -20));  // 2^10 * 2^-30, exact in f64
  CHECK(model_view.item() == static_cast<double>(static_cast<float>(1.0 + std::ldexp(1.0, -20))));
  CHECK(model_view.item() != 1.0);  // written in place into the model's storage
}

TEST_CASE("MasterWeights: copy_master_to_model rounds to nearest, copy_model_to_master reloads",
          "[nn][mixed_precision]") {
  Tensor w = param({0.0, 0.0}, DType::f32);
  MasterWeights mw({{"w", w}}, DType::f64);
  Tensor m = mw.master()[0].second;
  const double third = 1.0 / 3.0;
  const Tensor src = Tensor::from_doubles({third, -1e300}, {2}, DType::f64);
  std::memcpy(m.data_ptr(), src.data_ptr(), src.nbytes());
  mw.copy_master_to_model();
  const std::vector<double> got = w.to_doubles();
  CHECK(got[0] == static_cast<double>(static_cast<float>(third)));
  CHECK(std::isinf(got[1]));  // overflow to -inf, as cast.h rounds
  CHECK(got[1] < 0);
  Tensor fresh = Tensor::from_doubles({2.0, 3.0}, {2}, DType::f32);
  std::memcpy(w.data_ptr(), fresh.data_ptr(), fresh.nbytes());
  mw.copy_model_to_master();
  CHECK(m.to_doubles() == std::vector<double>{2.0, 3.0});
}

TEST_CASE("MasterWeights: the full fp16-style step through the scaler", "[nn][mixed_precision]") {
  Tensor w = param({1.0, 2.0}, DType::f32);
  MasterWeights mw({{"w", w}}, DType::f64);
  Optimizer opt(parse_optimizer_spec("sgd,lr=0.5"), mw.master());
  LossScaler scaler{LossScaleOptions{}};
  w.set_grad(Tensor::from_doubles({65536.0, -131072.0}, {2}, DType::f32));  // scaled by 2^16
  mw.copy_grads_to_master();
  REQUIRE(scaler.unscale_and_check(opt.params()));  // PrecisionStep's guard on one rank
  opt.step();
  mw.copy_master_to_model();
  CHECK(w.to_doubles() == std::vector<double>{0.5, 3.0});
  w.set_grad(Tensor::from_doubles({std::nan(""), 0.0}, {2}, DType::f32));
  mw.copy_grads_to_master();
  CHECK_FALSE(scaler.unscale_and_check(opt.params()));  // skipped: no opt.step()
  mw.copy_master_to_model();
  CHECK(w.to_doubles() == std::vector<double>{0.5, 3.0});
  CHECK(scaler.scale() == 32768.0);
}

TEST_CASE("MasterWeights: argument checks", "[nn][mixed_precision]") {
  Tensor a = param({1.0}, DType::f32);
  XLM_CHECK_THROWS(MasterWeights({{"a", a}}, DType::f32), DTypeError, "\"a\"", "already f32");
  XLM_CHECK_THROWS(MasterWeights({{"a", a}}, DType::i32), DTypeError, "must be floating");
  XLM_CHECK_THROWS(MasterWeights({{"a", a}, {"a", param({2.0}, DType::f32)}}, DType::f64), Error, "listed twice");
  MasterWeights mw({{"a", a}}, DType::f64);
  a.set_grad(Tensor::from_doubles({1.0, 2.0}, {2}, DType::f32));
  XLM_CHECK_THROWS(mw.copy_grads_to_master(), Error, "gradient of \"a\"");
}

TEST_CASE("MasterWeights: bf16 model with f32 masters on CUDA", "[nn][mixed_precision][cuda]") {
  XLM_REQUIRE_GPU_OR_STANDIN();
  const Device gpu = xlm::test::gpu();
  Tensor w = param({1.0, -2.0, 0.375}, DType::bf16, gpu);
  MasterWeights mw({{"w", w}}, DType::f32);
  const Tensor m = mw.master()[0].second;
  CHECK(m.dtype() == DType::f32);
  CHECK(m.device() == gpu);
  CHECK(m.to_doubles() == std::vector<double>{1.0, -2.0, 0.375});
  Optimizer opt(parse_optimizer_spec("sgd,lr=1"), mw.master());
  // 2^-12 per step is below half a bf16 ulp at 1.0 (2^-8): lost in bf16, kept in the master.
  for (int i = 0; i < 32; ++i) {
    w.set_grad(Tensor::from_doubles({-std::ldexp(1.0, -12), 0.0, 0.0}, {3}, DType::bf16, gpu));
    mw.copy_grads_to_master();
    opt.step();
    mw.copy_master_to_model();
    opt.zero_grad();
    w.zero_grad();
  }
  CHECK(m.to_doubles()[0] == 1.0 + std::ldexp(1.0, -7));
  CHECK(w.to_doubles() == std::vector<double>{1.0 + std::ldexp(1.0, -7), -2.0, 0.375});
}

TEST_CASE("Optimizer::set_master_of reads the model's gradients and refreshes the model in the update pass",
          "[nn][mixed_precision][adam_multi]") {
  // The fused path against the separate passes (grads to master, step, masters
  // to model), with and without a gradient factor (clipping's, with a loss
  // scale of 2^-4 folded in).
  for (const char* text : {"adam,lr=0.01,weight_decay=0.1", "sgd,lr=0.1"}) {
    for (const bool with_factor : {false, true}) {
      INFO(text << (with_factor ? ", with a gradient factor" : ""));
      Tensor a = param({0.1, -3.5, 2.25}, DType::f32), b = param({7.0}, DType::f32), c = param({1.5}, DType::f32);
      Tensor a2 = param({0.1, -3.5, 2.25}, DType::f32), b2 = param({7.0}, DType::f32), c2 = param({1.5}, DType::f32);
      MasterWeights fused({{"a", a}, {"b", b}, {"c", c}}, DType::f64);
      MasterWeights plain({{"a", a2}, {"b", b2}, {"c", c2}}, DType::f64);
      Optimizer opt_fused(parse_optimizer_spec(text), fused.master());
      Optimizer opt_plain(parse_optimizer_spec(text), plain.master());
      opt_fused.set_master_of(fused.model());
      const double factor = 0.3 / 16;
      std::vector<Tensor> factors;
      if (with_factor)
        for (int i = 0; i < 3; ++i) factors.push_back(Tensor::from_doubles({factor}, {1}, DType::f64));
      for (int step = 0; step < 3; ++step) {
        for (Tensor* t : {&a, &a2}) t->set_grad(Tensor::from_doubles({0.5, -0.25, 1e-3 * step}, {3}, DType::f32));
        for (Tensor* t : {&b, &b2}) t->set_grad(Tensor::from_doubles({-2.0}, {1}, DType::f32));  // c: no gradient
        plain.copy_grads_to_master();
        if (with_factor)
          for (const auto& [name, m] : plain.master())
            if (m.grad().defined()) {
              Tensor handle = m;  // set_grad on a handle sets the master's gradient
              handle.set_grad(scale_by(m.grad(), factors[0]));
            }
        opt_fused.step(factors);
        opt_plain.step();
        plain.copy_master_to_model();
        for (const auto& [name, m] : fused.master()) CHECK_FALSE(m.grad().defined());  // no master gradients
        CHECK(a.grad().to_doubles() ==  // read, not changed
              std::vector<double>{0.5, -0.25, static_cast<double>(static_cast<float>(1e-3 * step))});
        opt_fused.zero_grad();
        CHECK_FALSE(a.grad().defined());  // zero_grad drops the model's gradients too
        opt_plain.zero_grad();
        a2.zero_grad();
        b2.zero_grad();
      }
      CHECK(values_of(fused.master()) == values_of(plain.master()));
      CHECK(a.to_doubles() == a2.to_doubles());
      CHECK(b.to_doubles() == b2.to_doubles());
      CHECK(c.to_doubles() == std::vector<double>{1.5});
      CHECK(a.to_doubles() != std::vector<double>{0.1f, -3.5, 2.25});
    }
  }
}

TEST_CASE("Optimizer::set_master_of must mirror the parameters", "[nn][mixed_precision]") {
  Tensor a = param({0.1, -3.5}, DType::f32);
  MasterWeights mw({{"a", a}}, DType::f64);
  Optimizer opt(parse_optimizer_spec("adam,lr=0.01"), mw.master());
  XLM_CHECK_THROWS(opt.set_master_of({{"b", a}}), Error, "model tensor 0 is \"b\"");
  XLM_CHECK_THROWS(opt.set_master_of({{"a", param({1.0}, DType::f32)}}), Error, "model tensor \"a\"");
  opt.set_master_of(mw.model());
  a.set_grad(Tensor::from_doubles({1.0, 2.0}, {2}, DType::f64));  // not the model's dtype
  XLM_CHECK_THROWS(opt.step(), Error, "gradient of \"a\" is");
  a.zero_grad();
  CHECK_NOTHROW(opt.set_master_of({}));  // turns it off
}
