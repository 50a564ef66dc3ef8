// `xlm finetune`: cross-lingual classification (XLM's glue-xnli.py XNLI
// protocol) from the command line. Flags are bound straight to a
// FinetuneConfig so the names and defaults live in one place
// (tasks/classify/finetune_config.h); the callback only runs the task.
#include "tasks/classify/finetuner.h"

#include <CLI/CLI.hpp>

#include <memory>

namespace xlm::tools {

void add_finetune_command(CLI::App& app) {
  auto config = std::make_shared<tasks::FinetuneConfig>();
  tasks::FinetuneConfig& c = *config;
  CLI::App* cmd = app.add_subcommand(
      "finetune", "Cross-lingual classification: fine-tune on English, evaluate every language (XNLI, topics)");
  cmd->add_option("--model_path", c.model_path, "pretrained model directory (model.safetensors, params.json, vocab, codes)")
      ->required();
  cmd->add_option("--task", c.task, "topics (xlm data debian's topic set) or xnli (MultiNLI train + XNLI dev/test)")
      ->capture_default_str();
  cmd->add_option("--data_path", c.data_path, "the task's folder (docs/tasks.md)")->required();
  cmd->add_option("--dump_path", c.dump_path, "where run folders are created")->capture_default_str();
  cmd->add_option("--exp_name", c.exp_name, "experiment name (run folder DUMP_PATH/EXP_NAME/EXP_ID)")
      ->capture_default_str();
  cmd->add_option("--exp_id", c.exp_id, "run id (default: derived from the configuration)");
  cmd->add_option("--optimizer_e", c.optimizer_e, "optimizer of the fine-tuned encoder parameters")
      ->capture_default_str();
  cmd->add_option("--optimizer_p", c.optimizer_p, "optimizer of the classification head (projection)")
      ->capture_default_str();
  cmd->add_option("--finetune_layers", c.finetune_layers,
                  "layers to fine-tune, first:last inclusive; 0 = embeddings, _1 = last layer")
      ->capture_default_str();
  cmd->add_option("--dropout", c.dropout, "dropout on the sentence vector before the head")->capture_default_str();
  cmd->add_option("--batch_size", c.batch_size, "examples per batch")->capture_default_str();
  cmd->add_option("--n_epochs", c.n_epochs, "number of epochs")->capture_default_str();
  cmd->add_option("--epoch_size", c.epoch_size, "training examples per epoch (-1 = one full pass)")
      ->capture_default_str();
  cmd->add_option("--max_len", c.max_len, "maximum tokens per sentence after BPE, </s> included")
      ->capture_default_str();
  cmd->add_option("--lowercase_and_remove_accent", c.lowercase_and_remove_accent,
                  "lowercase and strip accents before BPE (true for models trained on such text, e.g. XLM-15)")
      ->capture_default_str();
  cmd->add_option("--device", c.device, "cpu or cuda (default: cuda when a GPU is visible)");
  cmd->add_option("--seed", c.seed, "head initialisation, data order and dropout")->capture_default_str();
  cmd->callback([config] { tasks::run_finetune_command(*config); });
}

}  // namespace xlm::tools
