// Symbol splitting shared by learning and applying: both must cut words at
// exactly the same places, so there is one definition (see bpe.h).
#include "text/bpe.h"

namespace xlm::text {

std::vector<size_t> symbol_ends(std::string_view word) {
  std::vector<size_t> ends;
  size_t pos = 0;
  while (pos < word.size() && word[pos] != '\0') {
    const bool starts_char = (static_cast<unsigned char>(word[pos]) & 0xC0) != 0x80;
    if (starts_char && pos > 0) ends.push_back(pos);
    ++pos;
  }
  ends.push_back(word.size());
  return ends;
}

std::vector<std::string> split_into_symbols(std::string_view word) {
  std::vector<std::string> symbols;
  size_t begin = 0;
  for (size_t end : symbol_ends(word)) {
    symbols.emplace_back(word.substr(begin, end - begin));
    begin = end;
  }
  symbols.back() += kEndOfWord;
  return symbols;
}

}  // namespace xlm::text
