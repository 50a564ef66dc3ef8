// `xlm eval --reload_model DIR --data_path D`: language-model perplexity and
// accuracy per language of a saved model (tasks/lmeval/lm_eval.h), printed
// one metric per line plus a per-language table, and optionally as JSON so
// scripts (scripts/low-resource) can read the numbers without parsing text.
#include "core/atomic_file.h"
#include "tasks/lmeval/lm_eval.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <sstream>
#include <string>

namespace xlm::tools {

namespace {

struct EvalArgs {
  tasks::LmEvalOptions options;
  std::string splits = "valid,test";
  std::string json;
};

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

void run_eval(EvalArgs args) {
  args.options.splits = split_commas(args.splits);
  const tasks::LmEvalResult result = tasks::run_lm_eval(args.options);
  std::cout << tasks::format_lm_eval(result) << std::flush;
  if (args.json.empty()) return;
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& step : result.steps) steps.push_back(step.metric_key());
  const nlohmann::json out = {{"model", args.options.model_dir},
                              {"data_path", args.options.data_path},
                              {"splits", result.splits},
                              {"steps", steps},
                              {"bptt", args.options.bptt},
                              {"scores", result.scores}};
  write_file_atomically(args.json, [&](std::ostream& os) { os << out.dump(2) << '\n'; });
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  auto& o = args->options;
  CLI::App* cmd = app.add_subcommand("eval", "Language-model perplexity and accuracy of a model directory per language");
  cmd->add_option("--reload_model", o.model_dir, "model directory (model.safetensors, params.json, vocab)")->required();
  cmd->add_option("--data_path", o.data_path, "folder with vocab and {train,valid,test}.LG.xbin files")->required();
  cmd->add_option("--clm_steps", o.clm_steps, "CLM steps to score, e.g. en,fr (default: see --mlm_steps)");
  cmd->add_option("--mlm_steps", o.mlm_steps,
                  "MLM/TLM steps to score, e.g. en,fr,en-fr (default: every model language with data, as CLM when "
                  "the model was trained causal)");
  cmd->add_option("--split", args->splits, "comma-separated splits: valid, test")->capture_default_str();
  cmd->add_option("--bptt", o.bptt, "tokens per evaluation stream row")->capture_default_str();
  cmd->add_option("--batch_size", o.batch_size, "sentence pairs per TLM batch")->capture_default_str();
  cmd->add_option("--max_len", o.max_len, "as xlm train (training pairs only)")->capture_default_str();
  cmd->add_option("--tokens_per_batch", o.tokens_per_batch, "TLM batches by tokens (-1: by --batch_size)")
      ->capture_default_str();
  cmd->add_option("--word_pred", o.word_pred, "fraction of words MLM predicts")->capture_default_str();
  cmd->add_option("--word_mask_keep_rand", o.word_mask_keep_rand, "mask,keep,random proportions")
      ->capture_default_str();
  cmd->add_option("--sample_alpha", o.sample_alpha, "frequency-weighted MLM position choice (0: uniform)")
      ->capture_default_str();
  cmd->add_option("--device", o.device, "cpu or cuda (default: cuda when a GPU is visible)");
  cmd->add_option("--json", args->json, "also write the scores to this JSON file");
  cmd->callback([args] { run_eval(*args); });
}

}  // namespace xlm::tools
