// The text side of sacreBLEU on UTF-32 (its rules are about characters): the 13a
// tokenizer and Python's whitespace rules (str.split / str.rstrip use
// str.isspace, which is wider than ASCII: NBSP, U+2009, U+3000, U+001C..U+001F...).
// Internal to tasks/mt/bleu.cpp; the public entry point is tokenize_13a in bleu.h.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace xlm::tasks::bleu_detail {

// sacreBLEU Tokenizer13a.__call__ (tokenizers/tokenizer_13a.py + tokenizer_re.py).
std::u32string tokenize_13a(std::u32string_view line);

// Python's str.rstrip() with no argument.
std::u32string_view python_rstrip(std::u32string_view s);

// Python's str.split() with no argument.
std::vector<std::u32string> python_split(std::u32string_view s);

}  // namespace xlm::tasks::bleu_detail
