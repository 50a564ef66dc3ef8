// See debian_index.h. Line-oriented parsers: the indexes are machine-written
// deb822, so a field starts at column 0 and continues on lines starting with
// a space.
#include "text/debian_index.h"

#include "text/whitespace.h"

#include <algorithm>
#include <cctype>

namespace xlm::text {

namespace {

bool starts_block(std::string_view line) {  // line without its first (continuation) space
  if (line.size() >= 1 && line[0] == ' ') return true;  // verbatim (two leading spaces)
  if (line.size() >= 2 && (line[0] == '*' || line[0] == '-' || line[0] == '+' || line[0] == 'o') && line[1] == ' ')
    return true;
  return false;
}

// Calls f(name, value, continuation_lines) for each field of each stanza; f(",", ...) at stanza end.
template <typename F>
void for_each_field(std::string_view text, F&& f) {
  std::string name, value;
  std::vector<std::string_view> cont;
  bool in_field = false;
  auto flush = [&] {
    if (in_field) f(name, value, cont);
    in_field = false;
    cont.clear();
  };
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      flush();
      f(std::string(), std::string(), cont);  // stanza end
    } else if (line[0] == ' ' || line[0] == '\t') {
      if (in_field) cont.push_back(line.substr(1));
    } else {
      flush();
      const size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        name = std::string(line.substr(0, colon));
        value = collapse_whitespace(line.substr(colon + 1));
        in_field = true;
      }
    }
    pos = nl + 1;
  }
  flush();
  f(std::string(), std::string(), cont);
}

}  // namespace

std::vector<Description> parse_translation_index(std::string_view text, std::string_view lang) {
  const std::string desc_field = "Description-" + std::string(lang);
  std::vector<Description> out;
  Description cur;
  bool has_desc = false;
  for_each_field(text, [&](const std::string& name, const std::string& value,
                           const std::vector<std::string_view>& cont) {
    if (name.empty()) {
      if (has_desc && !cur.md5.empty() && !cur.synopsis.empty()) out.push_back(std::move(cur));
      cur = Description();
      has_desc = false;
      return;
    }
    if (name == "Package") cur.package = value;
    else if (name == "Description-md5") cur.md5 = value;
    else if (name == desc_field) {
      has_desc = true;
      cur.synopsis = value;
      std::string block;
      auto end_block = [&] {
        std::string b = collapse_whitespace(block);
        if (!b.empty()) cur.paragraphs.push_back(std::move(b));
        block.clear();
      };
      for (std::string_view l : cont) {
        if (collapse_whitespace(l) == ".") {
          end_block();
          continue;
        }
        if (starts_block(l)) end_block();
        block += ' ';
        block += l;
      }
      end_block();
    }
  });
  return out;
}

std::map<std::string, std::string> parse_package_sections(std::string_view text) {
  std::map<std::string, std::string> out;
  std::string md5, section;
  for_each_field(text, [&](const std::string& name, const std::string& value, const std::vector<std::string_view>&) {
    if (name.empty()) {
      if (!md5.empty() && !section.empty()) out.emplace(md5, section);
      md5.clear();
      section.clear();
    } else if (name == "Description-md5") {
      md5 = value;
    } else if (name == "Section") {
      const size_t slash = value.rfind('/');
      section = slash == std::string::npos ? value : value.substr(slash + 1);
    }
  });
  return out;
}

std::string coarse_topic(std::string_view section) {
  static const std::map<std::string, std::string, std::less<>> kMap = {
      {"libs", "libs"},           {"oldlibs", "libs"},          {"libdevel", "libs"},
      {"devel", "devel"},         {"interpreters", "devel"},    {"vcs", "devel"},
      {"debug", "devel"},         {"python", "devel"},          {"perl", "devel"},
      {"ruby", "devel"},          {"haskell", "devel"},         {"rust", "devel"},
      {"golang", "devel"},        {"javascript", "devel"},      {"java", "devel"},
      {"php", "devel"},           {"ocaml", "devel"},           {"lisp", "devel"},
      {"cli-mono", "devel"},      {"introspection", "devel"},   {"admin", "admin"},
      {"kernel", "admin"},        {"otherosfs", "admin"},       {"shells", "admin"},
      {"embedded", "admin"},      {"database", "admin"},        {"net", "net"},
      {"mail", "net"},            {"news", "net"},              {"comm", "net"},
      {"hamradio", "net"},        {"science", "science"},       {"math", "science"},
      {"electronics", "science"}, {"gnu-r", "science"},         {"education", "science"},
      {"text", "text"},           {"tex", "text"},              {"editors", "text"},
      {"localization", "text"},   {"fonts", "text"},            {"doc", "doc"},
      {"games", "games"},         {"sound", "multimedia"},      {"video", "multimedia"},
      {"graphics", "graphics"},   {"web", "web"},               {"httpd", "web"},
      {"zope", "web"},            {"x11", "desktop"},           {"gnome", "desktop"},
      {"kde", "desktop"},         {"xfce", "desktop"},          {"gnustep", "desktop"},
      {"utils", "utils"}};
  const auto it = kMap.find(section);
  return it == kMap.end() ? std::string() : it->second;
}

const std::vector<std::string>& topic_labels() {
  static const std::vector<std::string> kLabels = {"libs",       "devel",    "admin", "net", "science",
                                                   "text",       "doc",      "games", "multimedia",
                                                   "graphics",   "web",      "desktop", "utils"};
  return kLabels;
}

std::vector<std::string> split_sentences(std::string_view p) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i + 2 < p.size(); ++i) {
    if ((p[i] == '.' || p[i] == '!' || p[i] == '?') && p[i + 1] == ' ') {
      const auto next = static_cast<unsigned char>(p[i + 2]);
      if (std::islower(next) || std::isdigit(next)) continue;
      out.push_back(collapse_whitespace(p.substr(start, i + 1 - start)));
      start = i + 2;
    }
  }
  std::string last = collapse_whitespace(p.substr(start));
  if (!last.empty()) out.push_back(std::move(last));
  out.erase(std::remove(out.begin(), out.end(), std::string()), out.end());
  return out;
}

std::vector<AlignedPair> align_descriptions(const Description& en, const Description& xx) {
  std::vector<AlignedPair> out;
  auto add = [&](const std::string& e, const std::string& x) {
    if (!e.empty() && !x.empty() && !is_untranslated(e, x)) out.push_back({e, x});
  };
  add(en.synopsis, xx.synopsis);
  if (en.paragraphs.size() != xx.paragraphs.size()) return out;
  for (size_t b = 0; b < en.paragraphs.size(); ++b) {
    const auto se = split_sentences(en.paragraphs[b]);
    const auto sx = split_sentences(xx.paragraphs[b]);
    if (se.size() == sx.size()) {
      for (size_t k = 0; k < se.size(); ++k) add(se[k], sx[k]);
    } else {
      add(en.paragraphs[b], xx.paragraphs[b]);
    }
  }
  return out;
}

std::string description_line(const Description& d) {
  std::string out = d.synopsis;
  for (const auto& p : d.paragraphs) {
    out += ' ';
    out += p;
  }
  return collapse_whitespace(out);
}

}  // namespace xlm::text
