// See text/accents.h. The fold table already composes lowercase -> NFD -> drop Mn
// for each precomposed character, so this is a single append per character.
#include "text/accents.h"

#include "text/unicode.h"

namespace xlm::text {

std::u32string lowercase_and_remove_accent(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (const char32_t c : text) append_folded(c, out);
  return out;
}

}  // namespace xlm::text
