// A forward scanner over tags, enough for machine-written help pages; see
// corpus_html.h for the rules it implements.
#include "text/corpus_html.h"

#include "text/utf8.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <unordered_map>

namespace xlm::text {

namespace {

struct Tag {
  std::string name;      // lower case; empty for comments/doctype
  bool closing = false;  // </name>
  bool self_closing = false;
  std::string_view attrs;  // raw text between the name and '>'
  size_t end = 0;          // index one past '>'
};

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Parses the tag starting at html[pos] == '<'. Returns nullopt if it is not a tag
// (a stray '<' in text).
std::optional<Tag> parse_tag(std::string_view html, size_t pos) {
  Tag t;
  if (html.compare(pos, 4, "<!--") == 0) {
    const size_t close = html.find("-->", pos + 4);
    t.end = close == std::string_view::npos ? html.size() : close + 3;
    return t;
  }
  size_t i = pos + 1;
  if (i < html.size() && (html[i] == '!' || html[i] == '?')) {
    const size_t close = html.find('>', i);
    t.end = close == std::string_view::npos ? html.size() : close + 1;
    return t;
  }
  if (i < html.size() && html[i] == '/') {
    t.closing = true;
    ++i;
  }
  const size_t name_start = i;
  while (i < html.size() && is_name_char(html[i])) ++i;
  if (i == name_start || !std::isalpha(static_cast<unsigned char>(html[name_start]))) return std::nullopt;
  for (size_t k = name_start; k < i; ++k) t.name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(html[k]))));
  const size_t attrs_start = i;
  char quote = 0;
  for (; i < html.size(); ++i) {
    const char c = html[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      break;
    }
  }
  if (i >= html.size()) return std::nullopt;
  t.attrs = html.substr(attrs_start, i - attrs_start);
  t.self_closing = i > attrs_start && html[i - 1] == '/';
  t.end = i + 1;
  return t;
}

// Value of attribute `name` (empty string for a bare attribute), or nullopt.
std::optional<std::string> attribute(std::string_view attrs, std::string_view name) {
  size_t i = 0;
  while (i < attrs.size()) {
    while (i < attrs.size() && (std::isspace(static_cast<unsigned char>(attrs[i])) || attrs[i] == '/')) ++i;
    const size_t key_start = i;
    while (i < attrs.size() && !std::isspace(static_cast<unsigned char>(attrs[i])) && attrs[i] != '=' &&
           attrs[i] != '/')
      ++i;
    std::string key(attrs.substr(key_start, i - key_start));
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string value;
    if (i < attrs.size() && attrs[i] == '=') {
      ++i;
      if (i < attrs.size() && (attrs[i] == '"' || attrs[i] == '\'')) {
        const char q = attrs[i++];
        const size_t v_start = i;
        while (i < attrs.size() && attrs[i] != q) ++i;
        value = std::string(attrs.substr(v_start, i - v_start));
        if (i < attrs.size()) ++i;
      } else {
        const size_t v_start = i;
        while (i < attrs.size() && !std::isspace(static_cast<unsigned char>(attrs[i]))) ++i;
        value = std::string(attrs.substr(v_start, i - v_start));
      }
    }
    if (!key.empty() && key == name) return value;
    if (key.empty() && i < attrs.size()) ++i;  // skip a stray character
  }
  return std::nullopt;
}

bool is_void(const std::string& name) {
  static const char* kVoid[] = {"area", "base", "br", "col", "embed", "hr", "img", "input",
                                "link", "meta", "param", "source", "track", "wbr"};
  return std::any_of(std::begin(kVoid), std::end(kVoid), [&](const char* v) { return name == v; });
}

bool is_inline(const std::string& name) {
  static const char* kInline[] = {"a", "span", "b", "i", "u", "em", "strong", "code", "sub", "sup",
                                  "small", "big", "font", "kbd", "var", "samp", "abbr", "bdi", "bdo"};
  return std::any_of(std::begin(kInline), std::end(kInline), [&](const char* v) { return name == v; });
}

// Decodes the reference body between '&' and ';'; nullopt if unknown/invalid.
std::optional<std::string> decode_one(std::string_view body) {
  if (body == "amp") return std::string("&");
  if (body == "lt") return std::string("<");
  if (body == "gt") return std::string(">");
  if (body == "quot") return std::string("\"");
  if (body == "apos") return std::string("'");
  if (body == "nbsp") return std::string(" ");
  if (body.size() < 2 || body[0] != '#') return std::nullopt;
  const bool hex = body[1] == 'x' || body[1] == 'X';
  const std::string_view digits = body.substr(hex ? 2 : 1);
  if (digits.empty() || digits.size() > 8) return std::nullopt;
  uint32_t cp = 0;
  for (char c : digits) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return std::nullopt;
    cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
  }
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  std::string out;
  const char32_t c = cp == 0xA0 ? 0x20 : static_cast<char32_t>(cp);
  utf8_append(std::u32string_view(&c, 1), out);
  return out;
}

bool has_letter(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || std::isalpha(u);
  });
}

}  // namespace

std::string decode_entities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '&') {
      const size_t semi = s.find(';', i + 1);
      if (semi != std::string_view::npos && semi - i <= 12) {
        if (auto dec = decode_one(s.substr(i + 1, semi - i - 1))) {
          out += *dec;
          i = semi + 1;
          continue;
        }
      }
    }
    out.push_back(s[i++]);
  }
  return out;
}

std::string strip_markup(std::string_view html) {
  std::string raw;  // text with entities still encoded; spaces where block tags were
  raw.reserve(html.size());
  std::string skip_name;  // element whose content is being dropped
  int skip_depth = 0;
  size_t i = 0;
  while (i < html.size()) {
    if (html[i] != '<') {
      if (skip_depth == 0) raw.push_back(html[i]);
      ++i;
      continue;
    }
    const auto tag = parse_tag(html, i);
    if (!tag) {
      if (skip_depth == 0) raw.push_back('<');
      ++i;
      continue;
    }
    i = tag->end;
    if (tag->name.empty()) continue;  // comment or doctype
    if (skip_depth > 0) {
      if (tag->name == skip_name && !is_void(tag->name) && !tag->self_closing) skip_depth += tag->closing ? -1 : 1;
      continue;
    }
    const bool opens = !tag->closing && !tag->self_closing && !is_void(tag->name);
    if (opens && (tag->name == "script" || tag->name == "style" || attribute(tag->attrs, "hidden"))) {
      skip_name = tag->name;
      skip_depth = 1;
      continue;
    }
    if (!is_inline(tag->name)) raw.push_back(' ');
  }
  const std::string text = decode_entities(raw);
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

std::vector<HtmlSegment> extract_segments(std::string_view html) {
  static const char* kWanted[] = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td"};
  std::vector<HtmlSegment> found;
  std::unordered_map<std::string, int> id_count;
  size_t i = 0;
  while ((i = html.find('<', i)) != std::string_view::npos) {
    const auto tag = parse_tag(html, i);
    if (!tag) {
      ++i;
      continue;
    }
    const size_t content_start = tag->end;
    i = tag->end;
    if (tag->closing || tag->self_closing || tag->name.empty()) continue;
    if (std::none_of(std::begin(kWanted), std::end(kWanted), [&](const char* w) { return tag->name == w; })) continue;
    const auto id = attribute(tag->attrs, "id");
    if (!id || id->empty()) continue;
    // Find the matching close tag, counting nested elements of the same name.
    int depth = 1;
    size_t j = content_start;
    size_t content_end = std::string_view::npos;
    while ((j = html.find('<', j)) != std::string_view::npos) {
      const auto inner = parse_tag(html, j);
      if (!inner) {
        ++j;
        continue;
      }
      if (inner->name == tag->name && !inner->self_closing) depth += inner->closing ? -1 : 1;
      if (depth == 0) {
        content_end = j;
        i = inner->end;
        break;
      }
      j = inner->end;
    }
    if (content_end == std::string_view::npos) break;  // unterminated element: nothing reliable after it
    ++id_count[*id];
    HtmlSegment seg{*id, strip_markup(html.substr(content_start, content_end - content_start))};
    if (!seg.text.empty() && has_letter(seg.text)) found.push_back(std::move(seg));
  }
  std::vector<HtmlSegment> out;
  out.reserve(found.size());
  for (auto& seg : found) {
    if (id_count[seg.id] == 1) out.push_back(std::move(seg));
  }
  return out;
}

}  // namespace xlm::text
