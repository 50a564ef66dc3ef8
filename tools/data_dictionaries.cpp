// See data_dictionaries.h. Parsing is pure (index text + dict text in,
// pairs out) so it is tested on a hand-written dictionary; only
// build_dict_corpus touches packages and the cache.
#include "tools/data_dictionaries.h"

#include "core/error.h"
#include "text/unicode.h"
#include "text/utf8.h"
#include "tools/debian_fetch.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace xlm::tools {

namespace {

int dictd_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Drops every <...>, [...], (...) and {...} span (not nested in FreeDict).
std::string strip_annotations(std::string_view s) {
  std::string out;
  char close = 0;
  for (char c : s) {
    if (close) {
      if (c == close) close = 0;
      continue;
    }
    if (c == '<') close = '>';
    else if (c == '[') close = ']';
    else if (c == '(') close = ')';
    else if (c == '{') close = '}';
    else out += c;
  }
  return out;
}

char32_t lower(char32_t c) {
  if (c >= U'A' && c <= U'Z') return c + 32;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  if (c == 0x178) return 0xFF;
  const bool even_upper = (c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177);
  const bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
  if ((even_upper && c % 2 == 0 && c != 0x130) || (odd_upper && c % 2 == 1)) return c + 1;
  return c;
}

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  XLM_CHECK(in.good(), FormatError, "{}: cannot open for reading", path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

uint64_t decode_dictd_number(std::string_view digits, const std::string& where) {
  XLM_CHECK(!digits.empty() && digits.size() <= 10, FormatError, "{}: expected a dictd base64 number, got '{}'", where,
            digits);
  uint64_t value = 0;
  for (char c : digits) {
    const int d = dictd_digit(c);
    XLM_CHECK(d >= 0, FormatError, "{}: '{}' is not a dictd base64 digit in '{}'", where, c, digits);
    value = value * 64 + static_cast<uint64_t>(d);
  }
  return value;
}

std::vector<DictdEntry> parse_dictd_index(std::string_view text, const std::string& name) {
  std::vector<DictdEntry> out;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const size_t t1 = line.find('\t');
    const size_t t2 = t1 == std::string_view::npos ? t1 : line.find('\t', t1 + 1);
    const std::string where = fmt::format("{}:{}", name, line_no);
    XLM_CHECK(t2 != std::string_view::npos && line.find('\t', t2 + 1) == std::string_view::npos, FormatError,
              "{}: expected headword<TAB>offset<TAB>length", where);
    out.push_back({std::string(line.substr(0, t1)), decode_dictd_number(line.substr(t1 + 1, t2 - t1 - 1), where),
                   decode_dictd_number(line.substr(t2 + 1), where)});
  }
  return out;
}

bool is_single_word(std::string_view utf8) {
  if (utf8.empty() || text::find_invalid_utf8(utf8) != std::string_view::npos) return false;
  const std::u32string cps = text::utf8_decode(utf8);
  return std::all_of(cps.begin(), cps.end(), [](char32_t c) { return text::is_alpha(c); });
}

std::string lowercase_latin(std::string_view utf8) {
  std::u32string cps = text::utf8_decode(utf8);
  for (char32_t& c : cps) c = lower(c);
  return text::utf8_encode(cps);
}

std::pair<std::string, std::vector<std::string>> freedict_entry(std::string_view entry) {
  std::pair<std::string, std::vector<std::string>> out;
  bool first = true;
  while (!entry.empty()) {
    const size_t nl = entry.find('\n');
    std::string_view line = entry.substr(0, nl);
    entry = nl == std::string_view::npos ? std::string_view() : entry.substr(nl + 1);
    if (first) {
      first = false;
      const size_t slash = line.find(" /");
      const std::string head(trim(strip_annotations(line.substr(0, slash))));
      if (is_single_word(head)) out.first = lowercase_latin(head);
      continue;
    }
    if (line.empty() || line.front() == ' ' || line.front() == '\t') continue;  // examples, synonyms, see-also
    // "2. brazo" -> "brazo"
    size_t digits = 0;
    while (digits < line.size() && line[digits] >= '0' && line[digits] <= '9') ++digits;
    if (digits > 0 && line.substr(digits, 2) == ". ") line.remove_prefix(digits + 2);
    const std::string plain = strip_annotations(line);
    size_t start = 0;
    while (start <= plain.size()) {
      const size_t end = plain.find_first_of(",;", start);
      const std::string_view item = trim(std::string_view(plain).substr(start, end == std::string::npos ? end : end - start));
      if (is_single_word(item)) {
        std::string word = lowercase_latin(item);
        if (std::find(out.second.begin(), out.second.end(), word) == out.second.end()) out.second.push_back(word);
      }
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> freedict_pairs(std::string_view index, std::string_view dict,
                                                                const std::string& name) {
  std::set<std::pair<uint64_t, uint64_t>> seen;
  std::set<std::pair<std::string, std::string>> pairs;
  for (const DictdEntry& e : parse_dictd_index(index, name + ".index")) {
    if (e.headword.rfind("00database", 0) == 0 || e.headword.rfind("00-database", 0) == 0) continue;
    if (!seen.insert({e.offset, e.length}).second) continue;
    XLM_CHECK(e.offset <= dict.size() && e.length <= dict.size() - e.offset, FormatError,
              "{}.index: entry '{}' at bytes [{}, {}) lies outside the {}-byte .dict", name, e.headword, e.offset,
              e.offset + e.length, dict.size());
    auto [head, translations] = freedict_entry(dict.substr(e.offset, e.length));
    if (head.empty()) continue;
    for (auto& t : translations) pairs.insert({head, std::move(t)});
  }
  return {pairs.begin(), pairs.end()};
}

std::string dict_package(const std::string& lang) {
  static const std::map<std::string, std::string> kCodes = {{"fr", "fra"}, {"de", "deu"}, {"es", "spa"}, {"it", "ita"}};
  const auto it = kCodes.find(lang);
  XLM_CHECK(it != kCodes.end(), ConfigError, "--sources dict: no FreeDict English-{} dictionary (fr, de, es, it)", lang);
  return "dict-freedict-eng-" + it->second;
}

DictCorpus build_dict_corpus(const std::vector<std::string>& langs, const std::string& cache_dir) {
  DictCorpus out;
  for (const std::string& lang : langs) {
    if (lang == "en") continue;
    const std::string package = dict_package(lang);
    const DebPackage pkg = fetch_and_extract(package, cache_dir);
    const std::string base = "freedict-eng-" + package.substr(std::string("dict-freedict-eng-").size());
    const fs::path src = fs::path(pkg.root) / "usr/share/dictd";
    XLM_CHECK(fs::is_regular_file(src / (base + ".index")) && fs::is_regular_file(src / (base + ".dict.dz")),
              FormatError, "{} {}: no usr/share/dictd/{}.index and .dict.dz", pkg.name, pkg.version, base);
    const fs::path dst = fs::path(cache_dir) / "dict" / (pkg.name + "_" + pkg.sha256.substr(0, 16));
    if (!fs::exists(dst / (base + ".dict"))) {
      fs::create_directories(dst);
      const fs::path tmp = dst / (base + ".dict.tmp");
      run_shell(fmt::format("gzip -dc {} > {}", shell_quote((src / (base + ".dict.dz")).string()),
                            shell_quote(tmp.string())));
      fs::rename(tmp, dst / (base + ".dict"));
    }
    const auto pairs = freedict_pairs(read_whole((src / (base + ".index")).string()),
                                      read_whole((dst / (base + ".dict")).string()), (src / base).string());
    auto& lines = out.files["dict/en-" + lang + ".txt"];
    for (const auto& [en, xx] : pairs) lines.push_back(en + "\t" + xx);
    fmt::print(stderr, "xlm data debian: {} {} -> {} single-word pairs\n", pkg.name, pkg.version, lines.size());
    out.sources.push_back({{"package", pkg.name},
                           {"version", pkg.version},
                           {"deb", pkg.deb_file},
                           {"sha256", pkg.sha256},
                           {"bytes", pkg.bytes},
                           {"licence", "FreeDict dictionary (see the package's copyright file)"},
                           {"used_for", fmt::format("bilingual dictionary dict/en-{}.txt (single-word pairs)", lang)}});
  }
  return out;
}

}  // namespace xlm::tools
