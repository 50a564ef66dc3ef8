// Learning-rate schedules against their formulas (docs/optimizers.md) at the
// points where off-by-one mistakes hide: warm-up start and end, the switch to
// decay, and cosine period boundaries with and without a period multiplier.
#include "nn/lr_schedule.h"
#include "support.h"

#include <cmath>

using namespace xlm;
using namespace xlm::nn;

namespace {
const double kPi = std::acos(-1.0);
LrSchedule schedule(const std::string& text) { return LrSchedule(parse_optimizer_spec(text)); }
}  // namespace

TEST_CASE("lr schedule: adam and sgd keep lr constant", "[nn][optimizer]") {
  const LrSchedule adam = schedule("adam,lr=0.003");
  CHECK(adam.lr_at(0) == 0.003);
  CHECK(adam.lr_at(123456) == 0.003);
  CHECK(schedule("sgd,lr=0.5").lr_at(7) == 0.5);
}

TEST_CASE("lr schedule: inverse sqrt warms up linearly then decays as n^-1/2", "[nn][optimizer]") {
  const LrSchedule s = schedule("adam_inverse_sqrt,lr=0.001,warmup_updates=10,warmup_init_lr=1e-7");
  const double step = (0.001 - 1e-7) / 10;
  CHECK(s.lr_at(0) == 1e-7);                       // the first update uses warmup_init_lr
  CHECK(s.lr_at(1) == 1e-7 + 1 * step);
  CHECK(s.lr_at(5) == 1e-7 + 5 * step);
  CHECK(s.lr_at(9) == 1e-7 + 9 * step);
  CHECK(s.lr_at(10) == Approx(0.001).epsilon(1e-14));  // the peak: lr at n = warmup_updates
  CHECK(s.lr_at(40) == Approx(0.0005).epsilon(1e-14));
  CHECK(s.lr_at(1000) == Approx(0.001 * std::sqrt(10.0 / 1000.0)).epsilon(1e-14));
  CHECK(s.lr_at(11) < s.lr_at(10));
}

TEST_CASE("lr schedule: inverse sqrt with XLM's defaults", "[nn][optimizer]") {
  const LrSchedule s = schedule("adam_inverse_sqrt,lr=0.0001");
  CHECK(s.lr_at(0) == 1e-7);
  CHECK(s.lr_at(2000) == Approx((1e-7 + 1e-4) / 2).epsilon(1e-12));
  CHECK(s.lr_at(4000) == Approx(1e-4).epsilon(1e-14));
  CHECK(s.lr_at(16000) == Approx(5e-5).epsilon(1e-14));
}

TEST_CASE("lr schedule: cosine with period_mult 1 restarts and shrinks each period", "[nn][optimizer]") {
  const LrSchedule s = schedule(
      "adam_cosine,lr=1,warmup_updates=10,warmup_init_lr=0,min_lr=0.1,init_period=100,lr_shrink=0.5");
  CHECK(s.lr_at(0) == 0);
  CHECK(s.lr_at(5) == 0.5);
  CHECK(s.lr_at(10) == 1);                                   // t = 0: the maximum
  CHECK(s.lr_at(60) == Approx(0.1 + 0.45).epsilon(1e-14));   // t = 50: half way
  CHECK(s.lr_at(109) == Approx(0.1 + 0.45 * (1 + std::cos(kPi * 99 / 100))).epsilon(1e-14));
  CHECK(s.lr_at(110) == 0.5);                                // second period, shrunk once
  CHECK(s.lr_at(160) == Approx(0.05 + 0.225).epsilon(1e-14));
  CHECK(s.lr_at(310) == 0.125);                              // fourth period
}

TEST_CASE("lr schedule: cosine with period_mult 2 lengthens the periods", "[nn][optimizer]") {
  // Periods of 10, 20, 40 updates after a warm-up of 4: starts at t = 0, 10, 30, 70.
  const LrSchedule s = schedule(
      "adam_cosine,lr=2,warmup_updates=4,warmup_init_lr=0,min_lr=0.2,init_period=10,period_mult=2,lr_shrink=0.5");
  CHECK(s.lr_at(4) == 2);
  CHECK(s.lr_at(4 + 9) == Approx(0.2 + 0.9 * (1 + std::cos(kPi * 9 / 10))).epsilon(1e-14));
  CHECK(s.lr_at(4 + 10) == 1);                                        // period 1 begins, shrink 0.5
  CHECK(s.lr_at(4 + 20) == Approx(0.1 + 0.45).epsilon(1e-14));         // half of period 1 (length 20)
  CHECK(s.lr_at(4 + 29) == Approx(0.1 + 0.45 * (1 + std::cos(kPi * 19 / 20))).epsilon(1e-14));
  CHECK(s.lr_at(4 + 30) == 0.5);                                       // period 2 begins
  CHECK(s.lr_at(4 + 70) == 0.25);                                      // period 3 begins
  // Away from the boundaries, XLM's closed form (a logarithm) agrees.
  for (int t : {1, 5, 13, 27, 45, 69, 100, 151}) {
    const double pid = std::floor(std::log(1 - t / 10.0 * (1 - 2)) / std::log(2.0));
    const double t_i = 10 * std::pow(2.0, pid);
    const double t_curr = t - (1 - std::pow(2.0, pid)) / (1 - 2) * 10;
    const double shrink = std::pow(0.5, pid);
    const double want = 0.2 * shrink + 0.5 * (2 * shrink - 0.2 * shrink) * (1 + std::cos(kPi * t_curr / t_i));
    INFO("t = " << t);
    CHECK(s.lr_at(4 + t) == Approx(want).epsilon(1e-13));
  }
}

TEST_CASE("lr schedule: cosine without warm-up starts at lr", "[nn][optimizer]") {
  const LrSchedule s = schedule("adam_cosine,lr=0.01,warmup_updates=0,min_lr=0,init_period=4");
  CHECK(s.lr_at(0) == 0.01);
  CHECK(s.lr_at(2) == Approx(0.005).epsilon(1e-14));
  CHECK(s.lr_at(4) == 0.0075);  // second period, lr_shrink 0.75
}
