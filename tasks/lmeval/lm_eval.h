// `xlm eval`: scores a saved model directory on the valid/test files of a
// --data_path folder with exactly the code `xlm train` evaluates with
// (PretrainData + LmBatchBuilder + evaluate_lm), so a perplexity printed by
// `xlm eval` is the number the training log printed for the same model and
// data. Languages come from the model's params.json (id2lang): the language
// embedding ids must be the ones the model was trained with.
#pragma once

#include "tasks/pretrain/lm_evaluator.h"

#include <cstdint>
#include <string>
#include <vector>

namespace xlm::tasks {

struct LmEvalOptions {
  std::string model_dir;   // --reload_model
  std::string data_path;   // --data_path (vocab + {train,valid,test}.LG[.xbin])
  std::string clm_steps;   // "" and mlm_steps "": default_lm_steps
  std::string mlm_steps;
  std::vector<std::string> splits = {"valid", "test"};
  int64_t bptt = 256;       // stream length of the CLM/MLM evaluation batches
  int64_t batch_size = 32;  // sentences per TLM/CLM-pair batch (streams are evaluated one at a time, as XLM)
  int64_t max_len = 100;
  int64_t tokens_per_batch = -1;
  double word_pred = 0.15;  // MLM masking, as the run was trained with
  std::string word_mask_keep_rand = "0.8,0.1,0.1";
  double sample_alpha = 0;
  std::string device;       // "", "cpu" or "cuda" (resolve_device)
};

struct LmEvalResult {
  std::vector<LmStep> steps;        // in evaluation order: CLM steps, then MLM/TLM steps
  std::vector<std::string> splits;
  Scores scores;                    // evaluate_lm's names: valid_en_mlm_ppl, test_fr_clm_acc, ...
};

// The steps scored when no --clm_steps/--mlm_steps is given: one per model
// language whose {train,valid,test}.LG.xbin all exist in data_path, "clm"
// when the model was trained as a CLM (params.json causal), else "mlm".
// ConfigError naming data_path and the files looked for when no language has data.
std::string default_lm_steps(const std::vector<std::string>& model_langs, const std::string& data_path);

// Loads the model, checks that its vocabulary is data_path's `vocab`, opens
// the files the steps need and scores them. ConfigError/FormatError naming
// the path or flag on any problem.
LmEvalResult run_lm_eval(const LmEvalOptions& options);

// One line per metric ("valid_en_mlm_ppl 1234.56"), then a table with one row
// per step and ppl/acc columns per split.
std::string format_lm_eval(const LmEvalResult& result);

}  // namespace xlm::tasks
