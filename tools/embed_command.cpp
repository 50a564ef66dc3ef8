// `xlm embed --reload_model DIR --lang LG [--codes CODES] [--output sentence|tokens|logits]
//   < sentences > out.npy`: a float32 .npy array on stdout, one row per input
// line: (N, emb_dim) sentence vectors (the last layer's state at the leading
// </s>, as XLM's embedder), (N, T, emb_dim) states of every position, or
// (N, T, n_words) output-layer logits of every position.
#include "core/npy.h"
#include "tasks/embed/sentence_embedder.h"
#include "tasks/pretrain/train_config.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace xlm::tools {

namespace {

struct EmbedArgs {
  std::string model_dir;
  std::string lang;
  std::string codes;
  std::string device;
  int64_t batch_size = 32;
  std::string output = "sentence";
};

void run_embed(const EmbedArgs& args) {
  const Device device = Device::parse(tasks::resolve_device(args.device));
  const tasks::EmbedOutput output = tasks::parse_embed_output(args.output);
  tasks::SentenceEmbedder embedder(args.model_dir, args.codes, device);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  const tasks::EmbedResult result = embedder.embed(lines, args.lang, args.batch_size, output);
  write_npy_f32(std::cout, result.values.data(), result.shape);
  std::cout.flush();
}

}  // namespace

void add_embed_command(CLI::App& app) {
  auto args = std::make_shared<EmbedArgs>();
  CLI::App* cmd = app.add_subcommand("embed", "Sentence embeddings, token states or logits (stdin lines -> .npy on stdout)");
  cmd->add_option("--reload_model", args->model_dir, "model directory")->required();
  cmd->add_option("--lang", args->lang, "language of the input lines")->required();
  cmd->add_option("--codes", args->codes, "BPE codes (default: the model directory's codes, if any)");
  cmd->add_option("--batch_size", args->batch_size, "lines per forward pass")->capture_default_str();
  cmd->add_option("--output", args->output,
                  "sentence: (N, D) state at the leading </s>; tokens: (N, T, D) every position; logits: "
                  "(N, T, n_words) output-layer scores of every position")
      ->capture_default_str();
  cmd->add_option("--device", args->device, "cpu or cuda (default: cuda when a GPU is visible)");
  cmd->callback([args] { run_embed(*args); });
}

}  // namespace xlm::tools
