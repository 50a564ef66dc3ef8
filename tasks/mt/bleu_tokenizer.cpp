// sacreBLEU's 13a tokenizer, step by step, on UTF-32. The four regular expressions
// of tokenizer_re.py are each applied by one left-to-right scan that reproduces
// Python's re.sub (non-overlapping matches; after a match the scan resumes after
// it, after a miss one character later), so the output is identical byte for byte
// without a regex engine:
//   1. ([\{-\~\[-\` -\&\(-\+\:-\@\/])  -> " \1 "   (ASCII punctuation except ' , - .)
//   2. ([^0-9])([\.,])                 -> "\1 \2 " (period/comma not after a digit)
//   3. ([\.,])([^0-9])                 -> " \1 \2" (period/comma not before a digit)
//   4. ([0-9])(-)                      -> "\1 \2 " (dash after a digit)
// then whitespace is collapsed with Python's str.split semantics.
#include "tasks/mt/bleu_tokenizer.h"

#include "text/unicode.h"

namespace xlm::tasks::bleu_detail {

namespace {

bool is_digit(char32_t c) { return c >= U'0' && c <= U'9'; }
bool is_period_or_comma(char32_t c) { return c == U'.' || c == U','; }

// Character class of rule 1: {-~ [-` space-& (-+ :-@ /
bool is_13a_punct(char32_t c) {
  return (c >= 0x7B && c <= 0x7E) || (c >= 0x5B && c <= 0x60) || (c >= 0x20 && c <= 0x26) ||
         (c >= 0x28 && c <= 0x2B) || (c >= 0x3A && c <= 0x40) || c == 0x2F;
}

// Python's str.replace(from, to): all non-overlapping occurrences, left to right.
std::u32string replace_all(const std::u32string& s, std::u32string_view from, std::u32string_view to) {
  std::u32string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (true) {
    const size_t hit = s.find(from, pos);
    if (hit == std::u32string::npos) break;
    out.append(s, pos, hit - pos);
    out.append(to);
    pos = hit + from.size();
  }
  out.append(s, pos, std::u32string::npos);
  return out;
}

// Applies a two-character rule `first(a) && second(b)` -> before + a + mid + b + after.
template <typename First, typename Second>
std::u32string pair_rule(const std::u32string& s, First first, Second second, std::u32string_view before,
                         std::u32string_view mid, std::u32string_view after) {
  std::u32string out;
  out.reserve(s.size() + s.size() / 4);
  size_t i = 0;
  while (i < s.size()) {
    if (i + 1 < s.size() && first(s[i]) && second(s[i + 1])) {
      out.append(before);
      out.push_back(s[i]);
      out.append(mid);
      out.push_back(s[i + 1]);
      out.append(after);
      i += 2;
    } else {
      out.push_back(s[i]);
      ++i;
    }
  }
  return out;
}

}  // namespace

std::u32string tokenize_13a(std::u32string_view input) {
  // Language-independent part (tokenizer_13a.py).
  std::u32string line(input);
  line = replace_all(line, U"<skipped>", U"");
  line = replace_all(line, U"-\n", U"");
  line = replace_all(line, U"\n", U" ");
  if (line.find(U'&') != std::u32string::npos) {
    line = replace_all(line, U"&quot;", U"\"");
    line = replace_all(line, U"&amp;", U"&");
    line = replace_all(line, U"&lt;", U"<");
    line = replace_all(line, U"&gt;", U">");
  }
  line = U" " + line + U" ";

  // Rule 1: one character at a time.
  std::u32string spaced;
  spaced.reserve(line.size() * 2);
  for (const char32_t c : line) {
    if (is_13a_punct(c)) {
      spaced.push_back(U' ');
      spaced.push_back(c);
      spaced.push_back(U' ');
    } else {
      spaced.push_back(c);
    }
  }
  const auto not_digit = [](char32_t c) { return !is_digit(c); };
  spaced = pair_rule(spaced, not_digit, is_period_or_comma, U"", U" ", U" ");
  spaced = pair_rule(spaced, is_period_or_comma, not_digit, U" ", U" ", U"");
  spaced = pair_rule(spaced, is_digit, [](char32_t c) { return c == U'-'; }, U"", U" ", U" ");

  std::u32string out;
  for (const std::u32string& token : python_split(spaced)) {
    if (!out.empty()) out.push_back(U' ');
    out.append(token);
  }
  return out;
}

std::u32string_view python_rstrip(std::u32string_view s) {
  size_t end = s.size();
  while (end > 0 && text::is_space(s[end - 1])) --end;
  return s.substr(0, end);
}

std::vector<std::u32string> python_split(std::u32string_view s) {
  std::vector<std::u32string> tokens;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && text::is_space(s[i])) ++i;
    const size_t start = i;
    while (i < s.size() && !text::is_space(s[i])) ++i;
    if (i > start) tokens.emplace_back(s.substr(start, i - start));
  }
  return tokens;
}

}  // namespace xlm::tasks::bleu_detail
