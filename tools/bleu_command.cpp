// `xlm bleu REF [REF...] [--tokenize 13a|none] [-lc] [-b] [-w 2] < HYP`: corpus BLEU with
// sacreBLEU 2.x's numbers and line (tasks/mt/bleu.h). Files are read the way
// sacreBLEU's CLI reads them, since line splitting decides which lines pair up:
// references split on "\n" only (open(..., newline="\n")), stdin with universal
// newlines ("\r\n", "\r" or "\n", as io.TextIOWrapper does). Count and encoding
// problems are caught here so the one-line error can name the file and line.
#include "core/error.h"
#include "tasks/mt/bleu.h"
#include "text/utf8.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace xlm::tools {

namespace {

struct BleuArgs {
  std::vector<std::string> refs;
  std::string tokenize = "13a";
  bool lowercase = false;
  bool score_only = false;
  int width = 2;
};

std::vector<std::string> split_lines(const std::string& data, bool universal_newlines) {
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

void check_utf8(const std::vector<std::string>& lines, const std::string& name) {
  for (size_t i = 0; i < lines.size(); ++i) {
    const size_t bad = text::find_invalid_utf8(lines[i]);
    if (bad != std::string::npos)
      throw FormatError(fmt::format("bleu: {} line {}: invalid UTF-8 at byte {}", name, i + 1, bad));
  }
}

std::vector<std::string> read_file_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(fmt::format("bleu: cannot open reference file {}", path));
  std::ostringstream buf;
  buf << in.rdbuf();
  std::vector<std::string> lines = split_lines(buf.str(), /*universal_newlines=*/false);
  check_utf8(lines, path);
  return lines;
}

void run_bleu(const BleuArgs& args) {
  if (args.tokenize != "13a" && args.tokenize != "none")
    throw ConfigError(fmt::format("bleu: --tokenize '{}' is not supported (expected 13a or none)", args.tokenize));
  const std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  const std::vector<std::string> hyps = split_lines(input, /*universal_newlines=*/true);
  check_utf8(hyps, "<stdin>");
  std::vector<std::vector<std::string>> refs;
  for (const std::string& path : args.refs) {
    refs.push_back(read_file_lines(path));
    if (refs.back().size() != hyps.size())
      throw FormatError(fmt::format("bleu: reference file {} has {} lines but the hypotheses on stdin have {}", path,
                                    refs.back().size(), hyps.size()));
  }
  tasks::BleuOptions options;
  options.tokenize = args.tokenize;
  options.lowercase = args.lowercase;
  const tasks::BleuScore score = tasks::corpus_bleu(hyps, refs, options);
  std::cout << (args.score_only ? fmt::format("{:.{}f}", score.score, args.width) : score.format(args.width)) << "\n";
  std::cout.flush();
}

}  // namespace

void add_bleu_command(CLI::App& app) {
  auto args = std::make_shared<BleuArgs>();
  CLI::App* cmd = app.add_subcommand("bleu", "Corpus BLEU of stdin hypotheses against reference files (sacreBLEU 2.x)");
  cmd->add_option("refs", args->refs, "reference files, one line per hypothesis line")->required();
  cmd->add_option("--tokenize", args->tokenize, "13a (sacreBLEU default, for detokenized text) or none")
      ->capture_default_str();
  cmd->add_flag("--lowercase", args->lowercase, "lowercase hypotheses and references (Python str.lower); also -lc");
  cmd->add_flag("--score-only,-b", args->score_only, "print only the score");
  cmd->add_option("--width,-w", args->width, "decimals of the score (sacreBLEU's CLI text mode uses 1)")
      ->check(CLI::Range(0, 17))
      ->capture_default_str();
  // CLI11 names short options with one character; sacreBLEU's -lc arrives as an extra.
  cmd->allow_extras();
  cmd->callback([args, cmd] {
    for (const std::string& extra : cmd->remaining()) {
      if (extra != "-lc")
        throw ConfigError(fmt::format("bleu: unexpected argument '{}' (see xlm bleu --help)", extra));
      args->lowercase = true;
    }
    run_bleu(*args);
  });
}

}  // namespace xlm::tools
