// See text/moses_detokenizer.h. One pass over the tokens with a "space before the
// next token" flag, the structure of Moses' detokenizer; quote pairing keeps one
// counter per quote kind so that an opening quote attaches right and its closing
// partner attaches left.
#include "text/moses_detokenizer.h"

#include "text/unicode.h"

#include <map>
#include <vector>

namespace xlm::text {

namespace {

using Str = std::u32string;

std::vector<Str> split_words(std::u32string_view s) {
  std::vector<Str> words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    size_t j = i;
    while (j < s.size() && !is_space(s[j])) ++j;
    if (j > i) words.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return words;
}

void replace_all(Str& s, std::u32string_view from, std::u32string_view to) {
  size_t i = 0;
  while ((i = s.find(from, i)) != Str::npos) {
    s.replace(i, from.size(), to);
    i += to.size();
  }
}

template <typename Pred>
bool all_of(const Str& w, Pred pred) {
  for (const char32_t c : w) {
    if (!pred(c)) return false;
  }
  return !w.empty();
}

bool is_currency_like(const Str& w) {
  return all_of(w, [](char32_t c) {
    return is_currency(c) || c == '(' || c == '[' || c == '{' || c == U'¿' || c == U'¡';
  });
}
bool is_closing_punct(const Str& w) {
  return all_of(w, [](char32_t c) { return Str(U",.?!:;\\%}])").find(c) != Str::npos; });
}
bool is_quote(const Str& w) {
  return all_of(w, [](char32_t c) { return Str(U"'\"„“`").find(c) != Str::npos; });
}
bool french_spaced(const Str& w) { return w.size() == 1 && Str(U"?!:;\\%").find(w[0]) != Str::npos; }

}  // namespace

std::u32string moses_detokenize(std::u32string_view line, Language lang, bool unescape) {
  Str text;
  text.reserve(line.size() + 2);
  text.push_back(U' ');
  text.append(line);
  text.push_back(U' ');
  replace_all(text, U" @-@ ", U"-");
  if (unescape) {
    static const std::pair<std::u32string_view, std::u32string_view> xml[] = {
        {U"&bar;", U"|"},  {U"&#124;", U"|"}, {U"&lt;", U"<"},    {U"&gt;", U">"},
        {U"&bra;", U"["},  {U"&ket;", U"]"},  {U"&quot;", U"\""}, {U"&apos;", U"'"},
        {U"&#91;", U"["},  {U"&#93;", U"]"},  {U"&amp;", U"&"}};
    for (const auto& [from, to] : xml) replace_all(text, from, to);
  }
  const std::vector<Str> tokens = split_words(text);
  std::map<Str, int> quote_count;
  Str out;
  out.reserve(text.size());
  bool space = true;  // whether the next token is preceded by a space
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Str& token = tokens[i];
    const bool has_next = i + 1 < tokens.size();
    if (is_currency_like(token)) {
      if (space) out.push_back(U' ');
      out += token;
      space = false;
    } else if (is_closing_punct(token)) {
      if (lang == Language::fr && french_spaced(token)) out += U" ";
      out += token;
      space = true;
    } else if (lang == Language::en && i > 0 && token.size() >= 2 && token[0] == '\'' && is_alpha(token[1])) {
      out += token;  // 's 're n't-style contraction attaches to the previous word
      space = true;
    } else if ((lang == Language::fr || lang == Language::it) && has_next && token.size() >= 2 &&
               token.back() == '\'' && is_alpha(token[token.size() - 2]) && is_alpha(tokens[i + 1][0])) {
      if (space) out.push_back(U' ');
      out += token;  // elision: l' homme -> l'homme
      space = false;
    } else if (is_quote(token)) {
      const bool typographic = all_of(token, [](char32_t c) { return c == U'„' || c == U'“' || c == U'”'; });
      int& count = quote_count[typographic ? Str(U"\"") : token];
      if (count % 2 == 0) {
        if (lang == Language::en && token == U"'" && i > 0 && tokens[i - 1].back() == 's') {
          out += token;  // possessive of a plural: the Joneses' house
          space = true;
        } else {
          if (space) out.push_back(U' ');
      out += token;  // opening quote attaches right
          space = false;
          ++count;
        }
      } else {
        out += token;  // closing quote attaches left
        space = true;
        ++count;
      }
    } else {
      if (space) out.push_back(U' ');
      out += token;
      space = true;
    }
  }
  Str collapsed;
  collapsed.reserve(out.size());
  for (const char32_t c : out) {
    if (c == U' ' && (collapsed.empty() || collapsed.back() == U' ')) continue;
    collapsed.push_back(c);
  }
  if (!collapsed.empty() && collapsed.back() == U' ') collapsed.pop_back();
  return collapsed;
}

}  // namespace xlm::text
