// Moses detokenizer.perl for generated text: joins tokens back with the spacing
// rules of the language (punctuation attaches left, currency and opening
// brackets attach right, English "'s" attaches left, French/Italian elisions
// "l'" attach right, paired quotes alternate, French puts a space before ? ! : ; %).
#pragma once

#include "text/language.h"

#include <string>
#include <string_view>

namespace xlm::text {

// `unescape` undoes Moses' XML escaping (&amp; &lt; ...); off to match tokenize's default.
std::u32string moses_detokenize(std::u32string_view line, Language lang, bool unescape = false);

}  // namespace xlm::text
