// The bilingual dictionary source of `xlm data debian` (`--sources dict`):
// the FreeDict packages dict-freedict-eng-{fra,deu,spa,ita} in dictd format
// (a text `.index` of "headword<TAB>offset<TAB>length" with base64 numbers,
// and a `.dict.dz` whose uncompressed bytes hold the entries). The .dict.dz
// is gunzipped once into the cache with the system's gzip (as the man source
// does), so the entries are plain byte ranges of a file. Output: single-word
// pairs "en<TAB>xx", lowercased and deduplicated, for `xlm wordemb`.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xlm::tools {

struct DictdEntry {
  std::string headword;
  uint64_t offset = 0;  // into the uncompressed .dict
  uint64_t length = 0;
};

// dictd's base64 numbers (digits A-Z a-z 0-9 + /, most significant first).
// FormatError naming `where` for an empty number or another character.
uint64_t decode_dictd_number(std::string_view digits, const std::string& where);

// Every line of a .index (FormatError naming `name` and the line when it has
// not three tab-separated fields). The 00database* header entries are kept.
std::vector<DictdEntry> parse_dictd_index(std::string_view text, const std::string& name);

// A single word: one or more letters (Unicode Alphabetic), nothing else.
bool is_single_word(std::string_view utf8);
// Lowercase of ASCII, Latin-1 and Latin Extended-A letters (the scripts of
// en, fr, de, es, it); other characters are copied.
std::string lowercase_latin(std::string_view utf8);

// One FreeDict entry: the first line is "headword /pronunciation/", then
// translation lines ("1. chat, matou", "Abdankung <fem> [techn.]"); indented
// lines are examples, synonyms and cross-references. Returns (headword,
// translations): annotations in <>, [], (), {} removed, items split on , and
// ;, only single words kept, lowercased, in order, without repeats. The
// headword is "" when it is not a single word.
std::pair<std::string, std::vector<std::string>> freedict_entry(std::string_view entry);

// All (en, xx) pairs of a dictd dictionary: `dict` is the uncompressed .dict
// text, `index` the .index text; entries are read once per distinct byte
// range, header entries (headwords starting with "00database" or
// "00-database") skipped; sorted and deduplicated. FormatError naming
// `name` for a range outside the .dict.
std::vector<std::pair<std::string, std::string>> freedict_pairs(std::string_view index, std::string_view dict,
                                                                const std::string& name);

// "fr" -> "dict-freedict-eng-fra"; ConfigError for a language without one.
std::string dict_package(const std::string& lang);

struct DictCorpus {
  std::map<std::string, std::vector<std::string>> files;  // "dict/en-fr.txt" -> "en<TAB>fr" lines
  nlohmann::json sources = nlohmann::json::array();       // manifest entries of the .debs read
};

// Fetches the package of every non-English language in `langs` into the cache,
// gunzips its .dict.dz (<cache>/dict/<package>_<sha prefix>/) and writes the pairs.
DictCorpus build_dict_corpus(const std::vector<std::string>& langs, const std::string& cache_dir);

}  // namespace xlm::tools
