// The pretraining loop. Deliberate differences from XLM's trainer.py (listed
// in docs/cli.md): an optimizer update happens every --accumulate_gradients
// backward passes (XLM counts iterations, which mixes steps of different
// objectives unevenly); the step counter of the log is XLM's n_total_iter;
// checkpoints are folders written atomically and hold the random states and
// data cursors, so a resumed run reproduces the uninterrupted one bit for bit.
// A step reads nothing back from the device (docs/performance.md): each loss
// stays a device scalar until the next log line or the epoch end reads it
// (a diverged loss is reported then, with the iteration it happened at),
// clipping keeps its norm on the device, and only fp16's finite flag is read.
// The next MLM/CLM host batch is built on a background thread meanwhile.
#include "tasks/pretrain/trainer.h"

#include "core/autograd.h"
#include "core/device_figures.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "kernels/scale/scale.h"
#include "nn/grad_clip.h"
#include "nn/model_dir.h"
#include "objectives/lm_batch.h"
#include "objectives/lm_loss.h"
#include "tasks/mt/mt_model_dir.h"
#include "tasks/pretrain/back_translation.h"
#include "tasks/pretrain/mt_reload.h"
#include "tasks/pretrain/mt_steps.h"
#include "tasks/pretrain/precision_step.h"
#include "tasks/pretrain/throughput.h"
#include "tasks/pretrain/train_precision.h"
#include "tasks/run/run_dir.h"
#include "text/data_paths.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <set>

namespace xlm::tasks {

namespace fs = std::filesystem;

namespace {

constexpr const char* kTrainerState = "trainer.json";
constexpr const char* kOptimizerState = "optimizer.safetensors";
constexpr const char* kMasterWeights = "master.safetensors";  // mixed precision only
constexpr const char* kModelFolder = "model";

// "_valid_en_mlm_ppl" -> {"valid_en_mlm_ppl", lower is better}
std::pair<std::string, bool> parse_metric(const std::string& text) {
  if (!text.empty() && text[0] == '_') return {text.substr(1), true};
  return {text, false};
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  XLM_CHECK(in.good(), FormatError, "{}: cannot open", path);
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("{}: not valid JSON ({})", path, e.what()));
  }
}

// Console output goes through std::cout so that the run's Tee copies it to train.log.
template <typename... Args>
void say(fmt::format_string<Args...> format, Args&&... args) {
  std::cout << fmt::format(format, std::forward<Args>(args)...) << std::flush;
}

// Rank 0 keeps the run's own streams (a one-rank run is unchanged); other ranks derive theirs.
uint64_t rank_seed(uint64_t seed, int rank) { return rank == 0 ? seed : text::derive_seed(seed, 1000003 + rank); }

}  // namespace

Trainer::Trainer(const TrainConfig& config, std::shared_ptr<Communicator> comm) : config_(config) {
  config_.validate();
  device_ = Device::parse(resolve_device(config_.device));
  if (!comm) comm = make_training_communicator(device_);
  DataParallelOptions dp_options;
  dp_options.bucket_mb = config_.bucket_mb;
  dp_options.zero1 = config_.zero1;
  dp_options.comm_timeout_s = config_.comm_timeout;
  dp_options.check_weights_every = config_.check_weights_every;
  dp_ = std::make_unique<DataParallel>(std::move(comm), dp_options);
  const int rank = dp_->rank();
  if (!dp_->writes_files()) quiet_ = std::make_unique<QuietStdout>();

  // ---- steps and schedules (all parsed before any file is opened)
  const std::vector<std::string> langs = config_.languages();
  clm_steps_ = parse_lm_steps("clm", config_.clm_steps, langs, "--clm_steps");
  mlm_steps_ = parse_lm_steps("mlm", config_.mlm_steps, langs, "--mlm_steps");
  lambda_clm_ = objectives::LambdaSchedule::parse(config_.lambda_clm, "--lambda_clm");
  lambda_mlm_ = objectives::LambdaSchedule::parse(config_.lambda_mlm, "--lambda_mlm");
  ae_steps_ = parse_ae_steps(config_.ae_steps, langs);
  mt_steps_ = parse_mt_steps(config_.mt_steps, langs);
  bt_steps_ = parse_bt_steps(config_.bt_steps, langs);
  lambda_ae_ = objectives::LambdaSchedule::parse(config_.lambda_ae, "--lambda_ae");
  lambda_mt_ = objectives::LambdaSchedule::parse(config_.lambda_mt, "--lambda_mt");
  lambda_bt_ = objectives::LambdaSchedule::parse(config_.lambda_bt, "--lambda_bt");
  noise_.word_shuffle = config_.word_shuffle;
  noise_.word_dropout = config_.word_dropout;
  noise_.word_blank = config_.word_blank;
  noise_.validate();
  mt_eval_.eval_bleu = config_.eval_bleu;
  mt_eval_.beam_size = config_.beam_size;
  mt_eval_.length_penalty = config_.length_penalty;
  mt_eval_.early_stopping = config_.early_stopping;

  // ---- data
  PretrainDataOptions data_options;
  data_options.data_path = config_.data_path;
  std::set<std::string> mono;
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto* steps : {&clm_steps_, &mlm_steps_}) {
    for (const LmStep& s : *steps) {
      if (s.spec.lang2.empty()) {
        mono.insert(s.spec.lang1);
      } else {
        const text::LanguagePair pair = objectives::dataset_pair(s.spec);
        pairs.insert({pair.l1, pair.l2});
      }
    }
  }
  for (const auto& direction : mt_eval_directions(mt_steps_, bt_steps_)) {
    const text::LanguagePair pair = objectives::dataset_pair(direction);
    pairs.insert({pair.l1, pair.l2});
  }
  std::set<std::string> sentence_langs(ae_steps_.begin(), ae_steps_.end());
  for (const auto& cycle : bt_steps_) sentence_langs.insert(cycle.lang1);
  data_options.mono_langs.assign(mono.begin(), mono.end());
  data_options.para_pairs.assign(pairs.begin(), pairs.end());
  data_options.sentence_langs.assign(sentence_langs.begin(), sentence_langs.end());
  data_options.batch_size = config_.batch_size;
  data_options.bptt = config_.bptt;
  data_options.max_len = config_.max_len;
  data_options.tokens_per_batch = config_.tokens_per_batch;
  data_options.group_by_size = config_.group_by_size;
  data_options.seed = config_.seed;
  data_options.rank = rank;
  data_options.world_size = dp_->world_size();
  data_ = std::make_unique<PretrainData>(data_options);

  objectives::MaskingOptions masking;
  masking.word_pred = config_.word_pred;
  masking.keep_rand = objectives::parse_mask_keep_rand(config_.word_mask_keep_rand);
  masking.sample_alpha = config_.sample_alpha;
  masking.n_words = data_->dictionary().size();
  if (config_.sample_alpha > 0) masking.word_scores = objectives::mask_scores(data_->dictionary(), config_.sample_alpha);
  masking.validate();
  builder_ = std::make_unique<LmBatchBuilder>(langs, masking);

  // ---- model and optimizer
  nn::TransformerConfig model_config;
  model_config.n_words = data_->dictionary().size();
  model_config.emb_dim = config_.emb_dim;
  model_config.n_layers = config_.n_layers;
  model_config.n_heads = config_.n_heads;
  model_config.n_langs = static_cast<int64_t>(langs.size());
  model_config.id2lang = langs;
  model_config.dropout = config_.dropout;
  model_config.attention_dropout = config_.attention_dropout;
  model_config.gelu_activation = config_.gelu_activation;
  model_config.sinusoidal_embeddings = config_.sinusoidal_embeddings;
  model_config.use_lang_emb = config_.use_lang_emb;
  model_config.share_inout_emb = config_.share_inout_emb;
  model_config.causal = !clm_steps_.empty() && mlm_steps_.empty();  // a CLM-only model (metadata)
  model_config.validate();
  const TrainPrecision precision = resolve_train_precision(config_, device_);
  const DType compute = precision.mode.compute_dtype;
  model_ = std::make_unique<nn::TransformerModel>(model_config, config_.seed, device_, compute);
  model_->dropout_stream() = nn::PhiloxStream(rank_seed(text::derive_seed(config_.seed, 1), rank), 0);
  mask_rng_ = text::SplitMix64(rank_seed(text::derive_seed(config_.seed, 2), rank));
  order_rng_ = text::SplitMix64(text::derive_seed(config_.seed, 3));  // the same on every rank: same steps
  noise_rng_ = text::SplitMix64(rank_seed(text::derive_seed(config_.seed, 4), rank));
  std::vector<nn::NamedTensors> trained{model_->parameters()};  // one group per model, clipped on its own
  if (!config_.encoder_only) {
    nn::TransformerConfig decoder_config = model_config;
    decoder_config.is_decoder = true;
    decoder_config.causal = false;
    decoder_ =
        std::make_unique<nn::TransformerModel>(decoder_config, text::derive_seed(config_.seed, 5), device_, compute);
    decoder_->dropout_stream() = nn::PhiloxStream(rank_seed(text::derive_seed(config_.seed, 6), rank), 0);
    // One optimizer over both models (XLM's EncDecTrainer); names prefixed
    // so that the two models' moments do not collide in the checkpoint.
    trained.assign(2, {});
    for (const auto& [name, t] : model_->parameters()) trained[0].emplace_back("encoder." + name, t);
    for (const auto& [name, t] : decoder_->parameters()) trained[1].emplace_back("decoder." + name, t);
  }
  for (const auto& group : trained) trained_.insert(trained_.end(), group.begin(), group.end());
  std::vector<int> clip_group;  // encoder 0, decoder 1: each model is clipped on its own
  for (const auto& [name, t] : trained_) clip_group.push_back(name.rfind("decoder.", 0) == 0 ? 1 : 0);
  const nn::OptimizerSpec optimizer_spec = nn::parse_optimizer_spec(config_.optimizer);
  const bool sharded_masters = config_.zero1;  // ZeRO-1 keeps each rank's slice of the masters
  std::optional<DType> master_dtype;
  if (precision.mode.master_weights) master_dtype = precision.mode.master_dtype;
  dp_->attach(trained_, optimizer_spec, clip_group, master_dtype);
  // All ranks skip an fp16 step together: a logical and of the ranks' finite answers.
  PrecisionStep::Agreement agree;
  if (dp_->world_size() > 1) agree = [this](const std::function<bool()>& local) { return dp_->all_ranks_finite(local); };
  precision_ = std::make_unique<PrecisionStep>(precision.mode, precision.scaling, trained, agree, sharded_masters);
  if (!dp_->zero1()) {
    optimizer_ = std::make_unique<nn::Optimizer>(optimizer_spec, precision_->optimizer_params());
    precision_->fuse_master_passes(*optimizer_);
  }

  // ---- run folder, then reload or resume
  nlohmann::json resolved = config_.to_json();
  if (config_.exp_id.empty()) config_.exp_id = default_exp_id(resolved);
  resolved["exp_id"] = config_.exp_id;
  resolved["device"] = device_.str();
  resolved["precision_mode"] = precision.name;
  resolved["world_size"] = dp_->world_size();
  std::string latest;  // rank 0 looks for the checkpoint to resume; every rank loads the same one
  if (dp_->writes_files()) {
    run_dir_ = make_run_dir(config_.dump_path, config_.exp_name, config_.exp_id);
    write_resolved_config(run_dir_, resolved);
    tee_ = std::make_unique<Tee>(run_log_path(run_dir_));
    metrics_ = std::make_unique<MetricsLog>(run_dir_, true);
    checkpoints_ = std::make_unique<CheckpointStore>(text::join_path(run_dir_, "checkpoints"));
    latest = checkpoints_->latest_complete().value_or("");
  }
  run_dir_ = dp_->broadcast_string(run_dir_);
  latest = dp_->broadcast_string(latest);

  if (!config_.reload_checkpoint.empty()) {
    XLM_CHECK(fs::is_directory(config_.reload_checkpoint), ConfigError, "--reload_checkpoint {}: no such folder",
              config_.reload_checkpoint);
    load_checkpoint(config_.reload_checkpoint);
  } else if (!latest.empty()) {
    say("resuming from {}\n", latest);
    load_checkpoint(latest);
  } else if (!config_.reload_model.empty()) {
    if (config_.encoder_only) {
      reload_into(*model_, config_.reload_model, "--reload_model");
    } else {
      const auto [encoder_path, decoder_path] = split_reload_paths(config_.reload_model);
      if (!encoder_path.empty()) reload_into(*model_, encoder_path, "--reload_model");
      if (!decoder_path.empty()) {
        const std::vector<std::string> fresh = reload_into(*decoder_, decoder_path, "--reload_model");
        if (!fresh.empty())
          say("decoder from {}: {} cross-attention tensors start at random (e.g. {})\n", decoder_path, fresh.size(),
              fresh.front());
      }
    }
    precision_->refresh_masters_from_model();
  }
  say("run folder {}\n", run_dir_);
  say("{}: {} layers, {} dims, {} heads, {} words, {} languages, {} parameters on {}\n",
      encoder_decoder() ? "encoder" : "model", model_config.n_layers, model_config.emb_dim, model_config.n_heads,
      model_config.n_words, model_config.n_langs, count_parameters(*model_), device_.str());
  if (encoder_decoder()) say("decoder: {} parameters\n", count_parameters(*decoder_));
  if (precision.mode.master_weights)
    say("precision {}: model in {}, master weights in {}{}, loss scaling {}\n", precision.name, dtype_name(compute),
        dtype_name(precision.mode.master_dtype), dp_->zero1() ? " (sharded over the ranks)" : "",
        nn::loss_scale_mode_name(precision.scaling.mode));
  dp_->broadcast(trained_);  // identical starting weights on every rank, whatever each loaded
  if (precision_->has_master_weights()) dp_->broadcast(precision_->optimizer_params());  // and masters
  // ZeRO-1's masters: this rank's slice of the checkpoint's, or else of the (broadcast) model.
  if (dp_->zero1() && !zero1_masters_loaded_) dp_->zero1_optimizer().refresh_masters_from_model();
  if (dp_->world_size() > 1) {
    const std::string update = dp_->zero1() ? "ZeRO-1 optimizer shards"
                                            : fmt::format("{} gradient buckets", dp_->reducer()->buckets().size());
    say("data parallel: {} ranks ({}), {}\n", dp_->world_size(), dp_->comm().backend(), update);
  }
}

Trainer::~Trainer() = default;

Scores Trainer::run() {
  if (config_.eval_only) {
    Scores scores = evaluate();
    if (metrics_)
      metrics_->log("valid", n_total_iter_, std::vector<std::pair<std::string, double>>(scores.begin(), scores.end()));
    return scores;
  }
  Scores scores;
  if (epoch_ >= config_.max_epoch)
    say("the run has already trained {} epochs (--max_epoch {}): nothing to do; raise --max_epoch to go on\n", epoch_,
        config_.max_epoch);
  while (epoch_ < config_.max_epoch) {
    say("starting epoch {}\n", epoch_);
    train_epoch();
    scores = evaluate();
    end_epoch(scores);
    if (should_stop(scores)) {
      say("stopping criterion {} reached no better value for the patience\n", config_.stopping_criterion);
      break;
    }
  }
  return scores;
}

void Trainer::train_epoch() {
  n_sentences_ = 0;
  log_clock_ = std::chrono::steady_clock::now();
  model_->set_training(true);
  if (decoder_) decoder_->set_training(true);
  // Prefetch: the next MLM/CLM host batch is built on a background thread
  // while the current step computes, one batch ahead, in the order the steps
  // consume them, so data cursors and mask_rng_ advance exactly as without it.
  // It never crosses the end of the epoch (the checkpoint records cursors and
  // random states there), nor with a decoder the end of an iteration (the MT
  // steps read the same parallel streams and draw from order_rng_).
  std::future<objectives::LmBatch> next;  // the batch of the step after the current one
  std::vector<PlannedStep> plan, next_plan;
  bool planned = false;  // next_plan holds the next iteration's steps
  while (n_sentences_ < config_.epoch_size) {
    plan = planned ? std::move(next_plan) : plan_lm_steps(n_total_iter_);
    planned = false;
    for (size_t i = 0; i < plan.size(); ++i) {
      const objectives::LmBatch batch = next.valid() ? next.get() : build_lm_batch(plan[i].step);
      const LmStep* after = nullptr;
      if (config_.prefetch_batches && i + 1 < plan.size()) {
        after = &plan[i + 1].step;
      } else if (config_.prefetch_batches && !encoder_decoder() &&
                 n_sentences_ + config_.batch_size * dp_->world_size() < config_.epoch_size) {
        next_plan = plan_lm_steps(n_total_iter_ + 1);  // the draws the next iteration would make first
        planned = true;
        if (!next_plan.empty()) after = &next_plan.front().step;
      }
      if (after != nullptr) next = std::async(std::launch::async, [this, step = *after] { return build_lm_batch(step); });
      train_lm_batch(plan[i], batch);
    }
    if (encoder_decoder()) run_encdec_steps();
    end_iteration();
  }
  read_pending_statistics();  // the epoch's last losses, before evaluation and the checkpoint
}

std::vector<Trainer::PlannedStep> Trainer::plan_lm_steps(int64_t iteration) {
  std::vector<PlannedStep> plan;
  for (const auto* steps : {&clm_steps_, &mlm_steps_}) {
    if (steps->empty()) continue;
    std::vector<objectives::Step> specs;
    std::vector<int64_t> sizes;
    for (const LmStep& s : *steps) {
      specs.push_back(s.spec);
      if (s.spec.is_pair()) {
        const text::LanguagePair pair = objectives::dataset_pair(s.spec);
        sizes.push_back(data_->train_pairs(pair.l1, pair.l2));
      } else {
        sizes.push_back(data_->train_sentences(s.spec.lang1));
      }
    }
    const std::string objective = steps->front().objective;
    const double lambda = (objective == "clm" ? lambda_clm_ : lambda_mlm_).value_at(iteration);
    for (const auto& spec : objectives::sample_step_order(specs, sizes, config_.lg_sampling_factor, order_rng_))
      if (lambda != 0.0) plan.push_back(PlannedStep{LmStep{objective, spec}, lambda});
  }
  return plan;
}

objectives::LmBatch Trainer::build_lm_batch(const LmStep& step) {
  if (step.spec.is_pair()) {
    const text::LanguagePair pair = objectives::dataset_pair(step.spec);
    return builder_->pair_batch(step, data_->para(pair.l1, pair.l2).train->next(), mask_rng_);
  }
  return builder_->stream_batch(step, data_->mono(step.spec.lang1).train->next(), mask_rng_);
}

void Trainer::train_lm_batch(const PlannedStep& planned, const objectives::LmBatch& batch) {
  // The host batch: lm_loss uploads it and scans the host targets. Handed a
  // device batch, it would read the targets back, a wait for the whole forward.
  backward_and_update(objectives::lm_loss(*model_, batch), planned.step.loss_name(), planned.lambda);
  const int64_t rows = batch.words.size(0), cols = batch.words.size(1);
  n_sentences_ += config_.batch_size * dp_->world_size();  // every rank's sentences count
  words_since_log_ += rows * cols;
  flops_since_log_ += training_flops(model_->config(), rows, cols, objectives::n_predicted(batch));
}

void Trainer::backward_and_update(Tensor loss, const std::string& name, double lambda) {
  pending_losses_.push_back(PendingLoss{name, loss.detach(), n_total_iter_});  // read at the next log line
  if (lambda != 1.0) loss = scale(loss, lambda);
  {
    const auto reduce_during_backward = dp_->backward_hook((n_backward_ + 1) % config_.accumulate_gradients == 0);
    precision_->scale_loss(loss).backward();
  }
  ++n_backward_;
  if (n_backward_ % config_.accumulate_gradients == 0) {
    if (dp_->zero1()) {
      // The guarded order on each rank's shard: unscale, check, all ranks agree, then update (or skip everywhere).
      Zero1Optimizer& zero = dp_->zero1_optimizer();
      const Zero1StepResult result = zero.step(config_.clip_grad_norm, [&](const nn::NamedTensors& shard) {
        return precision_->check_gradients(shard, zero.n_updates());
      });
      if (result.stepped) pending_grad_norms_ = result.norms;  // read when logged, as below
      zero.zero_grad();
    } else {
      dp_->average_gradients();
      // Each model clipped on its own, as XLM's optimize(); the logged norm is their joint norm.
      // A non-finite gradient (fp16 overflow on any rank) skips the step on every rank.
      const PrecisionStepResult result = precision_->step(*optimizer_, config_.clip_grad_norm);
      if (result.stepped) pending_grad_norms_ = result.group_norms;  // read when logged
    }
    dp_->after_update(trained_, optimizer_ ? optimizer_->n_updates() : dp_->zero1_optimizer().n_updates());
  }
}

double Trainer::current_lr() const { return optimizer_ ? optimizer_->lr() : dp_->zero1_optimizer().lr(); }

void Trainer::run_encdec_steps() {
  // XLM's train.py order: auto-encoder steps (every language once, shuffled),
  // MT steps (drawn as the pair LM steps are), back-translation (shuffled).
  if (!ae_steps_.empty()) {
    std::vector<objectives::Step> steps;
    for (const std::string& lang : ae_steps_) steps.push_back(objectives::Step{lang, ""});
    const double lambda = lambda_ae_.value_at(n_total_iter_);
    for (const auto& step : objectives::shuffled_steps(steps, order_rng_)) run_ae_step(step.lang1, lambda);
  }
  if (!mt_steps_.empty()) {
    std::vector<int64_t> sizes;
    for (const auto& direction : mt_steps_) {
      const text::LanguagePair pair = objectives::dataset_pair(direction);
      sizes.push_back(data_->train_pairs(pair.l1, pair.l2));
    }
    const double lambda = lambda_mt_.value_at(n_total_iter_);
    for (const auto& direction : objectives::sample_step_order(mt_steps_, sizes, config_.lg_sampling_factor, order_rng_))
      run_mt_step(direction, lambda);
  }
  if (!bt_steps_.empty()) {
    const double lambda = lambda_bt_.value_at(n_total_iter_);
    for (const auto& cycle : objectives::shuffled_steps(bt_steps_, order_rng_)) run_bt_step(cycle, lambda);
  }
}

void Trainer::run_ae_step(const std::string& lang, double lambda) {
  if (lambda == 0.0) return;
  const text::ParallelBatch sentences = data_->sentences(lang).train->next();
  const objectives::Sentences noisy = objectives::add_noise({sentences.x1, sentences.len1}, noise_, noise_rng_);
  const int64_t id = builder_->lang_id(lang);
  train_mt_batch("ae_" + lang, objectives::mt_batch(noisy.words, noisy.lengths, id, sentences.x1, sentences.len1, id),
                 lambda);
}

void Trainer::run_mt_step(const objectives::Step& direction, double lambda) {
  if (lambda == 0.0) return;
  const text::LanguagePair pair = objectives::dataset_pair(direction);
  train_mt_batch("mt_" + direction.name(),
                 direction_batch(direction, data_->para(pair.l1, pair.l2).train->next(), *builder_), lambda);
}

void Trainer::run_bt_step(const objectives::Step& cycle, double lambda) {
  if (lambda == 0.0) return;
  const text::ParallelBatch sentences = data_->sentences(cycle.lang1).train->next();
  const objectives::MtBatch batch =
      back_translation_batch(*model_, *decoder_, sentences.x1, sentences.len1, builder_->lang_id(cycle.lang1),
                             builder_->lang_id(cycle.lang2));
  train_mt_batch(fmt::format("bt_{}-{}-{}", cycle.lang1, cycle.lang2, cycle.lang1), batch, lambda);
}

void Trainer::train_mt_batch(const std::string& name, const objectives::MtBatch& batch, double lambda) {
  // The host batch, as for train_lm_batch: mt_loss uploads it and scans the host targets.
  backward_and_update(objectives::mt_loss(*model_, *decoder_, batch), name, lambda);
  const int64_t rows = batch.x1.size(0), src = batch.x1.size(1), tgt = batch.x2.size(1);
  n_sentences_ += config_.batch_size * dp_->world_size();  // every rank's sentences count
  words_since_log_ += rows * (src + tgt);
  flops_since_log_ += training_flops(model_->config(), rows, src, 0) +
                      training_flops(decoder_->config(), rows, tgt, batch.targets.size(0));
}

void Trainer::end_iteration() {
  ++n_total_iter_;
  ++iters_since_log_;
  if (n_total_iter_ % config_.log_every == 0) log_progress();
}

void Trainer::read_pending_statistics() {
  for (const PendingLoss& pending : pending_losses_) {
    const float loss_value = static_cast<float>(pending.value.item());
    XLM_CHECK(std::isfinite(loss_value), Error,
              "{} loss is {} at iteration {}: training diverged (lower the learning rate?)", pending.name, loss_value,
              pending.iteration);
    loss_history_[pending.name].push_back(loss_value);
    auto& sum = loss_sums_[pending.name];
    sum.first += loss_value;
    sum.second += 1;
  }
  pending_losses_.clear();
  if (!pending_grad_norms_.empty()) {
    PrecisionStepResult stepped;
    stepped.group_norms = std::move(pending_grad_norms_);
    last_grad_norm_ = stepped.grad_norm();
    pending_grad_norms_.clear();
  }
}

void Trainer::log_progress() {
  read_pending_statistics();  // before the clock: the reads wait for the device to finish the steps timed
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - log_clock_).count();
  const DeviceFigures figures = device_figures(device_);
  std::vector<std::pair<std::string, double>> scalars;
  for (const auto& [name, sum] : loss_sums_)
    if (sum.second > 0) scalars.emplace_back(name, sum.first / static_cast<double>(sum.second));
  scalars.emplace_back("lr", current_lr());
  scalars.emplace_back("gnorm", last_grad_norm_);
  if (precision_->scaler().mode() != nn::LossScaleMode::off) {
    scalars.emplace_back("loss_scale", precision_->scaler().scale());
    scalars.emplace_back("overflows", static_cast<double>(precision_->scaler().overflows()));
    scalars.emplace_back("skipped_steps", static_cast<double>(precision_->scaler().skipped_steps()));
  }
  scalars.emplace_back("ms_per_step", iters_since_log_ > 0 ? 1000.0 * seconds / iters_since_log_ : 0.0);
  scalars.emplace_back("tokens_per_s", seconds > 0 ? words_since_log_ / seconds : 0.0);
  scalars.emplace_back("mfu", seconds > 0 && figures.peak_flops > 0 ? flops_since_log_ / seconds / figures.peak_flops
                                                                    : 0.0);
  scalars.emplace_back("mem_mib", figures.memory_mib);
  if (metrics_) metrics_->log("train", n_total_iter_, scalars);
  loss_sums_.clear();
  words_since_log_ = 0;
  iters_since_log_ = 0;
  flops_since_log_ = 0;
  log_clock_ = std::chrono::steady_clock::now();
}

Scores Trainer::evaluate() {
  std::vector<LmStep> steps = clm_steps_;
  steps.insert(steps.end(), mlm_steps_.begin(), mlm_steps_.end());
  // Sharded over the ranks; every rank gets the whole figures (best saves and stopping agree).
  const EvalRanks ranks = dp_->eval_ranks();
  const std::vector<std::string> splits{"valid", "test"};
  Scores scores = evaluate_lm(*model_, *data_, steps, *builder_, splits, ranks);
  if (encoder_decoder()) {
    const Scores mt = evaluate_mt(*model_, *decoder_, *data_, mt_eval_directions(mt_steps_, bt_steps_), *builder_,
                                  mt_eval_, splits, ranks);
    scores.insert(mt.begin(), mt.end());
  }
  return scores;
}

nn::NamedTensors Trainer::gather_zero1_masters() {
  if (!dp_->zero1() || !dp_->zero1_optimizer().has_master_weights()) return {};
  return dp_->zero1_optimizer().gather_masters();
}

void Trainer::save_models(const std::string& dir, const nn::NamedTensors& zero1_masters) const {
  // Model directories hold f32 (the masters in mixed precision), so that they load anywhere.
  auto fp32_copy = [&](const nn::TransformerModel& model, const std::string& prefix) {
    return zero1_masters.empty() ? precision_->fp32_model(model, prefix)
                                 : PrecisionStep::fp32_model(model, prefix, zero1_masters);
  };
  const auto encoder_copy = fp32_copy(*model_, encoder_decoder() ? "encoder." : "");
  const nn::TransformerModel& encoder = encoder_copy ? *encoder_copy : *model_;
  if (!encoder_decoder()) {
    nn::save_model_dir(dir, encoder, data_->vocab_path(), data_->codes_path());
    return;
  }
  const auto decoder_copy = fp32_copy(*decoder_, "decoder.");
  save_mt_model_dir(dir, encoder, decoder_copy ? *decoder_copy : *decoder_, data_->vocab_path(),
                    data_->codes_path());
}

void Trainer::load_models(const std::string& dir) {
  auto copy_into = [](nn::TransformerModel& model, const nn::TransformerModel& source, const std::string& path) {
    std::map<std::string, Tensor> weights;
    for (auto& [name, t] : source.state_dict()) weights[name] = t;
    model.load_state_dict(weights, path);
  };
  if (!encoder_decoder()) {
    copy_into(*model_, *nn::load_model_dir(dir, device_).model, dir);
    return;
  }
  const LoadedMtModel loaded = load_mt_model_dir(dir, device_);
  copy_into(*model_, *loaded.encoder.model, text::join_path(dir, "encoder"));
  copy_into(*decoder_, *loaded.decoder.model, text::join_path(dir, "decoder"));
}

void Trainer::end_epoch(const Scores& scores) {
  std::vector<std::pair<std::string, double>> valid, test;
  for (const auto& [name, value] : scores) (name.rfind("valid_", 0) == 0 ? valid : test).emplace_back(name, value);
  valid.emplace_back("epoch", static_cast<double>(epoch_));
  test.emplace_back("epoch", static_cast<double>(epoch_));
  if (metrics_) {
    metrics_->log("valid", n_total_iter_, valid);
    metrics_->log("test", n_total_iter_, test);
  }
  save_best_models(scores);
  ++epoch_;
  save_checkpoint();
}

void Trainer::save_best_models(const Scores& scores) {
  for (const std::string& item : split_commas(config_.validation_metrics)) {
    const auto [metric, lower_is_better] = parse_metric(item);
    auto it = scores.find(metric);
    XLM_CHECK(it != scores.end(), ConfigError, "--validation_metrics: '{}' is not a metric of this run (e.g. {})",
              metric, scores.empty() ? std::string("none") : scores.begin()->first);
    auto best = best_metrics_.find(metric);
    const bool better = best == best_metrics_.end() ||
                        (lower_is_better ? it->second < best->second : it->second > best->second);
    if (!better) continue;
    best_metrics_[metric] = it->second;
    const nn::NamedTensors zero1_masters = gather_zero1_masters();  // collective: every rank sees the same scores
    const std::string dir = text::join_path(run_dir_, "best-" + metric);
    dp_->run_on_rank0(fmt::format("saving the best model {}", dir), [&] {
      save_models(dir, zero1_masters);
      say("new best {} = {:.4f}: saved {}\n", metric, it->second, dir);
    });
  }
}

bool Trainer::should_stop(const Scores& scores) {
  if (config_.stopping_criterion.empty()) return false;
  const size_t comma = config_.stopping_criterion.find(',');
  const auto [metric, lower_is_better] = parse_metric(config_.stopping_criterion.substr(0, comma));
  const int64_t patience = std::stoll(config_.stopping_criterion.substr(comma + 1));
  auto it = scores.find(metric);
  XLM_CHECK(it != scores.end(), ConfigError, "--stopping_criterion: '{}' is not a metric of this run", metric);
  const bool better =
      !best_stopping_ || (lower_is_better ? it->second < *best_stopping_ : it->second > *best_stopping_);
  if (better) {
    best_stopping_ = it->second;
    epochs_without_progress_ = 0;
  } else {
    ++epochs_without_progress_;
  }
  return epochs_without_progress_ >= patience;
}

nlohmann::json Trainer::rank_state() const {
  nlohmann::json state;
  state["dropout_stream"] = {{"seed", model_->dropout_stream().seed()},
                             {"offset", model_->dropout_stream().offset()}};
  state["mask_rng"] = mask_rng_.state();
  if (encoder_decoder()) {
    state["noise_rng"] = noise_rng_.state();
    state["decoder_dropout_stream"] = {{"seed", decoder_->dropout_stream().seed()},
                                       {"offset", decoder_->dropout_stream().offset()}};
  }
  nlohmann::json cursors;
  for (const auto& [lang, splits] : data_->all_mono()) cursors["mono:" + lang] = splits.train->cursor().to_json();
  for (const auto& [pair, splits] : data_->all_para()) cursors["para:" + pair] = splits.train->cursor().to_json();
  for (const auto& [lang, splits] : data_->all_sentences()) cursors["sent:" + lang] = splits.train->cursor().to_json();
  state["cursors"] = cursors;
  return state;
}

void Trainer::restore_rank_state(const nlohmann::json& state) {
  model_->dropout_stream() = nn::PhiloxStream(state.at("dropout_stream").at("seed").get<uint64_t>(),
                                              state.at("dropout_stream").at("offset").get<uint64_t>());
  mask_rng_ = text::SplitMix64(state.at("mask_rng").get<uint64_t>());
  if (encoder_decoder()) {
    noise_rng_ = text::SplitMix64(state.at("noise_rng").get<uint64_t>());
    decoder_->dropout_stream() = nn::PhiloxStream(state.at("decoder_dropout_stream").at("seed").get<uint64_t>(),
                                                  state.at("decoder_dropout_stream").at("offset").get<uint64_t>());
  }
  const nlohmann::json& cursors = state.at("cursors");
  for (auto& [lang, splits] : data_->all_mono())
    splits.train->restore(text::DataCursor::from_json(cursors.at("mono:" + lang)));
  for (auto& [pair, splits] : data_->all_para())
    splits.train->restore(text::DataCursor::from_json(cursors.at("para:" + pair)));
  for (auto& [lang, splits] : data_->all_sentences())
    splits.train->restore(text::DataCursor::from_json(cursors.at("sent:" + lang)));
}

void Trainer::save_checkpoint() {
  // Rank 0's own state at the top level (the one-rank layout); with several
  // ranks, every rank's under "ranks" (gathered: a collective, as is ZeRO-1's
  // gathering of the optimizer moments), then rank 0 alone writes.
  nlohmann::json state = rank_state();
  state["epoch"] = epoch_;
  state["n_total_iter"] = n_total_iter_;
  state["n_backward"] = n_backward_;
  state["optimizer"] = optimizer_ ? optimizer_->state_json() : dp_->zero1_optimizer().state_json();
  state["loss_scaler"] = precision_->state_json();  // the same on every rank
  state["order_rng"] = order_rng_.state();
  state["best_metrics"] = best_metrics_;
  state["best_stopping"] = best_stopping_ ? nlohmann::json(*best_stopping_) : nlohmann::json(nullptr);
  state["epochs_without_progress"] = epochs_without_progress_;
  if (dp_->world_size() > 1) state["ranks"] = dp_->all_gather_json(rank_state());
  const nn::NamedTensors moments = optimizer_ ? optimizer_->state() : dp_->zero1_optimizer().state();
  const nn::NamedTensors zero1_masters = gather_zero1_masters();
  // Rank 0 writes; a failure there (disk full, EFBIG) reaches every rank at once.
  dp_->run_on_rank0(fmt::format("saving the checkpoint of iteration {}", n_total_iter_), [&] {
    const std::string path = checkpoints_->write(n_total_iter_, [&](const std::string& dir) {
      save_models(text::join_path(dir, kModelFolder), zero1_masters);
      save_safetensors(text::join_path(dir, kOptimizerState), moments);
      if (precision_->has_master_weights())
        save_safetensors(text::join_path(dir, kMasterWeights), precision_->optimizer_params());
      else if (!zero1_masters.empty())
        save_safetensors(text::join_path(dir, kMasterWeights), zero1_masters);  // the same file as without ZeRO-1
      std::ofstream out(text::join_path(dir, kTrainerState));
      out << state.dump(2) << "\n";
      out.close();
      XLM_CHECK(out.good(), Error, "{}: write failed", text::join_path(dir, kTrainerState));
    });
    std::set<std::string> keep;
    if (config_.save_periodic > 0) {
      for (const std::string& done : checkpoints_->complete()) {
        const nlohmann::json s = read_json_file(text::join_path(done, kTrainerState));
        if (s.at("epoch").get<int64_t>() % config_.save_periodic == 0) keep.insert(done);
      }
    }
    checkpoints_->prune(keep);
    say("saved checkpoint {}\n", path);
  });
}

void Trainer::load_checkpoint(const std::string& path) {
  CheckpointStore::verify(path);  // every file against its MANIFEST checksum, before anything is read
  const std::string state_path = text::join_path(path, kTrainerState);
  const nlohmann::json state = read_json_file(state_path);
  try {
    load_models(text::join_path(path, kModelFolder));
    SafetensorsContents moments = load_safetensors(text::join_path(path, kOptimizerState));
    if (optimizer_) optimizer_->load_state(moments.tensors, state.at("optimizer"));
    else dp_->zero1_optimizer().load_state(moments.tensors, state.at("optimizer"));
    // A run without loss scaling ignores a saved scale: an fp16 checkpoint may go on in bf16 or fp32.
    if (state.contains("loss_scaler") && precision_->scaler().mode() != nn::LossScaleMode::off)
      precision_->load_state(state.at("loss_scaler"));
    if (precision_->mode().master_weights) {
      const std::string masters = text::join_path(path, kMasterWeights);
      XLM_CHECK(fs::exists(masters), FormatError,
                "{}: missing; this checkpoint was written by a run without master weights (another --precision)",
                masters);
      if (precision_->has_master_weights()) {
        precision_->load_masters(load_safetensors(masters).tensors, masters);
      } else {  // ZeRO-1: this rank's slice
        dp_->zero1_optimizer().load_masters(load_safetensors(masters).tensors, masters);
        zero1_masters_loaded_ = true;
      }
    }
    epoch_ = state.at("epoch").get<int64_t>();
    n_total_iter_ = state.at("n_total_iter").get<int64_t>();
    n_backward_ = state.at("n_backward").get<int64_t>();
    order_rng_ = text::SplitMix64(state.at("order_rng").get<uint64_t>());
    // Per-rank states: a checkpoint resumes with the number of ranks that wrote it.
    const int64_t saved_ranks = state.contains("ranks") ? static_cast<int64_t>(state.at("ranks").size()) : 1;
    XLM_CHECK(saved_ranks == dp_->world_size(), ConfigError,
              "{}: written by {} rank(s), this run has {}: the data cursors and random streams are per rank, so "
              "resume with {} rank(s)",
              path, saved_ranks, dp_->world_size(), saved_ranks);
    restore_rank_state(saved_ranks > 1 ? state.at("ranks").at(static_cast<size_t>(dp_->rank())) : state);
    best_metrics_ = state.at("best_metrics").get<std::map<std::string, double>>();
    best_stopping_.reset();
    if (!state.at("best_stopping").is_null()) best_stopping_ = state.at("best_stopping").get<double>();
    epochs_without_progress_ = state.at("epochs_without_progress").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("{}: missing or mistyped field ({})", state_path, e.what()));
  }
  if (metrics_) metrics_->truncate_after(n_total_iter_);
  say("resumed at epoch {}, iteration {}\n", epoch_, n_total_iter_);
}

}  // namespace xlm::tasks
