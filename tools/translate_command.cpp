// `xlm translate --reload_model DIR --src_lang LG --tgt_lang LG [--beam_size 1]
// [--length_penalty 1] [--early_stopping false] [--batch_size 32] [--codes C]
// [--device cpu|cuda] < input > output`: XLM's translate.py over an MT model
// directory (tasks/mt/mt_model_dir.h). Reads every line first so that lines
// can be batched by length; writes one line per input line, in order.
#include "tasks/mt/translator.h"
#include "tasks/pretrain/train_config.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace xlm::tools {

namespace {

struct TranslateArgs {
  std::string model_dir, src_lang, tgt_lang, codes, device;
  int64_t batch_size = 32;
  tasks::GenerationOptions options;
};

void run_translate(const TranslateArgs& args) {
  const Device device = Device::parse(tasks::resolve_device(args.device));
  tasks::Translator translator(args.model_dir, args.codes, device);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  const std::vector<std::string> out =
      translator.translate(lines, args.src_lang, args.tgt_lang, args.batch_size, args.options);
  for (const std::string& l : out) std::cout << l << '\n';
  std::cout.flush();
}

}  // namespace

void add_translate_command(CLI::App& app) {
  auto args = std::make_shared<TranslateArgs>();
  CLI::App* cmd = app.add_subcommand("translate", "Translate tokenized lines (stdin -> stdout) with an MT model directory");
  cmd->add_option("--reload_model", args->model_dir, "MT model directory (encoder/ and decoder/)")->required();
  cmd->add_option("--src_lang", args->src_lang, "language of the input lines")->required();
  cmd->add_option("--tgt_lang", args->tgt_lang, "language to translate into")->required();
  cmd->add_option("--beam_size", args->options.beam_size, "beams per sentence (1 = greedy)")->capture_default_str();
  cmd->add_option("--length_penalty", args->options.length_penalty, "score = log-prob / length^length_penalty")
      ->capture_default_str();
  cmd->add_option("--early_stopping", args->options.early_stopping,
                  "stop a sentence once beam_size hypotheses are finished (true/false)")
      ->capture_default_str();
  cmd->add_option("--batch_size", args->batch_size, "sentences per batch")->capture_default_str();
  cmd->add_option("--codes", args->codes, "BPE codes (default: the model directory's codes, if any)");
  cmd->add_option("--device", args->device, "cpu or cuda (default: cuda when a GPU is visible)");
  cmd->callback([args] { run_translate(*args); });
}

}  // namespace xlm::tools
