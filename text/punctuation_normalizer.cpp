// See text/punctuation_normalizer.h. The rules are applied in Moses' order as a
// list of literal replacements plus a few scans for the rules with context
// (digits, runs of dots); order matters, e.g. "''" only becomes '"' after the
// curly quotes have been turned into straight ones.
#include "text/punctuation_normalizer.h"

#include "text/unicode.h"

namespace xlm::text {

namespace {

using Str = std::u32string;

void replace_all(Str& s, std::u32string_view from, std::u32string_view to) {
  if (s.find(from) == Str::npos) return;
  Str out;
  out.reserve(s.size() + 8);
  size_t i = 0;
  while (true) {
    const size_t j = s.find(from, i);
    if (j == Str::npos) break;
    out.append(s, i, j - i);
    out += to;
    i = j + from.size();
  }
  out.append(s, i, Str::npos);
  s.swap(out);
}

void squeeze_spaces(Str& s) {
  Str out;
  out.reserve(s.size());
  for (const char32_t c : s) {
    if (c == U' ' && !out.empty() && out.back() == U' ') continue;
    out.push_back(c);
  }
  s.swap(out);
}

bool digit(char32_t c) { return is_number(c) && is_alnum(c); }  // \d: decimal digits

// "X<sep>" followed by any whitespace run -> "X. " (the ideographic and full-width full stops).
void full_stop(Str& s, char32_t stop) {
  Str out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s[i] == stop) {
      out += U". ";
      ++i;
      while (i < s.size() && is_space(s[i])) ++i;
    } else {
      out.push_back(s[i++]);
    }
  }
  s.swap(out);
}

void replace_unicode_punctuation(Str& s) {
  static const std::pair<std::u32string_view, std::u32string_view> table[] = {
      {U"，", U","}, {U"、", U","}, {U"”", U"\""}, {U"“", U"\""}, {U"∶", U":"}, {U"：", U":"},
      {U"？", U"?"}, {U"《", U"\""}, {U"》", U"\""}, {U"）", U")"}, {U"！", U"!"}, {U"（", U"("},
      {U"；", U";"}, {U"」", U"\""}, {U"「", U"\""}};
  // Order as in Moses: the ideographic full stop right after the full-width comma.
  replace_all(s, U"，", U",");
  full_stop(s, U'。');
  for (const auto& [from, to] : table) replace_all(s, from, to);
  for (char32_t d = 0; d < 10; ++d) {
    const char32_t wide[2] = {U'０' + d, 0};
    const char32_t ascii[2] = {U'0' + d, 0};
    replace_all(s, wide, ascii);
  }
  full_stop(s, U'．');
  static const std::pair<std::u32string_view, std::u32string_view> tail[] = {
      {U"～", U"~"}, {U"’", U"'"}, {U"…", U"..."}, {U"━", U"-"}, {U"〈", U"<"}, {U"〉", U">"},
      {U"【", U"["}, {U"】", U"]"}, {U"％", U"%"}};
  for (const auto& [from, to] : tail) replace_all(s, from, to);
}

// "\) ([.!:?;,])" -> ")\1"
void close_paren_before_punct(Str& s) {
  Str out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s[i] == ')' && i + 2 < s.size() && s[i + 1] == U' ' &&
        Str(U".!:?;,").find(s[i + 2]) != Str::npos) {
      out.push_back(')');
      out.push_back(s[i + 2]);
      i += 3;
    } else {
      out.push_back(s[i++]);
    }
  }
  s.swap(out);
}

// "(\d) %" -> "\1%"
void digit_space_percent(Str& s) {
  Str out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (digit(s[i]) && i + 2 < s.size() && s[i + 1] == U' ' && s[i + 2] == '%') {
      out.push_back(s[i]);
      out.push_back('%');
      i += 3;
    } else {
      out.push_back(s[i++]);
    }
  }
  s.swap(out);
}

// English: '"' followed by a run of [,.] -> the run, then '"'.
void quote_before_comma_en(Str& s) {
  Str out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '"' && i + 1 < s.size() && (s[i + 1] == ',' || s[i + 1] == '.')) {
      size_t j = i + 1;
      while (j < s.size() && (s[j] == ',' || s[j] == '.')) out.push_back(s[j++]);
      out.push_back('"');
      i = j;
    } else {
      out.push_back(s[i++]);
    }
  }
  s.swap(out);
}

// de/es/fr: ',"' -> '",' and a run of dots before '"' moves after it unless the quote ends the
// line or is followed (after spaces) by '<'.
void quote_before_comma_continental(Str& s) {
  replace_all(s, U",\"", U"\",");
  Str out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '.') {
      size_t j = i;
      while (j < s.size() && s[j] == '.') ++j;
      if (j < s.size() && s[j] == '"') {
        size_t k = j + 1;
        while (k < s.size() && is_space(s[k])) ++k;
        size_t end = 0;  // end of the consumed "\s*[^<]"
        if (k < s.size() && s[k] != '<') {
          end = k + 1;
        } else if (k > j + 1) {
          end = k;  // backtrack: the last space plays [^<]
        }
        if (end > 0) {
          out.push_back('"');
          out.append(s, i, j - i);
          out.append(s, j + 1, end - (j + 1));
          i = end;
          continue;
        }
      }
      out.append(s, i, j - i);
      i = j;
      continue;
    }
    out.push_back(s[i++]);
  }
  s.swap(out);
}

// "(\d)\u00A0(\d)" -> "\1<sep>\2" (thousands separator written as a no-break space).
void digit_nbsp_digit(Str& s, char32_t sep) {
  Str out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (digit(s[i]) && i + 2 < s.size() && s[i + 1] == 0xA0 && digit(s[i + 2])) {
      out.push_back(s[i]);
      out.push_back(sep);
      out.push_back(s[i + 2]);
      i += 3;
    } else {
      out.push_back(s[i++]);
    }
  }
  s.swap(out);
}

}  // namespace

std::u32string normalize_punctuation(std::u32string_view line, Language lang) {
  Str s(line);
  replace_unicode_punctuation(s);
  // Spacing around brackets and before : ;
  replace_all(s, U"\r", U"");
  replace_all(s, U"(", U" (");
  replace_all(s, U")", U") ");
  squeeze_spaces(s);
  close_paren_before_punct(s);
  replace_all(s, U"( ", U"(");
  replace_all(s, U" )", U")");
  digit_space_percent(s);
  replace_all(s, U" :", U":");
  replace_all(s, U" ;", U";");
  // Backquotes and doubled single quotes.
  replace_all(s, U"`", U"'");
  replace_all(s, U"''", U" \" ");
  // Typographic quotes and dashes.
  replace_all(s, U"„", U"\"");
  replace_all(s, U"“", U"\"");
  replace_all(s, U"”", U"\"");
  replace_all(s, U"–", U"-");
  replace_all(s, U"—", U" - ");
  squeeze_spaces(s);
  replace_all(s, U"´", U"'");
  replace_all(s, U"‘", U"'");
  replace_all(s, U"‚", U"'");
  replace_all(s, U"’", U"'");
  replace_all(s, U"''", U"\"");
  replace_all(s, U"…", U"...");
  // French guillemets, with or without their no-break spaces.
  replace_all(s, U"\u00A0«\u00A0", U"\"");
  replace_all(s, U"«\u00A0", U"\"");
  replace_all(s, U"«", U"\"");
  replace_all(s, U"\u00A0»\u00A0", U"\"");
  replace_all(s, U"\u00A0»", U"\"");
  replace_all(s, U"»", U"\"");
  // No-break spaces used as typographic spacing.
  replace_all(s, U"\u00A0%", U"%");
  replace_all(s, U"nº\u00A0", U"nº ");
  replace_all(s, U"\u00A0:", U":");
  replace_all(s, U"\u00A0ºC", U" ºC");
  replace_all(s, U"\u00A0cm", U" cm");
  replace_all(s, U"\u00A0?", U"?");
  replace_all(s, U"\u00A0!", U"!");
  replace_all(s, U"\u00A0;", U";");
  replace_all(s, U",\u00A0", U", ");
  squeeze_spaces(s);
  if (lang == Language::en) {
    quote_before_comma_en(s);
  } else if (lang == Language::de || lang == Language::es || lang == Language::fr) {
    quote_before_comma_continental(s);
  }
  const bool comma_thousands = lang == Language::de || lang == Language::es || lang == Language::fr;
  digit_nbsp_digit(s, comma_thousands ? U',' : U'.');
  // Strip, then remove-non-printing-char: every control/format/unassigned character -> space.
  size_t a = 0, b = s.size();
  while (a < b && is_space(s[a])) ++a;
  while (b > a && is_space(s[b - 1])) --b;
  Str out = s.substr(a, b - a);
  for (char32_t& c : out) {
    if (is_control_or_format(c)) c = U' ';
  }
  return out;
}

}  // namespace xlm::text
