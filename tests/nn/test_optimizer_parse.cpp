// --optimizer parsing: XLM's syntax, defaults filled, and one-line ConfigErrors
// naming the flag and the bad part.
#include "core/error.h"
#include "nn/optimizer_parse.h"
#include "support.h"

using namespace xlm;
using namespace xlm::nn;

TEST_CASE("optimizer spec: XLM's adam_inverse_sqrt string with defaults filled", "[nn][optimizer]") {
  const OptimizerSpec s =
      parse_optimizer_spec("adam_inverse_sqrt,lr=0.0001,warmup_updates=4000,beta1=0.9,beta2=0.98");
  CHECK(s.name == "adam_inverse_sqrt");
  const std::map<std::string, double> want = {{"lr", 0.0001},        {"beta1", 0.9},          {"beta2", 0.98},
                                              {"eps", 1e-8},         {"weight_decay", 0.0},   {"warmup_updates", 4000},
                                              {"warmup_init_lr", 1e-7}, {"exp_factor", 0.5}};
  CHECK(s.values == want);
}

TEST_CASE("optimizer spec: bare names, cosine defaults, exponents, sgd", "[nn][optimizer]") {
  const OptimizerSpec adam = parse_optimizer_spec("adam");
  CHECK(adam.values.at("lr") == 1e-3);
  CHECK(adam.values.at("beta2") == 0.999);
  CHECK(adam.values.size() == 5);

  const OptimizerSpec cosine = parse_optimizer_spec("adam_cosine,lr=1e-4,warmup_updates=0");
  CHECK(cosine.values.at("lr") == 1e-4);
  CHECK(cosine.values.at("warmup_updates") == 0);
  CHECK(cosine.values.at("min_lr") == 1e-9);
  CHECK(cosine.values.at("init_period") == 1000000);
  CHECK(cosine.values.at("period_mult") == 1);
  CHECK(cosine.values.at("lr_shrink") == 0.75);

  const OptimizerSpec sgd = parse_optimizer_spec("sgd,lr=.5");
  CHECK(sgd.values == std::map<std::string, double>{{"lr", 0.5}, {"weight_decay", 0.0}});
}

TEST_CASE("optimizer spec: the canonical string parses back to the same spec", "[nn][optimizer]") {
  const OptimizerSpec s = parse_optimizer_spec("adam_cosine,lr=0.00031,beta2=0.98,period_mult=2");
  const std::string text = optimizer_spec_string(s);
  CHECK(text.rfind("adam_cosine,beta1=0.9,beta2=0.98,", 0) == 0);
  const OptimizerSpec back = parse_optimizer_spec(text);
  CHECK(back.name == s.name);
  CHECK(back.values == s.values);
}

TEST_CASE("optimizer spec: errors name --optimizer and the bad part", "[nn][optimizer]") {
  XLM_CHECK_THROWS(parse_optimizer_spec(""), ConfigError, "--optimizer", "empty");
  XLM_CHECK_THROWS(parse_optimizer_spec("adamw,lr=0.1"), ConfigError, "--optimizer", "unknown optimizer \"adamw\"",
                   "adam_inverse_sqrt");
  XLM_CHECK_THROWS(parse_optimizer_spec("adam,momentum=0.9"), ConfigError, "--optimizer",
                   "adam has no key \"momentum\"", "weight_decay");
  XLM_CHECK_THROWS(parse_optimizer_spec("adam,lr=0.1,lr=0.2"), ConfigError, "--optimizer", "\"lr\" is given twice");
  XLM_CHECK_THROWS(parse_optimizer_spec("adam,lr=abc"), ConfigError, "--optimizer", "lr=\"abc\" is not a number");
  XLM_CHECK_THROWS(parse_optimizer_spec("adam,lr=0.1x"), ConfigError, "lr=\"0.1x\" is not a number");
  XLM_CHECK_THROWS(parse_optimizer_spec("adam,lr= 0.1"), ConfigError, "is not a number");
  XLM_CHECK_THROWS(parse_optimizer_spec("adam,lr="), ConfigError, "lr=\"\" is not a number");
  XLM_CHECK_THROWS(parse_optimizer_spec("adam,lr=1e999"), ConfigError, "is not a number");
  XLM_CHECK_THROWS(parse_optimizer_spec("adam,lr=nan"), ConfigError, "is not a number");
  XLM_CHECK_THROWS(parse_optimizer_spec("adam,lr"), ConfigError, "--optimizer", "\"lr\" in \"adam,lr\" is not key=value");
  XLM_CHECK_THROWS(parse_optimizer_spec("adam,"), ConfigError, "\"\" in \"adam,\" is not key=value");
  XLM_CHECK_THROWS(parse_optimizer_spec("adam,lr=1=2"), ConfigError, "is not key=value");
  XLM_CHECK_THROWS(parse_optimizer_spec("sgd"), ConfigError, "--optimizer", "sgd needs lr");
  XLM_CHECK_THROWS(parse_optimizer_spec("sgd,weight_decay=0.1"), ConfigError, "sgd needs lr");
  XLM_CHECK_THROWS(parse_optimizer_spec("adam,beta1=1"), ConfigError, "--optimizer", "beta1=1 must be in [0, 1)");
  XLM_CHECK_THROWS(parse_optimizer_spec("adam,lr=0"), ConfigError, "lr=0 must be > 0");
  XLM_CHECK_THROWS(parse_optimizer_spec("adam,weight_decay=-1"), ConfigError, "weight_decay=-1 must be >= 0");
  XLM_CHECK_THROWS(parse_optimizer_spec("adam_inverse_sqrt,warmup_updates=10.5"), ConfigError,
                   "warmup_updates=10.5 must be a whole number >= 1");
  XLM_CHECK_THROWS(parse_optimizer_spec("adam_inverse_sqrt,warmup_updates=0"), ConfigError,
                   "warmup_updates=0 must be a whole number >= 1");
  XLM_CHECK_THROWS(parse_optimizer_spec("adam_cosine,period_mult=0.5"), ConfigError, "period_mult=0.5 must be >= 1");
  XLM_CHECK_THROWS(complete_optimizer_spec({"adam", {{"lrr", 0.1}}}), ConfigError, "adam has no key \"lrr\"");
}
