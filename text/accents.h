// XLM-15/17/100's lowercase_and_remove_accent: lowercase, canonical decomposition
// (NFD), drop nonspacing marks, so "Élève" and "eleve" share BPE codes. Done per
// character from a generated fold table (text/unicode_tables.cpp) rather than ICU.
#pragma once

#include <string>
#include <string_view>

namespace xlm::text {

std::u32string lowercase_and_remove_accent(std::u32string_view text);

}  // namespace xlm::text
