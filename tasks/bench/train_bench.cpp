// See train_bench.h. The clock reads after a loss.item() (a device sync) at
// both ends, so queued GPU work is inside the measured interval; inside the
// timed loop the only host syncs are the ones the trainer's step has
// (gradient clipping returns the norm), so the figures are those of
// `xlm train`.
#include "tasks/bench/train_bench.h"

#include "core/device_figures.h"
#include "core/error.h"
#include "nn/guarded_step.h"
#include "nn/master_weights.h"
#include "nn/optimizer.h"
#include "nn/precision_mode.h"
#include "nn/transformer.h"
#include "objectives/lm_loss.h"
#include "tasks/bench/random_batches.h"
#include "tasks/bench/start_dump.h"
#include "tasks/pretrain/throughput.h"
#include "tasks/pretrain/train_config.h"
#include "text/shuffle.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <memory>
#include <optional>
#include <vector>

namespace xlm::tasks {

namespace {

constexpr int64_t kDistinctBatches = 4;  // per objective; cycled through the steps

// One training step as the trainer takes it, with nn/'s mixed-precision pieces.
class BenchStep {
 public:
  BenchStep(const TrainBenchConfig& config, Device device, const nn::PrecisionMode& mode)
      : device_(device), clip_(config.clip_grad_norm), scaler_(scale_options(mode)) {
    model_ = std::make_unique<nn::TransformerModel>(config.model_config(), config.seed, device, mode.compute_dtype);
    model_->dropout_stream() = nn::PhiloxStream(text::derive_seed(config.seed, 1), 0);
    model_->set_training(true);
    nn::NamedTensors trained = model_->parameters();
    if (mode.master_weights) {
      master_.emplace(trained, mode.master_dtype);
      trained = master_->master();
    }
    optimizer_ = std::make_unique<nn::Optimizer>(nn::parse_optimizer_spec(config.optimizer), trained);
  }

  const nn::TransformerModel& model() const { return *model_; }

  // Forward, backward, clip, update; returns the (undetached, on-device) loss.
  Tensor run(const objectives::LmBatch& host_batch) {
    const objectives::LmBatch batch = objectives::to_device(host_batch, device_);
    Tensor loss = objectives::lm_loss(*model_, batch);
    scaler_.scale_loss(loss).backward();
    if (master_) master_->copy_grads_to_master();
    nn::guarded_step(*optimizer_, scaler_, clip_);
    if (master_) {
      master_->copy_master_to_model();
      for (auto& [name, p] : master_->model()) {
        Tensor param = p;
        param.zero_grad();
      }
    }
    optimizer_->zero_grad();
    return loss;
  }

 private:
  static nn::LossScaleOptions scale_options(const nn::PrecisionMode& mode) {
    nn::LossScaleOptions o;
    o.mode = mode.loss_scale;
    return o;
  }

  Device device_;
  double clip_;
  nn::LossScaler scaler_;
  std::unique_ptr<nn::TransformerModel> model_;
  std::optional<nn::MasterWeights> master_;
  std::unique_ptr<nn::Optimizer> optimizer_;
};

double finite_loss(const Tensor& loss, int64_t step) {
  const double value = loss.item();
  XLM_CHECK(std::isfinite(value), Error, "xlm bench train: loss {} at step {} is not finite", value, step);
  return value;
}

}  // namespace

TrainBenchResult run_train_bench(const TrainBenchConfig& config, std::ostream* log) {
  config.validate();
  const Device device = Device::parse(resolve_device(config.device));
  nn::PrecisionFlags flags;
  flags.precision = config.precision;
  const nn::PrecisionMode mode = nn::resolve_precision(flags, device);

  // ---- batches (host), before the model so their memory is not the step's
  objectives::MaskingOptions masking;
  masking.word_pred = config.word_pred;
  masking.keep_rand = objectives::parse_mask_keep_rand(config.word_mask_keep_rand);
  masking.n_words = config.n_words;
  masking.validate();
  text::SplitMix64 rng(text::derive_seed(config.seed, 2));
  std::vector<objectives::LmBatch> batches;  // MLM, or MLM and TLM alternating
  for (int64_t i = 0; i < kDistinctBatches; ++i) {
    batches.push_back(random_mlm_batch(config.batch_size, config.bptt, i % config.n_langs, config.n_langs, masking, rng));
    if (config.tlm)  // pairs with the first language, as XNLI-15's en-xx parallel data
      batches.push_back(random_tlm_batch(config.batch_size, config.bptt, 0, 1 + i % (config.n_langs - 1), masking, rng));
  }

  BenchStep step(config, device, mode);
  const nn::TransformerConfig& model_config = step.model().config();
  TrainBenchResult r;
  r.device = device.str();
  r.precision = nn::precision_name(mode.precision);
  r.parameters = count_parameters(step.model());
  r.steps = config.steps;
  if (log)
    *log << fmt::format("bench train: shape {}, {} layers, {} dims, {} heads, {} words, {} languages, {} parameters, "
                        "{} x {} {}, {} on {}\n",
                        config.shape, model_config.n_layers, model_config.emb_dim, model_config.n_heads,
                        model_config.n_words, model_config.n_langs, r.parameters, config.batch_size, config.bptt,
                        config.tlm ? "MLM+TLM" : "MLM", r.precision, r.device);

  if (!config.dump_start.empty()) dump_start(config.dump_start, step.model(), batches);

  size_t next = 0;
  auto next_batch = [&]() -> const objectives::LmBatch& { return batches[next++ % batches.size()]; };
  Tensor loss;
  for (int64_t i = 0; i < config.warmup; ++i) loss = step.run(next_batch());
  if (loss.defined()) finite_loss(loss, config.warmup - 1);

  double tokens = 0, flops = 0;
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  for (int64_t i = 0; i < config.steps; ++i) {
    const objectives::LmBatch& batch = next_batch();
    loss = step.run(batch);
    const int64_t rows = batch.words.size(0), cols = batch.words.size(1);
    tokens += static_cast<double>(rows * cols);
    flops += training_flops(model_config, rows, cols, objectives::n_predicted(batch));
  }
  r.last_loss = finite_loss(loss, config.warmup + config.steps - 1);  // waits for the device
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;

  const DeviceFigures figures = device_figures(device);
  r.device_name = figures.name;
  r.peak_flops = mode.precision == nn::Precision::fp32 ? figures.peak_flops : figures.peak_tensor_flops;
  r.tokens_per_step = tokens / static_cast<double>(config.steps);
  r.flops_per_step = flops / static_cast<double>(config.steps);
  r.tokens_per_s = tokens / r.seconds;
  r.ms_per_step = 1000.0 * r.seconds / static_cast<double>(config.steps);
  r.mfu = r.peak_flops > 0 ? flops / r.seconds / r.peak_flops : 0.0;
  r.peak_memory_mib = figures.peak_memory_mib;
  return r;
}

std::string format_train_bench(const TrainBenchResult& r) {
  return fmt::format("tokens/s: {:.0f}\nms/step: {:.2f}\nmfu: {:.2f}%\npeak memory: {:.0f} MiB\n", r.tokens_per_s,
                     r.ms_per_step, 100.0 * r.mfu, r.peak_memory_mib);
}

}  // namespace xlm::tasks
