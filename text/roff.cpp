// See roff.h. A line-by-line state machine: the man macro set is small and
// translated pages are machine-generated (po4a), so a full troff interpreter
// would buy nothing; unknown requests are ignored rather than rejected, since
// a page with an exotic request still has useful paragraphs.
#include "text/roff.h"

#include "text/whitespace.h"
#include "text/utf8.h"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <map>

namespace xlm::text {

namespace {

// Special characters (\(xx, \[xx]) and predefined strings (\*(xx) seen in
// man pages; anything else is dropped.
const std::map<std::string, std::string>& special_chars() {
  static const std::map<std::string, std::string> kMap = {
      {"em", "\u2014"}, {"en", "\u2013"}, {"hy", "-"},      {"bu", "\u2022"}, {"aq", "'"},      {"dq", "\""},
      {"lq", "\u201c"}, {"rq", "\u201d"}, {"oq", "\u2018"}, {"cq", "\u2019"}, {"Fo", "\u00ab"}, {"Fc", "\u00bb"},
      {"fo", "\u2039"}, {"fc", "\u203a"}, {"co", "\u00a9"}, {"rg", "\u00ae"}, {"tm", "\u2122"}, {"Tm", "\u2122"},
      {"R", "\u00ae"},  {"mu", "\u00d7"}, {"de", "\u00b0"}, {"ti", "~"},      {"ha", "^"},      {"ga", "`"},
      {"aa", "\u00b4"}, {"ss", "\u00df"}, {">=", "\u2265"}, {"<=", "\u2264"}, {"+-", "\u00b1"}, {"->", "\u2192"},
      {"<-", "\u2190"}, {"sl", "/"},      {"rs", "\\"},     {"ba", "|"},      {"or", "|"},      {"lh", "\u261c"},
      {"rh", "\u261e"}, {"Eu", "\u20ac"}, {"eu", "\u20ac"},
      {"sh", "#"},      {"Do", "$"},      {"at", "@"},      {"ul", "_"},      {"pl", "+"},
      {"mi", "-"},      {"eq", "="},      {"lB", "["},      {"rB", "]"},      {"lC", "{"},      {"rC", "}"},
      {"Aq", "'"},      {"ae", "\u00e6"}, {"AE", "\u00c6"}, {"oe", "\u0153"}, {"OE", "\u0152"},
      {"o/", "\u00f8"}, {"O/", "\u00d8"}, {"oa", "\u00e5"}, {"oA", "\u00c5"}, {"r!", "\u00a1"}, {"r?", "\u00bf"},
      {"la", "\u27e8"}, {"ra", "\u27e9"}, {"dg", "\u2020"}, {"ps", "\u00b6"}, {"sc", "\u00a7"}, {"ct", "\u00a2"}};
  return kMap;
}

// groff's composed-letter names: an accent mark then the base letter, e.g.
// \('e, \(`a, \(^o, \(:u, \("u, \(~n, \(,c.
std::string composed_letter(const std::string& name) {
  if (name.size() != 2) return "";
  struct Accent {
    char mark;
    const char* bases;
    const char32_t* points;
  };
  static const Accent kAccents[] = {
      {'\'', "aeiouyAEIOUY", U"\u00e1\u00e9\u00ed\u00f3\u00fa\u00fd\u00c1\u00c9\u00cd\u00d3\u00da\u00dd"},
      {'`', "aeiouAEIOU", U"\u00e0\u00e8\u00ec\u00f2\u00f9\u00c0\u00c8\u00cc\u00d2\u00d9"},
      {'^', "aeiouAEIOU", U"\u00e2\u00ea\u00ee\u00f4\u00fb\u00c2\u00ca\u00ce\u00d4\u00db"},
      {':', "aeiouyAEIOU", U"\u00e4\u00eb\u00ef\u00f6\u00fc\u00ff\u00c4\u00cb\u00cf\u00d6\u00dc"},
      {'"', "aeiouyAEIOU", U"\u00e4\u00eb\u00ef\u00f6\u00fc\u00ff\u00c4\u00cb\u00cf\u00d6\u00dc"},
      {'~', "anoANO", U"\u00e3\u00f1\u00f5\u00c3\u00d1\u00d5"},
      {',', "cC", U"\u00e7\u00c7"}};
  for (const auto& acc : kAccents) {
    if (acc.mark != name[0]) continue;
    const char* pos = std::strchr(acc.bases, name[1]);
    if (pos && name[1] != '\0') return utf8_encode(std::u32string(1, acc.points[pos - acc.bases]));
  }
  return "";
}

std::string lookup_special(const std::string& name) {
  if (name.size() == 5 && name[0] == 'u') {  // \[u00E9]
    char* end = nullptr;
    const long cp = std::strtol(name.c_str() + 1, &end, 16);
    if (end && *end == '\0' && cp > 0 && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF))
      return utf8_encode(std::u32string(1, static_cast<char32_t>(cp)));
    return "";
  }
  const auto it = special_chars().find(name);
  return it == special_chars().end() ? composed_letter(name) : it->second;
}

// Reads the name after an escape that takes one: "x", "(xx" or "[name]";
// advances `i` past it.
std::string read_name(std::string_view s, size_t& i) {
  if (i >= s.size()) return "";
  if (s[i] == '(') {
    std::string name(s.substr(i + 1, 2));
    i = std::min(s.size(), i + 3);
    return name;
  }
  if (s[i] == '[') {
    const size_t close = s.find(']', i);
    if (close == std::string_view::npos) {
      i = s.size();
      return "";
    }
    std::string name(s.substr(i + 1, close - i - 1));
    i = close + 1;
    return name;
  }
  return std::string(1, s[i++]);
}

// Skips a delimited argument ('...' or any delimiter char repeated).
void skip_delimited(std::string_view s, size_t& i) {
  if (i >= s.size()) return;
  const char delim = s[i];
  const size_t close = s.find(delim, i + 1);
  i = close == std::string_view::npos ? s.size() : close + 1;
}

// Splits a request line's arguments: blanks separate, "..." quotes ("" is a
// literal quote inside quotes).
std::vector<std::string> split_args(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i >= s.size()) break;
    std::string arg;
    if (s[i] == '"') {
      ++i;
      while (i < s.size()) {
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') {
            arg.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        arg.push_back(s[i++]);
      }
    } else {
      while (i < s.size() && s[i] != ' ' && s[i] != '\t') {
        if (s[i] == '\\' && i + 1 < s.size()) arg.push_back(s[i++]);  // keep "\ " inside one argument
        arg.push_back(s[i++]);
      }
    }
    out.push_back(std::move(arg));
  }
  return out;
}

// Removes a trailing \" comment (not an escaped backslash followed by ").
std::string_view cut_comment(std::string_view s) {
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] != '\\') continue;
    if (s[i + 1] == '"') return s.substr(0, i);
    ++i;  // skip the escaped character
  }
  return s;
}

struct Builder {
  ManPage page;
  std::string current;
  bool in_section = false;

  void flush() {
    std::string text = collapse_whitespace(current);
    current.clear();
    if (!text.empty() && in_section) page.sections.back().blocks.push_back(std::move(text));
  }
  void add_text(const std::string& t) {
    if (!current.empty()) current.push_back(' ');
    current += t;
  }
  void add_block(const std::string& t) {
    flush();
    add_text(t);
    flush();
  }
  void start_section(const std::string& heading) {
    flush();
    page.sections.push_back({collapse_whitespace(heading), {}});
    in_section = true;
  }
};

bool is_request(std::string_view line) { return !line.empty() && (line[0] == '.' || line[0] == '\''); }

}  // namespace

std::string roff_inline(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c != '\\') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) break;  // a trailing backslash (continuation) adds nothing
    const char e = s[i + 1];
    i += 2;
    switch (e) {
      case '"': return out;  // comment to end of line
      case '-': out.push_back('-'); break;
      case 'e': case '\\': out.push_back('\\'); break;
      case '.': out.push_back('.'); break;
      case '\'': out.push_back('\''); break;
      case '`': out.push_back('`'); break;
      case ' ': case '~': case '0': out.push_back(' '); break;
      case '&': case 'c': case '|': case '^': case '%': case ':': case '/': case ',': case ')': case 'd': case 'u':
      case 'r': case 'p': case 'a': case 't': case '{': case '}':
        break;
      case 'f': case 'F': read_name(s, i); break;
      case '(': {
        std::string name(s.substr(i, 2));
        i = std::min(s.size(), i + 2);
        out += lookup_special(name);
        break;
      }
      case '[': {
        --i;
        out += lookup_special(read_name(s, i));
        break;
      }
      case '*': out += lookup_special(read_name(s, i)); break;
      case 'n': case 'g':
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        read_name(s, i);
        break;
      case 'k': case 'z': case 'Y': case 'V': case '$':
        if (i < s.size()) {
          if (e == 'z' || e == '$') ++i;
          else read_name(s, i);
        }
        break;
      case 's':
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        if (i < s.size() && (s[i] == '(' || s[i] == '[' || s[i] == '\'')) {
          if (s[i] == '\'') skip_delimited(s, i);
          else read_name(s, i);
        } else {
          while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
        }
        break;
      case 'm': case 'M': read_name(s, i); break;
      case 'h': case 'v': case 'w': case 'l': case 'L': case 'o': case 'N': case 'D': case 'X': case 'b': case 'x':
      case 'H': case 'S': case 'A': case 'B': case 'C': case 'Z': case 'R':
        skip_delimited(s, i);
        break;
      default: out.push_back(e); break;  // an escaped ordinary character stands for itself
    }
  }
  return out;
}

ManPage parse_man(std::string_view roff) {
  // Physical lines, with escaped newlines (a trailing single backslash) joined.
  std::vector<std::string> lines;
  {
    std::string cur;
    size_t start = 0;
    while (start <= roff.size()) {
      size_t nl = roff.find('\n', start);
      if (nl == std::string_view::npos) nl = roff.size();
      std::string_view l = roff.substr(start, nl - start);
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      size_t bs = 0;
      while (bs < l.size() && l[l.size() - 1 - bs] == '\\') ++bs;
      if (bs % 2 == 1 && nl < roff.size()) {
        cur.append(l.substr(0, l.size() - 1));
      } else {
        cur.append(l);
        lines.push_back(std::move(cur));
        cur.clear();
      }
      start = nl + 1;
    }
  }

  Builder b;
  enum class Skip { kNone, kVerbatim, kExample, kTable, kEquation, kDefinition };
  Skip skip = Skip::kNone;
  bool tag_next = false;  // after .TP/.TQ: the next text line is the tag block
  for (size_t li = 0; li < lines.size(); ++li) {
    std::string_view line = lines[li];
    if (is_request(line)) {
      size_t p = 1;
      while (p < line.size() && (line[p] == ' ' || line[p] == '\t')) ++p;
      size_t q = p;
      while (q < line.size() && line[q] != ' ' && line[q] != '\t' && line[q] != '\\') ++q;
      const std::string name(line.substr(p, q - p));
      if (q == p && q < line.size() && line[q] == '\\') {  // ".\"" comment or a line starting with an escape
        if (line.substr(q, 2) == "\\\"") continue;
      }
      if (skip != Skip::kNone) {
        if ((skip == Skip::kVerbatim && name == "fi") || (skip == Skip::kExample && name == "EE") ||
            (skip == Skip::kTable && name == "TE") || (skip == Skip::kEquation && name == "EN") ||
            (skip == Skip::kDefinition && name == "."))
          skip = Skip::kNone;
        continue;
      }
      const auto args = split_args(cut_comment(line.substr(q)));
      auto joined = [&](bool spaced) {
        std::string t;
        for (size_t k = 0; k < args.size(); ++k) {
          if (spaced && k > 0) t.push_back(' ');
          t += roff_inline(args[k]);
        }
        return t;
      };
      if (name == "so") {
        if (b.page.sections.empty() && !args.empty()) {
          b.page.so_target = args[0];
          return b.page;
        }
        continue;
      }
      if (name == "SH") {
        tag_next = false;
        if (args.empty() && li + 1 < lines.size()) b.start_section(roff_inline(lines[++li]));
        else b.start_section(joined(true));
      } else if (name == "SS") {
        tag_next = false;
        if (args.empty() && li + 1 < lines.size()) b.add_block(roff_inline(lines[++li]));
        else b.add_block(joined(true));
      } else if (name == "PP" || name == "P" || name == "LP" || name == "HP" || name == "RS" || name == "RE" ||
                 name == "sp" || name == "PD" || name == "in" || name == "ti") {
        if (name != "PD" && name != "in" && name != "ti") b.flush();
      } else if (name == "TP" || name == "TQ") {
        b.flush();
        tag_next = true;
      } else if (name == "IP") {
        b.flush();
        if (!args.empty()) b.add_block(roff_inline(args[0]));
      } else if (name == "nf") {
        b.flush();
        skip = Skip::kVerbatim;
      } else if (name == "EX") {
        b.flush();
        skip = Skip::kExample;
      } else if (name == "TS") {
        b.flush();
        skip = Skip::kTable;
      } else if (name == "EQ") {
        b.flush();
        skip = Skip::kEquation;
      } else if (name == "de" || name == "de1" || name == "am" || name == "ig") {
        skip = Skip::kDefinition;
      } else if (name == "B" || name == "I" || name == "SM" || name == "SB" || name == "BR" || name == "BI" ||
                 name == "IR" || name == "IB" || name == "RB" || name == "RI" || name == "UE" || name == "ME" ||
                 name == "OP" || name == "SY") {
        if (args.empty()) continue;  // the font applies to the next line, which is read as text
        std::string t;
        if (name == "OP") t = "[" + joined(true) + "]";
        else if (name == "UE" || name == "ME") t = joined(false);
        else t = joined(name.size() == 1 || name == "SM" || name == "SB" || name == "SY");
        if (tag_next) {
          b.add_block(t);
          tag_next = false;
        } else if ((name == "UE" || name == "ME") && !b.current.empty()) {
          b.current += t;  // trailing punctuation after a link
        } else {
          b.add_text(t);
        }
      } else if (name == "br") {
        if (tag_next) continue;
      }
      // Every other request (.TH, .UR, .MT, .ft, .ad, .na, .ne, .if, .ds, .nr...) carries no prose.
      continue;
    }
    if (skip != Skip::kNone) continue;
    const std::string text = roff_inline(line);
    if (collapse_whitespace(text).empty()) {
      if (line.empty()) b.flush();  // a blank input line breaks the paragraph
      continue;
    }
    if (tag_next) {
      b.add_block(text);
      tag_next = false;
    } else {
      b.add_text(text);
    }
  }
  b.flush();
  return b.page;
}

}  // namespace xlm::text
