// See bleu_lines.h. Splitting is one pass over the bytes; UTF-8 is checked
// per line so the error can name the line and the byte within it.
#include "tasks/mt/bleu_lines.h"

#include "core/error.h"
#include "text/utf8.h"

#include <fmt/format.h>

namespace xlm::tasks {

namespace {

void check_utf8(const std::vector<std::string>& lines, const std::string& name) {
  for (size_t i = 0; i < lines.size(); ++i) {
    const size_t bad = text::find_invalid_utf8(lines[i]);
    if (bad != std::string::npos)
      throw FormatError(fmt::format("bleu: {} line {}: invalid UTF-8 at byte {}", name, i + 1, bad));
  }
}

}  // namespace

std::vector<std::string> split_bleu_lines(const std::string& data, bool universal_newlines) {
  std::vector<std::string> lines;
  std::string line;
  bool pending = false;  // characters since the last break (a final unterminated line counts)
  for (size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    if (c == '\n' || (universal_newlines && c == '\r')) {
      if (universal_newlines && c == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
      lines.push_back(std::move(line));
      line.clear();
      pending = false;
    } else {
      line.push_back(c);
      pending = true;
    }
  }
  if (pending) lines.push_back(std::move(line));
  return lines;
}

BleuInput read_bleu_input(const std::string& hyp_text, const std::vector<std::pair<std::string, std::string>>& refs) {
  BleuInput input;
  input.hyps = split_bleu_lines(hyp_text, /*universal_newlines=*/true);
  check_utf8(input.hyps, "<stdin>");
  for (const auto& [name, text] : refs) {
    input.refs.push_back(split_bleu_lines(text, /*universal_newlines=*/false));
    check_utf8(input.refs.back(), name);
    if (input.refs.back().size() != input.hyps.size())
      throw FormatError(fmt::format("bleu: reference file {} has {} lines but the hypotheses on stdin have {}", name,
                                    input.refs.back().size(), input.hyps.size()));
  }
  return input;
}

}  // namespace xlm::tasks
