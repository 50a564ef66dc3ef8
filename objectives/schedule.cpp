// See objectives/schedule.h.
#include "objectives/schedule.h"

#include "core/error.h"

#include <fmt/ranges.h>
#include "objectives/parse_number.h"
#include "objectives/random.h"

#include <algorithm>
#include <cmath>

namespace xlm::objectives {

namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t at = text.find(sep, start);
    out.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

}  // namespace

std::string Step::name() const { return is_pair() ? lang1 + "-" + lang2 : lang1; }

std::vector<Step> parse_steps(const std::string& text, const std::vector<std::string>& langs,
                              const std::string& flag) {
  std::vector<Step> steps;
  if (text.empty()) return steps;
  const auto known = [&](const std::string& l) { return std::find(langs.begin(), langs.end(), l) != langs.end(); };
  for (const std::string& item : split(text, ',')) {
    if (item.empty()) continue;
    const std::vector<std::string> parts = split(item, '-');
    if (parts.size() > 2 || parts[0].empty() || (parts.size() == 2 && parts[1].empty()))
      throw ConfigError(fmt::format("{} '{}': item '{}' is not a language (en) or a pair (en-fr)", flag, text, item));
    for (const std::string& l : parts)
      if (!known(l))
        throw ConfigError(fmt::format("{} '{}': language '{}' is not in --lgs ({})", flag, text, l,
                                      fmt::join(langs, "-")));
    Step step{parts[0], parts.size() == 2 ? parts[1] : std::string()};
    if (step.is_pair() && step.lang1 == step.lang2)
      throw ConfigError(fmt::format("{} '{}': pair '{}' has the same language twice", flag, text, item));
    if (std::find(steps.begin(), steps.end(), step) != steps.end())
      throw ConfigError(fmt::format("{} '{}': step '{}' is listed twice", flag, text, item));
    steps.push_back(step);
  }
  return steps;
}

LambdaSchedule::LambdaSchedule(double constant) : points_{{0, constant}} {}

LambdaSchedule LambdaSchedule::parse(const std::string& text, const std::string& flag) {
  LambdaSchedule s;
  s.points_.clear();
  const std::vector<std::string> items = split(text, ',');
  if (items.size() == 1 && text.find(':') == std::string::npos) {
    double v = 0;
    if (!parse_double(text, v) || v < 0)
      throw ConfigError(fmt::format("{} '{}': expected a number >= 0 or points such as 0:1,1000:0.1", flag, text));
    s.points_.emplace_back(0, v);
    return s;
  }
  for (const std::string& item : items) {
    const std::vector<std::string> xy = split(item, ':');
    int64_t x = 0;
    double y = 0;
    if (xy.size() != 2 || !parse_count(xy[0], x) || !parse_double(xy[1], y))
      throw ConfigError(fmt::format("{} '{}': item '{}' is not updates:value (e.g. 1000:0.1)", flag, text, item));
    if (y < 0) throw ConfigError(fmt::format("{} '{}': value {} in '{}' is negative", flag, text, y, item));
    if (s.points_.empty() && x != 0)
      throw ConfigError(fmt::format("{} '{}': the first point must be at 0 updates, got {}", flag, text, x));
    if (!s.points_.empty() && x <= s.points_.back().first)
      throw ConfigError(fmt::format("{} '{}': update counts must increase, {} follows {}", flag, text, x,
                                    s.points_.back().first));
    s.points_.emplace_back(x, y);
  }
  return s;
}

double LambdaSchedule::value_at(int64_t n_updates) const {
  for (size_t i = 0; i + 1 < points_.size(); ++i) {
    const auto [xa, ya] = points_[i];
    const auto [xb, yb] = points_[i + 1];
    if (n_updates >= xa && n_updates < xb)
      return ya + static_cast<double>(n_updates - xa) * (yb - ya) / static_cast<double>(xb - xa);
  }
  return n_updates < points_.front().first ? points_.front().second : points_.back().second;
}

std::vector<double> sampling_probabilities(const std::vector<int64_t>& sizes, double factor) {
  if (!(factor == -1 || factor > 0))
    throw ConfigError(fmt::format("--lg_sampling_factor {}: expected -1 (uniform) or a value > 0", factor));
  std::vector<double> p(sizes.size(), 1.0);
  if (factor == -1 || sizes.empty()) {
    for (double& v : p) v /= static_cast<double>(sizes.size());
    return p;
  }
  double total = 0;
  for (int64_t n : sizes) {
    if (n < 0) throw ConfigError(fmt::format("--lg_sampling_factor: negative data size {}", n));
    total += static_cast<double>(n);
  }
  if (total <= 0) throw ConfigError("--lg_sampling_factor: every step of a group has 0 training sentences");
  double sum = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    p[i] = std::pow(static_cast<double>(sizes[i]) / total, factor);
    sum += p[i];
  }
  for (double& v : p) v /= sum;
  return p;
}

std::vector<Step> sample_step_order(const std::vector<Step>& steps, const std::vector<int64_t>& sizes,
                                    double factor, text::SplitMix64& rng, int64_t draws) {
  if (sizes.size() != steps.size())
    throw ConfigError(fmt::format("--lg_sampling_factor: {} data sizes for {} steps", sizes.size(), steps.size()));
  if (draws < 1) throw ConfigError(fmt::format("step sampling: draws must be >= 1, got {}", draws));
  std::vector<Step> order;
  for (const bool pairs : {false, true}) {
    std::vector<Step> group;
    std::vector<int64_t> group_sizes;
    for (size_t i = 0; i < steps.size(); ++i) {
      if (steps[i].is_pair() != pairs) continue;
      group.push_back(steps[i]);
      group_sizes.push_back(sizes[i]);
    }
    if (group.empty()) continue;
    const std::vector<double> p = sampling_probabilities(group_sizes, factor);
    const int64_t n = std::min<int64_t>(draws, static_cast<int64_t>(group.size()));
    for (int64_t k = 0; k < n; ++k) order.push_back(group[static_cast<size_t>(draw_weighted(p, rng))]);
  }
  return order;
}

std::vector<Step> shuffled_steps(const std::vector<Step>& steps, text::SplitMix64& rng) {
  std::vector<Step> out = steps;
  text::shuffle_in_place(out, rng);
  return out;
}

}  // namespace xlm::objectives
