// See text/preprocess.h. Lines are split on '\n' only (a final line without
// newline counts, a final newline does not start a new sentence), which is
// how Python's line iteration in XLM's preprocess.py reads the same file.
#include "text/preprocess.h"

#include "core/error.h"
#include "text/binarized.h"
#include "text/utf8.h"

#include <fmt/format.h>

#include <fstream>

namespace xlm::text {

PreprocessStats binarize_text_file(const Dictionary& dictionary, const std::string& text_path,
                                   const std::string& out_path) {
  std::ifstream in(text_path, std::ios::binary);
  if (!in) throw FormatError(fmt::format("{}: cannot open text file for reading", text_path));
  BinarizedWriter writer(dictionary);
  PreprocessStats stats;
  IndexStats index_stats;
  std::string line;
  std::vector<int64_t> ids;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const size_t bad = find_invalid_utf8(line);
    if (bad != std::string_view::npos)
      throw FormatError(fmt::format("{}:{}: invalid UTF-8 at byte {} of the line", text_path, line_no, bad + 1));
    ids.clear();
    dictionary.index_line(line, ids, index_stats);
    if (ids.empty()) ++stats.empty_sentences;
    writer.add_sentence(ids);
  }
  if (in.bad()) throw FormatError(fmt::format("{}: read error", text_path));
  writer.write(out_path);
  stats.sentences = line_no;
  stats.words = index_stats.words;
  stats.unknown = index_stats.unknown;
  stats.specials_dropped = index_stats.specials_dropped;
  return stats;
}

}  // namespace xlm::text
