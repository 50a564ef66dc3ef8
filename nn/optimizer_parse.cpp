// --optimizer parsing. One table lists, per optimizer, the keys it reads with
// their defaults and allowed ranges (XLM's src/optim.py defaults); parsing,
// completion and the docs all follow that table. Unlike XLM (a Python dict and
// a plain-decimal regex) we reject repeated keys and accept exponents ("1e-4").
// Named optimizer_parse, not optimizer_spec: *_spec.cpp files are op-harness
// entries, which the build keeps out of libxlm.
#include "nn/optimizer_parse.h"

#include "core/error.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace xlm::nn {

namespace {

enum class Range { positive, non_negative, unit_interval, whole_positive, whole_non_negative, at_least_one };

struct KeyRule {
  const char* key;
  double default_value;
  bool required;
  Range range;
};

const std::vector<KeyRule>& rules_for(const std::string& name) {
  static const std::vector<KeyRule> adam = {
      {"lr", 1e-3, false, Range::positive},
      {"beta1", 0.9, false, Range::unit_interval},
      {"beta2", 0.999, false, Range::unit_interval},
      {"eps", 1e-8, false, Range::non_negative},
      {"weight_decay", 0.0, false, Range::non_negative},
  };
  static const std::vector<KeyRule> inverse_sqrt = [] {
    std::vector<KeyRule> r = adam;
    r.push_back({"warmup_updates", 4000, false, Range::whole_positive});
    r.push_back({"warmup_init_lr", 1e-7, false, Range::non_negative});
    r.push_back({"exp_factor", 0.5, false, Range::positive});
    return r;
  }();
  static const std::vector<KeyRule> cosine = [] {
    std::vector<KeyRule> r = adam;
    r.push_back({"warmup_updates", 4000, false, Range::whole_non_negative});
    r.push_back({"warmup_init_lr", 1e-7, false, Range::non_negative});
    r.push_back({"min_lr", 1e-9, false, Range::non_negative});
    r.push_back({"init_period", 1000000, false, Range::whole_positive});
    r.push_back({"period_mult", 1, false, Range::at_least_one});
    r.push_back({"lr_shrink", 0.75, false, Range::positive});
    return r;
  }();
  static const std::vector<KeyRule> sgd = {
      {"lr", 0.0, true, Range::positive},
      {"weight_decay", 0.0, false, Range::non_negative},
  };
  if (name == "adam") return adam;
  if (name == "adam_inverse_sqrt") return inverse_sqrt;
  if (name == "adam_cosine") return cosine;
  if (name == "sgd") return sgd;
  throw ConfigError(fmt::format("--optimizer: unknown optimizer \"{}\" (known: {})", name,
                                fmt::join(optimizer_names(), ", ")));
}

std::string known_keys(const std::vector<KeyRule>& rules) {
  std::vector<std::string> keys;
  for (const auto& r : rules) keys.push_back(r.key);
  return fmt::format("{}", fmt::join(keys, ", "));
}

void check_range(const std::string& key, double v, Range range) {
  const bool whole = std::floor(v) == v;
  const char* expected = nullptr;
  switch (range) {
    case Range::positive: if (!(v > 0)) expected = "must be > 0"; break;
    case Range::non_negative: if (!(v >= 0)) expected = "must be >= 0"; break;
    case Range::unit_interval: if (!(v >= 0 && v < 1)) expected = "must be in [0, 1)"; break;
    case Range::whole_positive: if (!(whole && v >= 1)) expected = "must be a whole number >= 1"; break;
    case Range::whole_non_negative: if (!(whole && v >= 0)) expected = "must be a whole number >= 0"; break;
    case Range::at_least_one: if (!(v >= 1)) expected = "must be >= 1"; break;
  }
  if (expected) throw ConfigError(fmt::format("--optimizer: {}={} {}", key, v, expected));
}

double parse_number(const std::string& key, const std::string& text) {
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = text.empty() || std::isspace(static_cast<unsigned char>(text[0])) ? 0 : std::strtod(begin, &end);
  if (text.empty() || end != begin + text.size() || errno == ERANGE || !std::isfinite(v))
    throw ConfigError(fmt::format("--optimizer: {}=\"{}\" is not a number", key, text));
  return v;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    parts.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parts;
}

}  // namespace

const std::vector<std::string>& optimizer_names() {
  static const std::vector<std::string> names = {"adam", "adam_inverse_sqrt", "adam_cosine", "sgd"};
  return names;
}

OptimizerSpec complete_optimizer_spec(const OptimizerSpec& spec) {
  const auto& rules = rules_for(spec.name);
  for (const auto& entry : spec.values) {
    bool known = false;
    for (const auto& r : rules) known = known || entry.first == r.key;
    if (!known)
      throw ConfigError(fmt::format("--optimizer: {} has no key \"{}\" (known: {})", spec.name, entry.first,
                                    known_keys(rules)));
  }
  OptimizerSpec out{spec.name, {}};
  for (const auto& r : rules) {
    auto it = spec.values.find(r.key);
    if (it == spec.values.end()) {
      if (r.required)
        throw ConfigError(fmt::format("--optimizer: {} needs {} (e.g. \"{},{}=0.1\")", spec.name, r.key, spec.name,
                                      r.key));
      out.values[r.key] = r.default_value;
    } else {
      check_range(r.key, it->second, r.range);
      out.values[r.key] = it->second;
    }
  }
  return out;
}

OptimizerSpec parse_optimizer_spec(const std::string& text) {
  if (text.empty())
    throw ConfigError("--optimizer: empty; expected \"<name>[,key=value]*\", e.g. \"adam,lr=0.0001\"");
  const std::vector<std::string> parts = split_commas(text);
  OptimizerSpec spec{parts[0], {}};
  rules_for(spec.name);  // unknown names fail before their keys are looked at
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string& item = parts[i];
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || item.find('=', eq + 1) != std::string::npos)
      throw ConfigError(fmt::format("--optimizer: \"{}\" in \"{}\" is not key=value", item, text));
    const std::string key = item.substr(0, eq);
    if (spec.values.count(key)) throw ConfigError(fmt::format("--optimizer: key \"{}\" is given twice", key));
    bool known = false;
    for (const auto& r : rules_for(spec.name)) known = known || key == r.key;
    if (!known)
      throw ConfigError(fmt::format("--optimizer: {} has no key \"{}\" (known: {})", spec.name, key,
                                    known_keys(rules_for(spec.name))));
    spec.values[key] = parse_number(key, item.substr(eq + 1));
  }
  return complete_optimizer_spec(spec);
}

std::string optimizer_spec_string(const OptimizerSpec& spec) {
  std::string s = spec.name;
  for (const auto& [key, value] : spec.values) s += fmt::format(",{}={}", key, value);
  return s;
}

}  // namespace xlm::nn
