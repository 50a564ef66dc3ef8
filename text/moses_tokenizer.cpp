// See text/moses_tokenizer.h. Each pass mirrors one Moses substitution; where a
// Moses regex consumes its context characters, the scan here consumes them too
// (so "A,B,C" behaves exactly as the two-step comma rule does in Moses).
// URLs and e-mail addresses are swapped for one private-use placeholder each
// (treated as a letter, like Moses' alphabetic protection marker) and put back
// at the end.
#include "text/moses_tokenizer.h"

#include "text/unicode.h"

#include <vector>

namespace xlm::text {

namespace {

using Str = std::u32string;

constexpr char32_t kPlaceholderBase = 0xF0000;  // plane-15 private use
constexpr char32_t kPlaceholderLast = 0xFFFFD;

bool is_placeholder(char32_t c) { return c >= kPlaceholderBase && c <= kPlaceholderLast; }
bool alpha(char32_t c) { return is_alpha(c) || is_placeholder(c); }
bool alnum(char32_t c) { return is_alnum(c) || is_placeholder(c); }
bool number(char32_t c) { return is_number(c); }
bool ascii_letter(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool word_char(char32_t c) { return alnum(c) || is_number(c) || c == '_'; }
char32_t ascii_lower(char32_t c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

bool starts_with_ci(const Str& s, size_t at, std::u32string_view word) {
  if (at + word.size() > s.size()) return false;
  for (size_t k = 0; k < word.size(); ++k) {
    if (ascii_lower(s[at + k]) != word[k]) return false;
  }
  return true;
}

// Collapses whitespace runs to one space and drops the remaining C0 controls.
Str clean_spaces(std::u32string_view in) {
  Str out;
  out.reserve(in.size());
  bool in_space = false;
  for (const char32_t c : in) {
    if (is_space(c)) {
      if (!in_space) out.push_back(U' ');
      in_space = true;
      continue;
    }
    in_space = false;
    if (c < 0x20) continue;
    out.push_back(c);
  }
  return out;
}

Str strip(const Str& s) {
  size_t a = 0, b = s.size();
  while (a < b && s[a] == U' ') ++a;
  while (b > a && s[b - 1] == U' ') --b;
  return s.substr(a, b - a);
}

// Length of a URL starting at `at` ((https?|ftp|rsync):// or www., up to the next space, less
// trailing sentence punctuation), or 0.
size_t url_length(const Str& s, size_t at) {
  static const std::u32string_view schemes[] = {U"http://", U"https://", U"ftp://", U"rsync://", U"www."};
  for (const auto scheme : schemes) {
    if (starts_with_ci(s, at, scheme)) {
      const size_t body = at + scheme.size();
      size_t end = body;
      bool has_open_paren = false;
      while (end < s.size() && s[end] != U' ') has_open_paren |= s[end++] == '(';
      // Sentence punctuation after a URL is not part of it ("see http://a.org/x, then").
      auto trailing = [&](char32_t c) {
        return Str(U".,;:!?'\"").find(c) != Str::npos || (c == ')' && !has_open_paren);
      };
      while (end > body && trailing(s[end - 1])) --end;
      return end - at;
    }
  }
  return 0;
}

// E-mail address whose '@' is at `at`: local part [\w.-]+, then (label.)+ and 2+ ASCII letters.
// Returns {start, end} or {0, 0}.
std::pair<size_t, size_t> email_span(const Str& s, size_t at, size_t floor) {
  auto local_char = [](char32_t c) { return word_char(c) || c == '-' || c == '.'; };
  size_t start = at;
  while (start > floor && local_char(s[start - 1])) --start;
  if (start == at) return {0, 0};
  size_t best_end = 0;
  size_t pos = at + 1;
  while (true) {
    size_t label_end = pos;
    while (label_end < s.size() && (word_char(s[label_end]) || s[label_end] == '-')) ++label_end;
    if (label_end == pos || label_end >= s.size() || s[label_end] != '.') break;
    pos = label_end + 1;  // after one more "label."
    size_t letters = pos;
    while (letters < s.size() && ascii_letter(s[letters])) ++letters;
    if (letters - pos >= 2) best_end = letters;
  }
  if (best_end == 0) return {0, 0};
  return {start, best_end};
}

// Replaces URLs, then e-mail addresses outside them, by placeholders; fills `saved`.
Str protect(const Str& s, std::vector<Str>& saved) {
  for (const char32_t c : s) {
    if (is_placeholder(c)) return s;  // the text uses our private-use plane: protect nothing
  }
  Str out;
  out.reserve(s.size());
  size_t i = 0;
  size_t floor = 0;  // e-mail local parts may not reach back into already emitted placeholders
  const size_t max_saved = kPlaceholderLast - kPlaceholderBase;
  while (i < s.size()) {
    if (saved.size() < max_saved) {
      const size_t url = url_length(s, i);
      if (url > 0) {
        out.push_back(kPlaceholderBase + static_cast<char32_t>(saved.size()));
        saved.push_back(s.substr(i, url));
        i += url;
        floor = i;
        continue;
      }
      if (s[i] == '@') {
        const auto [start, end] = email_span(s, i, floor);
        if (end > 0) {
          out.erase(out.size() - (i - start));
          out.push_back(kPlaceholderBase + static_cast<char32_t>(saved.size()));
          saved.push_back(s.substr(start, end - start));
          i = end;
          floor = i;
          continue;
        }
      }
    }
    out.push_back(s[i]);
    ++i;
  }
  return out;
}

Str restore_protected(const Str& s, const std::vector<Str>& saved) {
  if (saved.empty()) return s;
  Str out;
  for (const char32_t c : s) {
    if (is_placeholder(c) && c - kPlaceholderBase < saved.size()) {
      out += saved[c - kPlaceholderBase];
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Pads every character that is not alphanumeric, space, . ' ` , or - with spaces.
Str pad_symbols(const Str& s) {
  Str out;
  out.reserve(s.size() + s.size() / 4);
  for (const char32_t c : s) {
    if (alnum(c) || c == U' ' || c == '.' || c == '\'' || c == '`' || c == ',' || c == '-') {
      out.push_back(c);
    } else {
      out.push_back(U' ');
      out.push_back(c);
      out.push_back(U' ');
    }
  }
  return out;
}

// A run of k >= 2 dots becomes " " + "DOT"*k + "MULTI" (+ " " unless at the end), as in Moses:
// the marker is a word, which later rules (commas, apostrophes, periods) see as letters.
Str mark_multidots(const Str& s) {
  Str out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '.' && i + 1 < s.size() && s[i + 1] == '.') {
      size_t j = i;
      while (j < s.size() && s[j] == '.') ++j;
      out.push_back(U' ');
      for (size_t k = i; k < j; ++k) out += U"DOT";
      out += U"MULTI";
      if (j < s.size()) out.push_back(U' ');
      i = j;
    } else {
      out.push_back(s[i++]);
    }
  }
  return out;
}

Str restore_multidots(const Str& s) {
  Str out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    size_t dots = 0;
    while (s.compare(j, 3, U"DOT") == 0) j += 3, ++dots;
    if (dots > 0 && s.compare(j, 5, U"MULTI") == 0) {
      out.append(dots, U'.');
      i = j + 5;
    } else {
      out.push_back(s[i++]);
    }
  }
  return out;
}

// Moses' comma rules: "([^N]),"  -> "\1 , ";  ",([^N])" -> " , \1";  "([N]),$" -> "\1 , ".
Str split_commas(const Str& s) {
  Str a;
  a.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    if (i + 1 < s.size() && !number(s[i]) && s[i + 1] == ',') {
      a.push_back(s[i]);
      a += U" , ";
      i += 2;
    } else {
      a.push_back(s[i++]);
    }
  }
  Str b;
  b.reserve(a.size() + 8);
  for (size_t i = 0; i < a.size();) {
    if (a[i] == ',' && i + 1 < a.size() && !number(a[i + 1])) {
      b += U" , ";
      b.push_back(a[i + 1]);
      i += 2;
    } else {
      b.push_back(a[i++]);
    }
  }
  const size_t n = b.size();
  if (n >= 2 && b[n - 1] == ',' && number(b[n - 2])) {
    b.pop_back();
    b += U" , ";
  }
  return b;
}

// One apostrophe rule "(A)'(B)" -> A + middle + B, scanning left to right and consuming A'B.
template <typename PredA, typename PredB>
Str apostrophe_rule(const Str& s, PredA pred_a, PredB pred_b, std::u32string_view middle) {
  Str out;
  out.reserve(s.size() + 8);
  size_t i = 0;
  while (i < s.size()) {
    if (i + 2 < s.size() && s[i + 1] == '\'' && pred_a(s[i]) && pred_b(s[i + 2])) {
      out.push_back(s[i]);
      out += middle;
      out.push_back(s[i + 2]);
      i += 3;
    } else {
      out.push_back(s[i++]);
    }
  }
  return out;
}

Str split_apostrophes(const Str& s0, Language lang) {
  auto is_a = [](char32_t c) { return alpha(c); };
  auto not_a = [](char32_t c) { return !alpha(c); };
  if (lang == Language::en) {
    Str s = apostrophe_rule(s0, not_a, not_a, U" ' ");
    s = apostrophe_rule(s, [](char32_t c) { return !alpha(c) && !number(c); }, is_a, U" ' ");
    s = apostrophe_rule(s, is_a, not_a, U" ' ");
    s = apostrophe_rule(s, is_a, is_a, U" '");                                            // don't -> don 't
    return apostrophe_rule(s, [](char32_t c) { return number(c); }, [](char32_t c) { return c == 's'; },
                           U" '");                                                        // 1990's -> 1990 's
  }
  if (lang == Language::fr || lang == Language::it) {
    Str s = apostrophe_rule(s0, not_a, not_a, U" ' ");
    s = apostrophe_rule(s, not_a, is_a, U" ' ");
    s = apostrophe_rule(s, is_a, not_a, U" ' ");
    return apostrophe_rule(s, is_a, is_a, U"' ");                                         // l'homme -> l' homme
  }
  Str out;
  out.reserve(s0.size() + 8);
  for (const char32_t c : s0) {
    if (c == '\'') {
      out += U" ' ";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<Str> split_words(const Str& s) {
  std::vector<Str> words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == U' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != U' ') ++j;
    if (j > i) words.push_back(s.substr(i, j - i));
    i = j;
  }
  return words;
}

// A word ending in '.' keeps its period when it is an abbreviation with inner dots and a letter
// ("U.S."), a nonbreaking prefix ("Mr."), followed by a lowercase word, or a numeric-only prefix
// followed by a digit ("No. 5"); otherwise the period becomes its own token.
Str split_periods(const Str& s, Language lang) {
  const NonbreakingPrefixes& prefixes = nonbreaking_prefixes(lang);
  std::vector<Str> words = split_words(s);
  Str out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < words.size(); ++i) {
    const Str& w = words[i];
    if (i > 0) out.push_back(U' ');
    if (w.size() < 2 || w.back() != '.') {
      out += w;
      continue;
    }
    const std::u32string_view prefix(w.data(), w.size() - 1);
    bool has_dot = false, has_alpha = false;
    for (const char32_t c : prefix) {
      has_dot |= c == '.';
      has_alpha |= alpha(c);
    }
    const Str key(prefix);
    const bool last = i + 1 == words.size();
    const bool keep = (has_dot && has_alpha) || prefixes.plain.count(key) > 0 ||
                      (!last && is_lower(words[i + 1][0])) ||
                      (!last && prefixes.numeric_only.count(key) > 0 && words[i + 1][0] >= '0' &&
                       words[i + 1][0] <= '9');
    out += w;
    if (!keep) {
      out.pop_back();
      out += U" .";
    }
  }
  return out;
}

Str collapse_spaces(const Str& s) {
  Str out;
  out.reserve(s.size());
  for (const char32_t c : s) {
    if (c == U' ' && (out.empty() || out.back() == U' ')) continue;
    out.push_back(c);
  }
  if (!out.empty() && out.back() == U' ') out.pop_back();
  return out;
}

// Moses' final rule: a line ending in ".'" (optionally followed by a space) splits it as " . ' ".
Str split_trailing_dot_quote(Str s) {
  size_t n = s.size();
  if (n >= 1 && s[n - 1] == U' ') --n;
  if (n >= 2 && s[n - 2] == '.' && s[n - 1] == '\'') {
    s.resize(n - 2);
    s += U" . '";
  }
  return s;
}

Str escape_xml(const Str& s) {
  Str out;
  out.reserve(s.size() + 16);
  for (const char32_t c : s) {
    switch (c) {
      case '&': out += U"&amp;"; break;
      case '|': out += U"&#124;"; break;
      case '<': out += U"&lt;"; break;
      case '>': out += U"&gt;"; break;
      case '\'': out += U"&apos;"; break;
      case '"': out += U"&quot;"; break;
      case '[': out += U"&#91;"; break;
      case ']': out += U"&#93;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::u32string moses_tokenize(std::u32string_view line, Language lang, const MosesOptions& options) {
  Str s = clean_spaces(line);
  std::vector<Str> saved;
  if (options.protect_urls) s = protect(s, saved);
  s = strip(s);
  s = pad_symbols(s);
  s = mark_multidots(s);
  s = split_commas(s);
  s = split_apostrophes(s, lang);
  s = split_periods(s, lang);
  s = collapse_spaces(s);
  s = split_trailing_dot_quote(std::move(s));
  s = restore_protected(s, saved);
  s = restore_multidots(s);
  if (options.escape) s = escape_xml(s);
  return collapse_spaces(s);
}

}  // namespace xlm::text
