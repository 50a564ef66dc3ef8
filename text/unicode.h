// Character classes the Moses rules are written in (Perl's \p{IsAlpha},
// \p{IsAlnum}, \p{IsN}, \p{IsLower}, \p{IsSc}, \s) and the per-character fold of
// lowercase_and_remove_accent. Backed by generated range tables (text/unicode_tables.*)
// so the engine needs no ICU for the handful of properties it uses.
#pragma once

#include <string>

namespace xlm::text {

bool is_alpha(char32_t c);           // Unicode Alphabetic
bool is_alnum(char32_t c);           // Alphabetic or decimal digit (Nd)
bool is_number(char32_t c);          // general category N*
bool is_lower(char32_t c);           // Unicode Lowercase
bool is_currency(char32_t c);        // general category Sc
bool is_space(char32_t c);           // Python/Perl \s
bool is_nonspacing_mark(char32_t c); // general category Mn
bool is_control_or_format(char32_t c);  // general category C* (Cc, Cf, Cs, Co, Cn)

// Appends lowercase(c), canonically decomposed, without nonspacing marks.
void append_folded(char32_t c, std::u32string& out);

}  // namespace xlm::text
