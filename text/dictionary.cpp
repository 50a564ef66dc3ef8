// See text/dictionary.h. The vocab parser is strict where XLM is lenient
// (XLM silently skips duplicates and malformed lines, which shifts every
// later id): a vocab that would give different ids here and there is an error.
#include "text/dictionary.h"

#include "core/error.h"
#include "core/fnv1a.h"

#include <fmt/format.h>

#include <fstream>

namespace xlm::text {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// Splits on ASCII whitespace, calling f(token) for each non-empty token.
template <typename F>
void for_each_token(std::string_view line, F&& f) {
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    const size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > start) f(line.substr(start, i - start));
  }
}

std::vector<std::string> special_words() {
  std::vector<std::string> w = {"<s>", "</s>", "<pad>", "<unk>"};
  for (int64_t i = 0; i < kSpecialWords; ++i) w.push_back(fmt::format("<special{}>", i));
  return w;
}

}  // namespace

void Dictionary::add(const std::string& word, int64_t count) {
  ids_.emplace(word, static_cast<int64_t>(words_.size()));
  words_.push_back(word);
  counts_.push_back(count);
}

void Dictionary::finish() {
  hash_ = kFnvOffset;
  for (const auto& w : words_) {
    hash_ = fnv1a64(w.data(), w.size(), hash_);
    hash_ = fnv1a64("\n", 1, hash_);
  }
}

Dictionary Dictionary::from_vocab_file(const std::string& path, int64_t max_vocab, int64_t min_count) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(fmt::format("{}: cannot open vocab file for reading", path));
  return from_vocab_stream(in, path, max_vocab, min_count);
}

Dictionary Dictionary::from_vocab_stream(std::istream& in, const std::string& name, int64_t max_vocab,
                                         int64_t min_count) {
  if (max_vocab != -1 && max_vocab < kFirstWordIndex)
    throw ConfigError(fmt::format("--max_vocab {}: must be -1 (all words) or at least {} (the special words)",
                                  max_vocab, kFirstWordIndex));
  if (min_count < 0) throw ConfigError(fmt::format("--min_count {}: must be >= 0", min_count));

  Dictionary d;
  for (const auto& w : special_words()) d.add(w, 0);

  std::string line;
  int64_t line_no = 0;
  int64_t kept_by_max_vocab = 0;
  while (std::getline(in, line)) {
    ++line_no;
    std::vector<std::string_view> fields;
    for_each_token(line, [&](std::string_view t) { fields.push_back(t); });
    if (fields.size() != 2)
      throw FormatError(fmt::format("{}:{}: expected \"word count\", got {} field(s)", name, line_no, fields.size()));
    const std::string word(fields[0]);
    const std::string_view count_text = fields[1];
    int64_t count = 0;
    // At most 18 digits, so the value fits; stop at the first fault, since
    // accumulating past it (a non-digit, a 19th digit) overflows int64.
    bool ok = !count_text.empty() && count_text.size() <= 18;
    for (size_t i = 0; ok && i < count_text.size(); ++i) {
      const char c = count_text[i];
      ok = c >= '0' && c <= '9';
      if (ok) count = count * 10 + (c - '0');
    }
    if (!ok)
      throw FormatError(fmt::format("{}:{}: count \"{}\" of word \"{}\" is not a non-negative integer", name,
                                    line_no, count_text, word));
    // Duplicates are checked on every line, even past max_vocab, so a
    // corrupt vocab is reported whatever the flags.
    if (d.ids_.count(word) != 0) {
      const int64_t first = d.ids_.at(word);
      if (first < kFirstWordIndex)
        throw FormatError(fmt::format("{}:{}: \"{}\" is a reserved special word", name, line_no, word));
      throw FormatError(fmt::format("{}:{}: duplicate word \"{}\"", name, line_no, word));
    }
    const bool within_max = max_vocab == -1 || kFirstWordIndex + kept_by_max_vocab < max_vocab;
    if (!within_max) {
      d.ids_.emplace(word, -1);  // remembered for the duplicate check only
      continue;
    }
    ++kept_by_max_vocab;
    if (count < min_count) {
      d.ids_.emplace(word, -1);
      continue;
    }
    d.add(word, count);
  }
  if (in.bad()) throw FormatError(fmt::format("{}: read error", name));
  // Drop the placeholders used for duplicate detection.
  for (auto it = d.ids_.begin(); it != d.ids_.end();) {
    it = it->second < 0 ? d.ids_.erase(it) : std::next(it);
  }
  d.finish();
  return d;
}

const std::string& Dictionary::word(int64_t id) const {
  if (id < 0 || id >= size())
    throw IndexError(fmt::format("dictionary: id {} out of range [0, {})", id, size()));
  return words_[static_cast<size_t>(id)];
}

int64_t Dictionary::count(int64_t id) const {
  if (id < 0 || id >= size())
    throw IndexError(fmt::format("dictionary: id {} out of range [0, {})", id, size()));
  return counts_[static_cast<size_t>(id)];
}

int64_t Dictionary::index(std::string_view word) const {
  const auto it = ids_.find(std::string(word));
  return it == ids_.end() ? kUnkIndex : it->second;
}

bool Dictionary::contains(std::string_view word) const { return ids_.count(std::string(word)) != 0; }

void Dictionary::index_line(std::string_view line, std::vector<int64_t>& ids, IndexStats& stats,
                            SpecialWords specials) const {
  for_each_token(line, [&](std::string_view w) {
    const int64_t id = index(w);
    if (specials == SpecialWords::drop && id < kFirstWordIndex && id != kUnkIndex) {
      ++stats.specials_dropped;
      return;
    }
    ids.push_back(id);
    ++stats.words;
    if (id == kUnkIndex) ++stats.unknown;
  });
}

}  // namespace xlm::text
