// The languages the text pipeline knows (XLM's en/fr/de/es/it set) and the
// per-language facts the Moses rules need. One place parses a --lang value so
// every command reports the same one-line error for an unknown language.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace xlm::text {

enum class Language { en, fr, de, es, it };

// Throws ConfigError("unknown language 'xx' (supported: en, fr, de, es, it)").
Language parse_language(std::string_view code);
std::string language_code(Language lang);
const std::vector<std::string>& supported_languages();

// Words that keep a following period attached ("Mr." "Dr." "z.B"): `plain` always,
// `numeric_only` only when the next token starts with a digit ("No. 5", "Art. 3").
struct NonbreakingPrefixes {
  std::unordered_set<std::u32string> plain;
  std::unordered_set<std::u32string> numeric_only;
};
const NonbreakingPrefixes& nonbreaking_prefixes(Language lang);

}  // namespace xlm::text
