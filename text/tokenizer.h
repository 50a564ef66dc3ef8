// The text pipeline's front door on UTF-8 lines: what XLM's get-data scripts do to
// raw text (punctuation normalization, Moses tokenization with -no-escape, and for
// the XLM-15-style models lowercase_and_remove_accent), and the reverse for
// generated text. The pieces live in their own files (utf8, punctuation_normalizer,
// moses_tokenizer, moses_detokenizer, accents) and can be used alone.
#pragma once

#include "text/language.h"

#include <string>
#include <string_view>

namespace xlm::text {

struct TokenizeOptions {
  bool normalize_punctuation = true;        // Moses' replace-unicode-punctuation + normalize-punctuation
  bool protect_urls = true;                 // URLs and e-mail addresses stay single tokens
  bool escape = false;                      // Moses' XML escaping (XLM uses -no-escape)
  bool lowercase_and_remove_accent = false; // XLM-15's lowercase + NFD + drop combining marks
};

// One UTF-8 line (without its newline) -> space-separated tokens. Throws FormatError
// ("invalid UTF-8 at byte N: ...") on malformed input.
std::string tokenize(std::string_view line, Language lang, const TokenizeOptions& options = {});

// Space-separated tokens -> text, with Moses' detokenizer rules for `lang`.
std::string detokenize(std::string_view line, Language lang);

// UTF-8 convenience for lowercase_and_remove_accent (text/accents.h).
std::string lowercase_and_remove_accent(std::string_view line);

}  // namespace xlm::text
