// The three Moses scripts XLM pipes text through before tokenizing:
// replace-unicode-punctuation.perl (full-width CJK punctuation -> ASCII),
// normalize-punctuation.perl -l LG (quotes, dashes, spacing around brackets,
// French guillemets, non-breaking spaces) and remove-non-printing-char.perl
// (control/format characters -> space). Kept apart from the tokenizer so either
// can be used alone.
#pragma once

#include "text/language.h"

#include <string>
#include <string_view>

namespace xlm::text {

std::u32string normalize_punctuation(std::u32string_view line, Language lang);

}  // namespace xlm::text
