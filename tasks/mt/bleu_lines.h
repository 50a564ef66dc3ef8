// The input side of `xlm bleu`: hypothesis and reference texts split into
// lines the way sacreBLEU's CLI reads them (line splitting decides which
// lines pair up), checked for UTF-8 and for equal line counts. In memory and
// apart from the command, so the readers have unit tests and a fuzz target
// (tests/fuzz/fuzz_bleu.cpp) and every fault is a one-line FormatError
// naming the file and line.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace xlm::tasks {

// Lines of `data`. References split on "\n" only (open(..., newline="\n"));
// stdin with universal newlines ("\r\n", "\r" or "\n", as io.TextIOWrapper).
// A final line without a break counts; a final break adds no empty line.
std::vector<std::string> split_bleu_lines(const std::string& data, bool universal_newlines);

struct BleuInput {
  std::vector<std::string> hyps;               // (N) hypothesis lines
  std::vector<std::vector<std::string>> refs;  // (K, N) one line per hypothesis per reference file
};

// `hyp_text` is what stdin held; `refs` are (file name, contents) pairs.
// FormatError "bleu: NAME line L: invalid UTF-8 at byte B" or "bleu:
// reference file NAME has R lines but the hypotheses on stdin have N".
BleuInput read_bleu_input(const std::string& hyp_text, const std::vector<std::pair<std::string, std::string>>& refs);

}  // namespace xlm::tasks
