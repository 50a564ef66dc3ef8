// See text/data_paths.h. Validation lives here so that every command and
// loader words a misnamed split or pair the same way.
#include "text/data_paths.h"

#include "core/error.h"

#include <fmt/format.h>

namespace xlm::text {

void check_split(const std::string& split) {
  if (split != "train" && split != "valid" && split != "test")
    throw ConfigError(fmt::format("data split \"{}\": expected train, valid or test", split));
}

void check_language(const std::string& lang) {
  bool ok = !lang.empty();
  for (char c : lang) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!alnum) ok = false;
  }
  if (!ok) throw ConfigError(fmt::format("language \"{}\": expected a code of letters, digits or '_' (e.g. en)", lang));
}

LanguagePair parse_language_pair(const std::string& pair) {
  const auto dash = pair.find('-');
  if (dash == std::string::npos || pair.find('-', dash + 1) != std::string::npos)
    throw ConfigError(fmt::format("language pair \"{}\": expected l1-l2 (e.g. de-en)", pair));
  LanguagePair p{pair.substr(0, dash), pair.substr(dash + 1)};
  check_language(p.l1);
  check_language(p.l2);
  if (!(p.l1 < p.l2))
    throw ConfigError(fmt::format("language pair \"{}\": XLM names pairs with l1 < l2, write \"{}-{}\"", pair,
                                  p.l1 < p.l2 ? p.l1 : p.l2, p.l1 < p.l2 ? p.l2 : p.l1));
  return p;
}

std::string mono_file_name(const std::string& split, const std::string& lang) {
  check_split(split);
  check_language(lang);
  return fmt::format("{}.{}", split, lang);
}

std::string para_file_name(const std::string& split, const std::string& l1, const std::string& l2,
                           const std::string& lang) {
  check_split(split);
  parse_language_pair(l1 + "-" + l2);
  if (lang != l1 && lang != l2)
    throw ConfigError(fmt::format("parallel file language \"{}\": expected {} or {}", lang, l1, l2));
  return fmt::format("{}.{}-{}.{}", split, l1, l2, lang);
}

std::string binarized_name(const std::string& text_path) { return text_path + kBinarizedSuffix; }

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

}  // namespace xlm::text
