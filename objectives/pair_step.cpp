// See objectives/pair_step.h.
#include "objectives/pair_step.h"

#include "core/error.h"

#include <fmt/ranges.h>

#include <algorithm>

namespace xlm::objectives {

namespace {
int64_t lang_id(const std::string& lang, const std::vector<std::string>& id2lang, const Step& step) {
  const auto it = std::find(id2lang.begin(), id2lang.end(), lang);
  if (it == id2lang.end())
    throw ConfigError(fmt::format("step '{}': language '{}' is not one of the model's languages ({})", step.name(),
                                  lang, fmt::join(id2lang, ",")));
  return static_cast<int64_t>(it - id2lang.begin());
}

void require_pair(const Step& step) {
  if (!step.is_pair() || step.lang1 == step.lang2)
    throw ConfigError(fmt::format("step '{}' is not a pair of two languages", step.name()));
}
}  // namespace

text::LanguagePair dataset_pair(const Step& step) {
  require_pair(step);
  return step.lang1 < step.lang2 ? text::LanguagePair{step.lang1, step.lang2}
                                 : text::LanguagePair{step.lang2, step.lang1};
}

PairSides pair_sides(const Step& step, const std::vector<std::string>& id2lang) {
  require_pair(step);
  return PairSides{step.lang1 > step.lang2, lang_id(step.lang1, id2lang, step), lang_id(step.lang2, id2lang, step)};
}

}  // namespace xlm::objectives
