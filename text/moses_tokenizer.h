// Moses tokenizer.perl (as run by XLM: -no-escape) re-implemented over UTF-32:
// the same ordered passes (pad non-alphanumerics, multi-dot runs, commas outside
// numbers, language-specific apostrophes, nonbreaking-prefix periods), each a
// hand-written left-to-right scan with the consume-as-you-match semantics of the
// original regex substitutions, so results agree with Moses token for token.
#pragma once

#include "text/language.h"

#include <string>
#include <string_view>

namespace xlm::text {

struct MosesOptions {
  bool protect_urls = true;  // keep http(s)/ftp/rsync/www URLs and e-mail addresses whole
  bool escape = false;       // Moses' XML escaping (& | < > ' " [ ]); XLM runs with -no-escape
};

// One line in, tokens separated by single spaces out (no leading/trailing space).
std::u32string moses_tokenize(std::u32string_view line, Language lang, const MosesOptions& options = {});

}  // namespace xlm::text
