// `xlm bleu REF [REF...] [--tokenize 13a|none] [-lc] [-b] [-w 2] < HYP`: corpus BLEU with
// sacreBLEU 2.x's numbers and line (tasks/mt/bleu.h). Files are read the way
// sacreBLEU's CLI reads them (tasks/mt/bleu_lines.h: references split on "\n"
// only, stdin with universal newlines); count and encoding problems are caught
// there so the one-line error can name the file and line.
#include "core/error.h"
#include "tasks/mt/bleu.h"
#include "tasks/mt/bleu_lines.h"

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

std::string read_reference_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(fmt::format("bleu: cannot open reference file {}", path));
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

void run_bleu(const BleuArgs& args) {
  if (args.tokenize != "13a" && args.tokenize != "none")
    throw ConfigError(fmt::format("bleu: --tokenize '{}' is not supported (expected 13a or none)", args.tokenize));
  const std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  std::vector<std::pair<std::string, std::string>> refs;
  for (const std::string& path : args.refs) refs.emplace_back(path, read_reference_file(path));
  const tasks::BleuInput lines = tasks::read_bleu_input(input, refs);
  tasks::BleuOptions options;
  options.tokenize = args.tokenize;
  options.lowercase = args.lowercase;
  const tasks::BleuScore score = tasks::corpus_bleu(lines.hyps, lines.refs, options);
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
