// The pretraining loop of XLM's train.py: epochs of --epoch_size sentences;
// each iteration runs every CLM step then every MLM/TLM step (in the order
// --lg_sampling_factor draws), each step one forward/backward and, every
// --accumulate_gradients backward passes, one optimizer update. After each
// epoch: validation and test scores under XLM's metric names, best-metric
// model saves, the stopping criterion, and a checkpoint. Everything a run
// depends on (parameters, optimizer moments, counters, random states, data
// cursors) is in the checkpoint, so a resumed run continues the same curve.
// With --encoder_only false (XLM's EncDecTrainer) the model is an encoder
// plus a decoder, both in one optimizer: CLM/MLM steps train the encoder,
// then each iteration runs the auto-encoder, MT and back-translation steps
// (XLM's order), and checkpoints and best saves are MT model directories.
// Precision (--precision, XLM's --fp16/--amp): the models compute in the
// mode's dtype and the optimizer updates PrecisionStep's master weights; model
// directories are written in f32, checkpoints add the masters and the scaler.
// On N ranks (docs/distributed.md) each rank trains on its shard of the data
// with its own random streams, gradients are averaged over the ranks, and
// only rank 0 writes the run folder (a failed save there stops every rank at
// once); epochs count the sentences of all ranks; valid/test evaluation is
// sharded over the ranks and gives every rank the one-rank scores. With
// --zero1 the optimizer state (and the masters in mixed precision) is sharded.
#pragma once

#include "core/communicator.h"
#include "nn/optimizer.h"
#include "objectives/lm_batch.h"
#include "nn/transformer.h"
#include "objectives/masking.h"
#include "objectives/mt.h"
#include "objectives/noise.h"
#include "objectives/pair_step.h"
#include "objectives/schedule.h"
#include "tasks/pretrain/data_parallel.h"
#include "tasks/pretrain/lm_evaluator.h"
#include "tasks/pretrain/mt_evaluator.h"
#include "tasks/pretrain/precision_step.h"
#include "tasks/pretrain/pretrain_data.h"
#include "tasks/pretrain/train_config.h"
#include "tasks/run/checkpoint_store.h"
#include "tasks/run/metrics_log.h"
#include "tasks/run/run_dir.h"
#include "text/shuffle.h"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace xlm::tasks {

class Trainer {
 public:
  // Opens data, builds (or reloads / resumes) the model and optimizer,
  // creates the run folder. ConfigError for bad flags or paths.
  // `comm`: the ranks to train with; nullptr = from the launcher's
  // environment (one rank without a launcher).
  explicit Trainer(const TrainConfig& config, std::shared_ptr<Communicator> comm = nullptr);
  ~Trainer();

  // Trains until --max_epoch or the stopping criterion (or only evaluates
  // with --eval_only). Returns the last epoch's scores.
  Scores run();

  // Scores of the current model on valid and test (no gradient, no dropout).
  Scores evaluate();

  const std::string& run_dir() const { return run_dir_; }
  nn::TransformerModel& model() { return *model_; }  // the encoder of an encoder-decoder run
  nn::TransformerModel* decoder() { return decoder_.get(); }  // nullptr with --encoder_only true
  int64_t epoch() const { return epoch_; }
  int64_t n_total_iter() const { return n_total_iter_; }
  // Master weights, loss scaler and the guarded step (all ranks agree on a skip).
  PrecisionStep& precision() { return *precision_; }
  const nn::Optimizer& optimizer() const { return *optimizer_; }  // not with --zero1 true
  // Every trained tensor, by name ("encoder."/"decoder." prefixes with --encoder_only false).
  const nn::NamedTensors& trained_parameters() const { return trained_; }
  DataParallel& data_parallel() { return *dp_; }
  // The loss of every training step this process took, by step name
  // ("mlm_en", "mlm_en-fr", "clm_fr", "ae_en", "mt_en-fr", "bt_en-fr-en"),
  // in order (tests use it).
  const std::map<std::string, std::vector<float>>& loss_history() const { return loss_history_; }

 private:
  void train_epoch();
  void run_step(const LmStep& step, double lambda);
  void run_encdec_steps();
  void run_ae_step(const std::string& lang, double lambda);
  void run_mt_step(const objectives::Step& direction, double lambda);
  void run_bt_step(const objectives::Step& cycle, double lambda);
  void train_mt_batch(const std::string& name, const objectives::MtBatch& batch, double lambda);
  // Records the loss, backward (scaled by lambda), and every
  // --accumulate_gradients backward passes clips and updates.
  void backward_and_update(Tensor loss, const std::string& name, double lambda);
  // A model directory, or an MT model directory; zero1_masters: gather_zero1_masters() (empty: none).
  void save_models(const std::string& dir, const nn::NamedTensors& zero1_masters = {}) const;
  // Collective: ZeRO-1's whole master weights in mixed precision, else empty.
  nn::NamedTensors gather_zero1_masters();
  void load_models(const std::string& dir);
  bool encoder_decoder() const { return decoder_ != nullptr; }
  void end_iteration();
  void log_progress();
  void end_epoch(const Scores& scores);
  void save_checkpoint();
  void load_checkpoint(const std::string& path);
  void save_best_models(const Scores& scores);
  bool should_stop(const Scores& scores);
  // This rank's random states and data cursors (per rank in a checkpoint).
  nlohmann::json rank_state() const;
  void restore_rank_state(const nlohmann::json& state);
  double current_lr() const;

  TrainConfig config_;
  std::string run_dir_;
  Device device_;
  std::unique_ptr<PretrainData> data_;
  std::unique_ptr<nn::TransformerModel> model_;    // the encoder of an encoder-decoder run
  std::unique_ptr<nn::TransformerModel> decoder_;  // only with --encoder_only false
  std::unique_ptr<DataParallel> dp_;       // the ranks (one without a launcher); before what uses it
  nn::NamedTensors trained_;
  std::unique_ptr<PrecisionStep> precision_;  // before optimizer_: it owns the tensors the optimizer updates
  std::unique_ptr<nn::Optimizer> optimizer_;  // null with --zero1 true (DataParallel's Zero1Optimizer)
  std::unique_ptr<QuietStdout> quiet_;      // ranks other than 0 print nothing but errors
  std::unique_ptr<Tee> tee_;  // copies the console to RUN/train.log; before metrics_ so it outlives it
  std::unique_ptr<MetricsLog> metrics_;
  std::unique_ptr<CheckpointStore> checkpoints_;
  std::vector<LmStep> clm_steps_;
  std::vector<LmStep> mlm_steps_;
  std::unique_ptr<LmBatchBuilder> builder_;
  objectives::LambdaSchedule lambda_clm_;
  objectives::LambdaSchedule lambda_mlm_;
  std::vector<std::string> ae_steps_;
  std::vector<objectives::Step> mt_steps_;
  std::vector<objectives::Step> bt_steps_;  // {l1, l2}: l1 -> l2 -> l1
  objectives::LambdaSchedule lambda_ae_;
  objectives::LambdaSchedule lambda_mt_;
  objectives::LambdaSchedule lambda_bt_;
  objectives::NoiseOptions noise_;
  MtEvalOptions mt_eval_;
  text::SplitMix64 mask_rng_{0};   // MLM/TLM masking of training batches
  text::SplitMix64 order_rng_{0};  // step order within an iteration
  text::SplitMix64 noise_rng_{0};  // auto-encoder noise

  // Progress (checkpointed).
  int64_t epoch_ = 0;              // the epoch being (or next to be) trained
  int64_t n_total_iter_ = 0;       // iterations since the start of the run
  int64_t n_backward_ = 0;         // backward passes since the start of the run
  std::map<std::string, double> best_metrics_;  // --validation_metrics, by name
  std::optional<double> best_stopping_;         // --stopping_criterion's best value
  int64_t epochs_without_progress_ = 0;
  bool zero1_masters_loaded_ = false;  // ZeRO-1's masters came from a checkpoint, not from the model

  // Statistics since the last log line (not checkpointed).
  int64_t n_sentences_ = 0;                           // in the current epoch
  std::map<std::string, std::pair<double, int64_t>> loss_sums_;  // objective name -> (sum, count)
  int64_t words_since_log_ = 0;
  int64_t iters_since_log_ = 0;
  double flops_since_log_ = 0;
  double last_grad_norm_ = 0;
  std::chrono::steady_clock::time_point log_clock_;
  std::map<std::string, std::vector<float>> loss_history_;
};

}  // namespace xlm::tasks
