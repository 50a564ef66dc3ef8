// LossScaler: the dynamic rules (back off on overflow, grow after
// growth_interval good steps, counters), the static and off modes, the scaled
// loss's gradient, option checks, and the checkpoint round trip.
#include "core/error.h"
#include "nn/loss_scaler.h"
#include "support.h"

#include <cmath>
#include <limits>

using namespace xlm;
using namespace xlm::nn;

namespace {
Tensor with_grad(const std::vector<double>& g, DType dtype = DType::f32) {
  Tensor p = Tensor::zeros({static_cast<int64_t>(g.size())}, dtype);
  p.set_requires_grad(true);
  p.set_grad(Tensor::from_doubles(g, p.shape(), dtype));
  return p;
}
LossScaleOptions dynamic_options(int64_t interval) {
  LossScaleOptions o;
  o.growth_interval = interval;
  return o;
}
const double kInf = std::numeric_limits<double>::infinity();
}  // namespace

TEST_CASE("LossScaler: defaults are 2^16, x2, x0.5, every 2000 steps", "[nn][mixed_precision]") {
  LossScaler s{LossScaleOptions{}};
  CHECK(s.scale() == 65536.0);
  CHECK(s.options().growth_factor == 2.0);
  CHECK(s.options().backoff_factor == 0.5);
  CHECK(s.options().growth_interval == 2000);
  CHECK(s.mode() == LossScaleMode::dynamic);
}

TEST_CASE("LossScaler: dynamic mode backs off on overflow and grows after the interval", "[nn][mixed_precision]") {
  LossScaler s(dynamic_options(3));
  CHECK_FALSE(s.update(false));
  CHECK(s.scale() == 32768.0);
  CHECK(s.overflows() == 1);
  CHECK(s.skipped_steps() == 1);
  CHECK(s.update(true));
  CHECK(s.update(true));
  CHECK(s.scale() == 32768.0);
  CHECK(s.growth_tracker() == 2);
  CHECK_FALSE(s.update(false));  // an overflow resets the good-step count
  CHECK(s.scale() == 16384.0);
  CHECK(s.growth_tracker() == 0);
  for (int i = 0; i < 2; ++i) CHECK(s.update(true));
  CHECK(s.scale() == 16384.0);
  CHECK(s.update(true));  // third consecutive good step
  CHECK(s.scale() == 32768.0);
  CHECK(s.growth_tracker() == 0);
  for (int i = 0; i < 3; ++i) CHECK(s.update(true));
  CHECK(s.scale() == 65536.0);
  CHECK(s.overflows() == 2);
  CHECK(s.skipped_steps() == 2);
}

TEST_CASE("LossScaler: unscale_and_check divides by the scale and reports inf", "[nn][mixed_precision]") {
  LossScaler s(dynamic_options(2000));
  Tensor a = with_grad({65536.0, 131072.0});
  CHECK(s.unscale_and_check({{"a", a}}));
  CHECK(a.grad().to_doubles() == std::vector<double>{1.0, 2.0});
  CHECK(s.growth_tracker() == 1);
  Tensor b = with_grad({1.0, kInf});
  CHECK_FALSE(s.unscale_and_check({{"b", b}}));
  CHECK(s.scale() == 32768.0);
  // unscale_grads alone changes no state (the data-parallel path all-reduces first).
  Tensor c = with_grad({std::nan("")});
  CHECK_FALSE(s.unscale_grads({{"c", c}}));
  CHECK(s.scale() == 32768.0);
  CHECK(s.overflows() == 1);
}

TEST_CASE("LossScaler: scale_loss multiplies the loss and so every gradient", "[nn][mixed_precision]") {
  LossScaleOptions o;
  o.init_scale = 8.0;
  LossScaler s(o);
  Tensor loss = Tensor::from_doubles({1.5}, {1}, DType::f32);
  loss.set_requires_grad(true);
  Tensor scaled = s.scale_loss(loss);
  CHECK(scaled.item() == 12.0);
  scaled.backward();
  CHECK(loss.grad().to_doubles() == std::vector<double>{8.0});
}

TEST_CASE("LossScaler: static mode skips on overflow and never changes the scale", "[nn][mixed_precision]") {
  LossScaleOptions o;
  o.mode = LossScaleMode::static_scale;
  o.init_scale = 128.0;
  o.growth_interval = 1;
  LossScaler s(o);
  Tensor a = with_grad({256.0});
  CHECK(s.unscale_and_check({{"a", a}}));
  CHECK(a.grad().item() == 2.0);
  CHECK(s.scale() == 128.0);
  CHECK_FALSE(s.update(false));
  CHECK(s.scale() == 128.0);
  CHECK(s.skipped_steps() == 1);
}

TEST_CASE("LossScaler: off mode is the identity and reads no gradient", "[nn][mixed_precision]") {
  LossScaleOptions o;
  o.mode = LossScaleMode::off;
  LossScaler s(o);
  CHECK(s.scale() == 1.0);
  Tensor loss = with_grad({2.5});
  CHECK(s.scale_loss(loss).same_data(loss));
  Tensor a = with_grad({kInf, 4.0});
  CHECK(s.unscale_and_check({{"a", a}}));
  CHECK(a.grad().to_doubles()[1] == 4.0);
  CHECK(s.overflows() == 0);
  Tensor h = with_grad({1.0}, DType::bf16);  // not even the dtype is looked at
  CHECK(s.unscale_and_check({{"h", h}}));
}

TEST_CASE("LossScaler: options and mode names are checked", "[nn][mixed_precision]") {
  auto bad = [](auto edit) {
    LossScaleOptions o;
    edit(o);
    return o;
  };
  XLM_CHECK_THROWS(LossScaler(bad([](LossScaleOptions& o) { o.init_scale = 0; })), ConfigError, "init_scale");
  XLM_CHECK_THROWS(LossScaler(bad([](LossScaleOptions& o) { o.init_scale = kInf; })), ConfigError, "init_scale");
  XLM_CHECK_THROWS(LossScaler(bad([](LossScaleOptions& o) { o.growth_factor = 1; })), ConfigError, "growth_factor");
  XLM_CHECK_THROWS(LossScaler(bad([](LossScaleOptions& o) { o.backoff_factor = 1; })), ConfigError,
                   "backoff_factor");
  XLM_CHECK_THROWS(LossScaler(bad([](LossScaleOptions& o) { o.growth_interval = 0; })), ConfigError,
                   "growth_interval");
  CHECK(parse_loss_scale_mode("static") == LossScaleMode::static_scale);
  CHECK(parse_loss_scale_mode("dynamic") == LossScaleMode::dynamic);
  CHECK(parse_loss_scale_mode("off") == LossScaleMode::off);
  XLM_CHECK_THROWS(parse_loss_scale_mode("auto"), ConfigError, "--loss_scale", "auto");
}

TEST_CASE("LossScaler: state_json / load_state round trip and errors", "[nn][mixed_precision]") {
  LossScaler s(dynamic_options(4));
  s.update(false);
  s.update(true);
  s.update(true);
  const nlohmann::json j = s.state_json();
  CHECK(j.at("scale").get<double>() == 32768.0);
  CHECK(j.at("growth_tracker").get<int64_t>() == 2);
  CHECK(j.at("mode").get<std::string>() == "dynamic");

  LossScaler r(dynamic_options(4));
  r.load_state(j);
  CHECK(r.scale() == 32768.0);
  CHECK(r.overflows() == 1);
  CHECK(r.skipped_steps() == 1);
  r.update(true);
  r.update(true);  // 2 restored + 2 = the interval
  CHECK(r.scale() == 65536.0);

  LossScaler fresh(dynamic_options(4));
  nlohmann::json broken = j;
  broken.erase("growth_tracker");
  XLM_CHECK_THROWS(fresh.load_state(broken), FormatError, "growth_tracker");
  broken = j;
  broken["scale"] = -1.0;
  XLM_CHECK_THROWS(fresh.load_state(broken), FormatError, "scale");
  CHECK(fresh.scale() == 65536.0);  // unchanged on error
  LossScaleOptions st;
  st.mode = LossScaleMode::static_scale;
  LossScaler other(st);
  XLM_CHECK_THROWS(other.load_state(j), FormatError, "dynamic", "static");
}
