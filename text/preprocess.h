// Text -> binarized file, the library half of `xlm preprocess` (XLM's
// preprocess.py): one sentence per line, words indexed with the dictionary,
// empty lines kept as empty sentences (XLM keeps them too, so sentence i of
// the binarized file is line i of the text and parallel files stay aligned).
#pragma once

#include "text/dictionary.h"

#include <cstdint>
#include <string>

namespace xlm::text {

struct PreprocessStats {
  int64_t sentences = 0;
  int64_t empty_sentences = 0;   // lines with no word (kept as empty sentences)
  int64_t words = 0;             // ids written, </s> separators excluded
  int64_t unknown = 0;           // of which <unk>
  int64_t specials_dropped = 0;  // special words found in the text and dropped
  double unknown_percent() const { return words == 0 ? 0.0 : 100.0 * static_cast<double>(unknown) / words; }
};

// Indexes `text_path` and writes `out_path` atomically. Invalid UTF-8 throws
// FormatError naming the file, line and byte column; nothing is written then.
PreprocessStats binarize_text_file(const Dictionary& dictionary, const std::string& text_path,
                                   const std::string& out_path);

}  // namespace xlm::text
