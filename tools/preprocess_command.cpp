// `xlm preprocess VOCAB TXT`: XLM's preprocess.py for our binarized format.
// The output goes next to the text as TXT.xbin (XLM writes TXT.pth), so a
// --data_path directory holds train.en and train.en.xbin side by side.
#include "core/error.h"
#include "text/data_paths.h"
#include "text/dictionary.h"
#include "text/preprocess.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>
#include <string>

namespace xlm::tools {

namespace {

struct PreprocessArgs {
  std::string vocab;
  std::string text;
  std::string output;
  int64_t max_vocab = -1;
  int64_t min_count = 0;
};

void run_preprocess(const PreprocessArgs& args) {
  const auto dictionary = text::Dictionary::from_vocab_file(args.vocab, args.max_vocab, args.min_count);
  const std::string out = args.output.empty() ? text::binarized_name(args.text) : args.output;
  const auto stats = text::binarize_text_file(dictionary, args.text, out);
  fmt::print("{}: {} words in the dictionary\n", args.vocab, dictionary.size());
  fmt::print("{} sentences ({} empty), {} tokens, {:.2f}% unknown words", stats.sentences, stats.empty_sentences,
             stats.words, stats.unknown_percent());
  if (stats.specials_dropped > 0) fmt::print(", {} special words dropped", stats.specials_dropped);
  fmt::print("\nwrote {}\n", out);
}

}  // namespace

void add_preprocess_command(CLI::App& app) {
  auto args = std::make_shared<PreprocessArgs>();
  CLI::App* cmd = app.add_subcommand("preprocess", "Binarize a tokenized (BPE) text file with a fastBPE vocab");
  cmd->add_option("VOCAB", args->vocab, "fastBPE vocab file (\"word count\" per line)")->required();
  cmd->add_option("TXT", args->text, "text file, one sentence per line")->required();
  cmd->add_option("-o,--output", args->output, "output file (default: TXT.xbin)");
  cmd->add_option("--max_vocab", args->max_vocab, "dictionary size cap including the 14 special words (-1 = all)");
  cmd->add_option("--min_count", args->min_count, "drop vocab words seen fewer times");
  cmd->callback([args] { run_preprocess(*args); });
}

}  // namespace xlm::tools
