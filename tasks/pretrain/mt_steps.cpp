// See mt_steps.h. MT and AE items reuse objectives::parse_steps (same
// language and repeat checks as the LM steps) and only add the shape rule of
// their flag; BT items have three languages, so they are parsed here.
#include "tasks/pretrain/mt_steps.h"

#include "core/error.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <sstream>

namespace xlm::tasks {

std::vector<objectives::Step> parse_mt_steps(const std::string& text, const std::vector<std::string>& langs) {
  std::vector<objectives::Step> steps = objectives::parse_steps(text, langs, "--mt_steps");
  for (const auto& s : steps)
    XLM_CHECK(s.is_pair(), ConfigError, "--mt_steps {}: '{}' is not a direction SRC-TGT (e.g. en-fr)", text,
              s.name());
  return steps;
}

std::vector<std::string> parse_ae_steps(const std::string& text, const std::vector<std::string>& langs) {
  std::vector<std::string> out;
  for (const auto& s : objectives::parse_steps(text, langs, "--ae_steps")) {
    XLM_CHECK(!s.is_pair(), ConfigError, "--ae_steps {}: '{}' is not a language (e.g. en,fr)", text, s.name());
    out.push_back(s.lang1);
  }
  return out;
}

std::vector<objectives::Step> parse_bt_steps(const std::string& text, const std::vector<std::string>& langs) {
  std::vector<objectives::Step> steps;
  std::set<std::string> seen;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) continue;
    std::vector<std::string> parts;
    std::stringstream p(item);
    std::string part;
    while (std::getline(p, part, '-')) parts.push_back(part);
    XLM_CHECK(parts.size() == 3 && !item.empty() && item.back() != '-', ConfigError,
              "--bt_steps {}: '{}' is not SRC-TGT-SRC (e.g. en-fr-en)", text, item);
    for (const std::string& lang : parts)
      XLM_CHECK(std::find(langs.begin(), langs.end(), lang) != langs.end(), ConfigError,
                "--bt_steps {}: '{}' in '{}' is not one of --lgs ({})", text, lang, item, fmt::join(langs, ", "));
    XLM_CHECK(parts[0] == parts[2] && parts[0] != parts[1], ConfigError,
              "--bt_steps {}: '{}' must go from a language to another and back (e.g. en-fr-en)", text, item);
    XLM_CHECK(seen.insert(item).second, ConfigError, "--bt_steps {}: '{}' appears twice", text, item);
    steps.push_back(objectives::Step{parts[0], parts[1]});
  }
  return steps;
}

std::pair<std::string, std::string> split_reload_paths(const std::string& text) {
  const size_t comma = text.find(',');
  XLM_CHECK(comma != std::string::npos && text.find(',', comma + 1) == std::string::npos, ConfigError,
            "--reload_model {}: with --encoder_only false, expected ENC_PATH,DEC_PATH (either may be empty)", text);
  return {text.substr(0, comma), text.substr(comma + 1)};
}

}  // namespace xlm::tasks
