// `xlm finetune`: XLM's XNLI protocol (src/evaluation/xnli.py) on any
// ClassifyTask. Each epoch trains on the English train set (shuffled, one
// pass or --epoch_size examples), with the encoder's and the head's
// parameters under two separate optimizers (--optimizer_e, --optimizer_p)
// stepped together after each batch; then evaluates accuracy on the English
// valid set and on every language's test set (zero-shot for all but
// English), prints the table, and keeps the best epoch by English valid
// accuracy. Accuracies are percentages, as XLM logs them.
#pragma once

#include "tasks/classify/classify_data.h"
#include "tasks/classify/finetune_config.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace xlm::tasks {

struct EpochScores {
  int64_t epoch = 0;
  double train_loss = 0;                   // mean over the epoch's batches
  double valid_en_acc = 0;                 // percent
  std::map<std::string, double> test_acc;  // language -> percent
};

// {"epochs": [{"epoch", "train_loss", "valid_en_acc", "test_acc": {lg: acc}}],
//  "best_epoch": e, "best": <that epoch's entry>}; the first epoch wins ties.
// ConfigError for an empty list.
nlohmann::json finetune_results_json(const std::vector<EpochScores>& epochs);

// The per-epoch table printed to the log:
//   epoch 3  train loss 1.2345
//     split  lang  accuracy
//     valid  en       41.2
//     test   de       30.8
//     ...
std::string format_epoch_table(const EpochScores& scores);

// Runs the whole fine-tuning on an already-read task (the model is loaded
// from config.model_path). Logs to `log`; returns finetune_results_json.
// Languages the model (or the tokenizer) does not know are skipped with a note.
nlohmann::json run_finetune(const FinetuneConfig& config, const ClassifyTask& task, std::ostream& log);

// The command's entry: validates, reads the task from --data_path, makes the
// run folder dump_path/exp_name/exp_id (config.json, train.log), fine-tunes,
// and writes results.json and results.txt (every epoch's table) there.
// Returns the run folder.
std::string run_finetune_command(FinetuneConfig config);

}  // namespace xlm::tasks
