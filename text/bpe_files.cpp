// See bpe_files.h. Files are small (tens of thousands of lines): read whole,
// split by hand so that every error can name its line.
#include "text/bpe_files.h"

#include "core/error.h"
#include "text/text_buffer.h"

#include <algorithm>
#include <string_view>

namespace xlm::text {

namespace {

// Fields separated by one or more spaces (fastBPE's split()).
std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (start < line.size()) {
    const size_t end = std::min(line.find(' ', start), line.size());
    if (end > start) fields.push_back(line.substr(start, end - start));
    start = end + 1;
  }
  return fields;
}

bool parse_count(std::string_view s, uint64_t* value) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *value = v;
  return true;
}

// Calls fn(fields, line_number) for every line (a final line without '\n' included).
template <typename Fn>
void for_each_line(std::string_view text, Fn fn) {
  size_t start = 0;
  size_t line_no = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    fn(split_fields(text.substr(start, end - start)), ++line_no);
    start = end + 1;
  }
}

std::string visible(std::string_view line_fields_joined) {
  return std::string(line_fields_joined.substr(0, 60));
}

}  // namespace

BpeCodes parse_bpe_codes(const std::string& text, const std::string& name) {
  BpeCodes codes;
  for_each_line(text, [&](const std::vector<std::string_view>& f, size_t line) {
    uint64_t count = 0;
    if (f.size() != 3 || !parse_count(f[2], &count)) {
      throw FormatError(fmt::format("{}:{}: expected a BPE code \"left right count\", got {} field(s){}{}", name,
                                    line, f.size(), f.empty() ? "" : " starting with ",
                                    f.empty() ? "" : fmt::format("'{}'", visible(f[0]))));
    }
    codes.merges.emplace_back(std::string(f[0]), std::string(f[1]));
  });
  return codes;
}

BpeVocab parse_bpe_vocab(const std::string& text, const std::string& name) {
  BpeVocab vocab;
  for_each_line(text, [&](const std::vector<std::string_view>& f, size_t line) {
    uint64_t count = 0;
    if (f.size() != 2 || !parse_count(f[1], &count)) {
      throw FormatError(fmt::format("{}:{}: expected a vocabulary entry \"word count\", got {} field(s){}{}", name,
                                    line, f.size(), f.empty() ? "" : " starting with ",
                                    f.empty() ? "" : fmt::format("'{}'", visible(f[0]))));
    }
    if (!vocab.emplace(std::string(f[0]), count).second) {
      throw FormatError(fmt::format("{}:{}: word '{}' appears twice", name, line, visible(f[0])));
    }
  });
  return vocab;
}

BpeCodes read_bpe_codes(const std::string& path) {
  TextBuffer buffer(path);
  return parse_bpe_codes(std::string(buffer.view()), path);
}

BpeVocab read_bpe_vocab(const std::string& path) {
  TextBuffer buffer(path);
  return parse_bpe_vocab(std::string(buffer.view()), path);
}

}  // namespace xlm::text
