// `xlm bpe`: fastBPE's command line (learnbpe, applybpe, getvocab) with the
// same positional arguments, so that scripts written for fastBPE's `fast`
// binary only change the program name. Results go to stdout in one write per
// buffer, as large vocab/codes files are common. --threads is the only
// addition (default: all hardware threads).
#include "core/error.h"
#include "text/bpe_apply.h"
#include "text/bpe_files.h"
#include "text/bpe_learn.h"
#include "text/word_counts.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace xlm::tools {

namespace {

struct BpeArgs {
  size_t num_merges = 0;
  std::vector<std::string> inputs;
  std::string output, input, codes, vocab;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
};

void write_stdout(const std::string& text) {
  if (!text.empty() && std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) {
    throw FormatError("stdout: write failed");
  }
  if (std::fflush(stdout) != 0) throw FormatError("stdout: write failed");
}

void add_threads_option(CLI::App* sub, BpeArgs& args) {
  sub->add_option("--threads", args.threads, "Worker threads")->check(CLI::PositiveNumber);
}

}  // namespace

void add_bpe_command(CLI::App& app) {
  auto args = std::make_shared<BpeArgs>();
  CLI::App* bpe = app.add_subcommand("bpe", "Byte-pair encoding, compatible with fastBPE's files and arguments");
  bpe->require_subcommand(1);

  CLI::App* learn = bpe->add_subcommand("learnbpe", "Learn N merge codes from text files; codes on stdout");
  learn->add_option("N", args->num_merges, "Number of merges")->required();
  learn->add_option("FILE", args->inputs, "Text files (\"-\" = stdin)")->required();
  add_threads_option(learn, *args);
  learn->callback([args] {
    const auto counts = text::WordCounts::from_files(args->inputs, args->threads);
    write_stdout(text::format_codes(text::learn_bpe(counts, args->num_merges)));
  });

  CLI::App* apply = bpe->add_subcommand("applybpe", "Segment INPUT into OUTPUT with CODES (and VOCAB)");
  apply->add_option("OUTPUT", args->output, "Segmented text to write")->required();
  apply->add_option("INPUT", args->input, "Text to segment")->required();
  apply->add_option("CODES", args->codes, "Codes file from learnbpe")->required();
  apply->add_option("VOCAB", args->vocab, "Vocabulary restricting the subwords (getvocab format)");
  add_threads_option(apply, *args);
  apply->callback([args] {
    text::BpeCodes codes = text::read_bpe_codes(args->codes);
    text::BpeVocab vocab;
    if (!args->vocab.empty()) vocab = text::read_bpe_vocab(args->vocab);
    const text::BpeApplier applier(codes, std::move(vocab));
    text::apply_bpe_file(args->output, args->input, applier, args->threads);
  });

  CLI::App* vocab = bpe->add_subcommand("getvocab", "Word counts of text files on stdout, most frequent first");
  vocab->add_option("FILE", args->inputs, "Text files (\"-\" = stdin)")->required();
  add_threads_option(vocab, *args);
  vocab->callback([args] {
    const auto counts = text::WordCounts::from_files(args->inputs, args->threads);
    write_stdout(text::format_vocab(counts.by_decreasing_count()));
  });
}

}  // namespace xlm::tools
