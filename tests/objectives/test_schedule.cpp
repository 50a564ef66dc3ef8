// Step scheduling (objectives/schedule.h): XLM's --clm_steps/--mlm_steps
// syntax and its errors, lambda schedules at and between their points, and
// shuf_order's language sampling frequencies (within a few % over 10k
// iterations) for the sampling factor, with replay from a generator state.
#include "core/error.h"
#include "objectives/schedule.h"
#include "text/shuffle.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <string>
#include <vector>

using namespace xlm;
using namespace xlm::objectives;

namespace {
const std::vector<std::string> kLangs = {"de", "en", "fr"};

std::vector<std::string> names(const std::vector<Step>& steps) {
  std::vector<std::string> out;
  for (const Step& s : steps) out.push_back(s.name());
  return out;
}
}  // namespace

TEST_CASE("steps: XLM's 'en,fr,en-fr' syntax", "[objectives]") {
  const std::vector<Step> s = parse_steps("en,fr,en-fr,fr-en", kLangs, "--mlm_steps");
  REQUIRE(s.size() == 4);
  CHECK(s[0].lang1 == "en");
  CHECK(s[0].lang2.empty());
  CHECK_FALSE(s[0].is_pair());
  CHECK(s[2].lang1 == "en");
  CHECK(s[2].lang2 == "fr");
  CHECK(s[3].lang1 == "fr");
  CHECK(s[3].lang2 == "en");
  CHECK(names(s) == std::vector<std::string>{"en", "fr", "en-fr", "fr-en"});
  CHECK(parse_steps("", kLangs, "--clm_steps").empty());
  CHECK(names(parse_steps("de,", kLangs, "--clm_steps")) == std::vector<std::string>{"de"});
}

TEST_CASE("steps: errors name the flag", "[objectives]") {
  for (const char* bad : {"en-fr-de", "-fr", "en-", "it", "en-it", "en-en", "en,fr,en", "en-fr,en-fr"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_steps(bad, kLangs, "--clm_steps"), ConfigError);
    CHECK_THROWS_WITH(parse_steps(bad, kLangs, "--clm_steps"), Catch::Contains("--clm_steps"));
  }
  CHECK_THROWS_WITH(parse_steps("en-it", kLangs, "--mlm_steps"), Catch::Contains("'it' is not in --lgs"));
}

TEST_CASE("lambda: constant and piecewise linear schedules", "[objectives]") {
  const LambdaSchedule c = LambdaSchedule::parse("0.5", "--lambda_mlm");
  CHECK(c.is_constant());
  CHECK(c.value_at(0) == 0.5);
  CHECK(c.value_at(123456) == 0.5);
  CHECK(LambdaSchedule().value_at(10) == 1.0);

  const LambdaSchedule s = LambdaSchedule::parse("0:1,1000:0.1,100000:0", "--lambda_mlm");
  CHECK_FALSE(s.is_constant());
  CHECK(s.points().size() == 3);
  CHECK(s.value_at(0) == Approx(1.0));
  CHECK(s.value_at(500) == Approx(0.55));
  CHECK(s.value_at(1000) == Approx(0.1));
  CHECK(s.value_at(50500) == Approx(0.05));
  CHECK(s.value_at(100000) == 0.0);
  CHECK(s.value_at(500000) == 0.0);
  const LambdaSchedule up = LambdaSchedule::parse("0:0,1000:0,2000:1", "--lambda_clm");
  CHECK(up.value_at(999) == 0.0);
  CHECK(up.value_at(1500) == Approx(0.5));
  CHECK(up.value_at(3000) == 1.0);
}

TEST_CASE("lambda: errors name the flag", "[objectives]") {
  for (const char* bad : {"", "x", "-1", "1:1,2:0", "0:1,0:2", "0:1,500:0.5,400:0", "0:1,a:2", "0:-1", "0:1,", "0:1:2"}) {
    INFO(bad);
    CHECK_THROWS_AS(LambdaSchedule::parse(bad, "--lambda_tlm"), ConfigError);
    CHECK_THROWS_WITH(LambdaSchedule::parse(bad, "--lambda_tlm"), Catch::Contains("--lambda_tlm"));
  }
}

TEST_CASE("sampling: probabilities follow (n_l / sum n)^factor", "[objectives]") {
  const std::vector<double> p = sampling_probabilities({9000, 1000}, 0.5);
  CHECK(p[0] == Approx(0.75));
  CHECK(p[1] == Approx(0.25));
  const std::vector<double> one = sampling_probabilities({9000, 1000}, 1.0);
  CHECK(one[0] == Approx(0.9));
  const std::vector<double> uniform = sampling_probabilities({9000, 1000}, -1);
  CHECK(uniform[0] == 0.5);
  CHECK_THROWS_WITH(sampling_probabilities({1, 2}, 0.0), Catch::Contains("--lg_sampling_factor"));
  CHECK_THROWS_AS(sampling_probabilities({0, 0}, 0.7), ConfigError);
  CHECK_THROWS_AS(sampling_probabilities({5, -1}, 0.7), ConfigError);
}

TEST_CASE("sampling: step frequencies over 10k iterations match the factor", "[objectives]") {
  const std::vector<Step> steps = parse_steps("en,fr,en-fr,de-en", kLangs, "--mlm_steps");
  const std::vector<int64_t> sizes = {9000, 1000, 300, 100};  // en, fr, en-fr pairs, de-en pairs
  for (const double factor : {0.5, -1.0}) {
    INFO(factor);
    text::SplitMix64 rng(2024);
    std::map<std::string, int64_t> counts;
    int64_t mono = 0, pairs = 0;
    for (int it = 0; it < 10000; ++it) {
      const std::vector<Step> order = sample_step_order(steps, sizes, factor, rng);
      REQUIRE(order.size() == 4);  // min(5, 2) monolingual + min(5, 2) pairs
      CHECK_FALSE(order[0].is_pair());
      CHECK_FALSE(order[1].is_pair());
      CHECK(order[2].is_pair());
      CHECK(order[3].is_pair());
      for (const Step& s : order) {
        ++counts[s.name()];
        (s.is_pair() ? pairs : mono) += 1;
      }
    }
    const double want_en = factor > 0 ? 0.75 : 0.5;
    const double want_enfr = factor > 0 ? std::sqrt(0.75) / (std::sqrt(0.75) + std::sqrt(0.25)) : 0.5;
    CHECK(std::fabs(static_cast<double>(counts["en"]) / static_cast<double>(mono) - want_en) < 0.02);
    CHECK(std::fabs(static_cast<double>(counts["en-fr"]) / static_cast<double>(pairs) - want_enfr) < 0.02);
  }
}

TEST_CASE("sampling: draws cap, replay from a state, shuffled_steps", "[objectives]") {
  const std::vector<Step> steps = parse_steps("de,en,fr", kLangs, "--clm_steps");
  text::SplitMix64 a(5);
  CHECK(sample_step_order(steps, {1, 1, 1}, -1, a, 2).size() == 2);
  text::SplitMix64 b(a.state()), c(a.state());
  CHECK(names(sample_step_order(steps, {5, 6, 7}, 0.7, b)) == names(sample_step_order(steps, {5, 6, 7}, 0.7, c)));
  CHECK_THROWS_AS(sample_step_order(steps, {1, 2}, 0.7, a), ConfigError);
  CHECK(sample_step_order({}, {}, 0.7, a).empty());
  // A language without data is never drawn.
  for (int i = 0; i < 200; ++i)
    for (const Step& s : sample_step_order(steps, {0, 10, 10}, 0.7, a)) CHECK(s.lang1 != "de");

  const std::vector<Step> shuffled = shuffled_steps(steps, a);
  REQUIRE(shuffled.size() == 3);
  for (const Step& s : steps) CHECK(std::find(shuffled.begin(), shuffled.end(), s) != shuffled.end());
}
