// See train_bench.h. The clock reads after a loss.item() (a device sync) at
// both ends, so queued GPU work is inside the measured interval; inside the
// timed loop the step waits for the device only where the trainer's does
// (nowhere in fp32 and bf16, on the finite flag in fp16), so the figures are
// those of `xlm train`. On one GPU, kHostProbes more steps then measure the
// host's enqueue time alone (host_enqueue.h). With --overlap every step is
// timed on its own (started after a barrier, ended by the loss's read), the
// kinds interleaved, and each kind's median is the slowest rank's (a
// data-parallel step ends when the slowest rank's does).
#include "tasks/bench/train_bench.h"

#include "core/device_figures.h"
#include "core/error.h"
#include "core/op_profile.h"
#include "nn/optimizer.h"
#include "nn/precision_mode.h"
#include "nn/transformer.h"
#include "objectives/lm_loss.h"
#include "tasks/bench/allreduce_bench.h"
#include "tasks/bench/host_enqueue.h"
#include "tasks/bench/random_batches.h"
#include "tasks/bench/start_dump.h"
#include "tasks/pretrain/data_parallel.h"
#include "tasks/pretrain/precision_step.h"
#include "tasks/pretrain/throughput.h"
#include "tasks/pretrain/train_config.h"
#include "text/shuffle.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace xlm::tasks {

namespace {

constexpr int64_t kDistinctBatches = 4;  // per objective; cycled through the steps
constexpr int kHostProbes = 3;           // extra steps timed on the host alone (one rank, GPU)

// One training step as the trainer takes it: the trainer's PrecisionStep
// (master weights written by the update pass, loss scaling, clipping on the
// device) around forward and backward.
class BenchStep {
 public:
  // dp: the ranks' gradient averaging (--overlap), or nullptr.
  BenchStep(const TrainBenchConfig& config, Device device, const nn::PrecisionMode& mode, DataParallel* dp)
      : clip_(config.clip_grad_norm), dp_(dp) {
    model_ = std::make_unique<nn::TransformerModel>(config.model_config(), config.seed, device, mode.compute_dtype);
    model_->dropout_stream() = nn::PhiloxStream(text::derive_seed(config.seed, 1), 0);
    model_->set_training(true);
    const nn::NamedTensors trained = model_->parameters();
    if (dp_) dp_->broadcast(trained);  // identical replicas, as xlm train starts them
    PrecisionStep::Agreement agree;
    if (dp_) agree = [dp](const std::function<bool()>& local) { return dp->all_ranks_finite(local); };
    nn::LossScaleOptions scaling;
    scaling.mode = mode.loss_scale;
    precision_ = std::make_unique<PrecisionStep>(mode, scaling, std::vector<nn::NamedTensors>{trained}, agree);
    const nn::OptimizerSpec spec = nn::parse_optimizer_spec(config.optimizer);
    optimizer_ = std::make_unique<nn::Optimizer>(spec, precision_->optimizer_params());
    precision_->fuse_master_passes(*optimizer_);
    // The model's gradients are reduced (in its dtype), as the trainer's buckets do.
    if (dp_) dp_->attach(trained, spec, std::vector<int>(trained.size(), 0));
  }

  const nn::TransformerModel& model() const { return *model_; }

  // Forward, backward, (gradient average across the ranks when `reduce` and
  // data-parallel), clip, update; returns the (undetached, on-device) loss.
  Tensor run(const objectives::LmBatch& host_batch, bool reduce) {
    const bool average = reduce && dp_;
    Tensor loss = objectives::lm_loss(*model_, host_batch);  // uploads it; scans the host targets (no read back)
    {
      const auto hook = average ? dp_->backward_hook(true) : nullptr;  // buckets start during backward
      precision_->scale_loss(loss).backward();
    }
    if (average) dp_->average_gradients();
    precision_->step(*optimizer_, clip_);  // drops every gradient, stepped or not
    if (average) dp_->after_update(model_->parameters(), ++updates_);
    return loss;
  }

 private:
  double clip_;
  std::unique_ptr<nn::TransformerModel> model_;
  std::unique_ptr<PrecisionStep> precision_;
  std::unique_ptr<nn::Optimizer> optimizer_;
  DataParallel* dp_;
  int64_t updates_ = 0;
};

double finite_loss(const Tensor& loss, int64_t step) {
  const double value = loss.item();
  XLM_CHECK(std::isfinite(value), Error, "xlm bench train: loss {} at step {} is not finite", value, step);
  return value;
}

}  // namespace

TrainBenchResult run_train_bench(const TrainBenchConfig& config, std::ostream* log) {
  config.validate();
  Device device = Device::parse(resolve_device(config.device));
  std::unique_ptr<DataParallel> dp;
  if (config.overlap) {
    std::shared_ptr<Communicator> comm = make_training_communicator(device);  // cuda:<local rank> on GPUs
    XLM_CHECK(comm->world_size() > 1, ConfigError,
              "--overlap: needs several ranks (start with mpirun -np N, srun, or torchrun's variables); "
              "this process is the only one");
    DataParallelOptions options;
    options.bucket_mb = config.bucket_mb;
    dp = std::make_unique<DataParallel>(comm, options);
  }
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

  BenchStep step(config, device, mode, dp.get());
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
  for (int64_t i = 0; i < config.warmup; ++i) loss = step.run(next_batch(), true);
  if (loss.defined()) finite_loss(loss, config.warmup - 1);

  double tokens = 0, flops = 0;
  auto count = [&](const objectives::LmBatch& batch) {
    const int64_t rows = batch.words.size(0), cols = batch.words.size(1);
    tokens += static_cast<double>(rows * cols);
    flops += training_flops(model_config, rows, cols, objectives::n_predicted(batch));
  };
  int64_t step_index = config.warmup;
  if (!dp) {
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    for (int64_t i = 0; i < config.steps; ++i) {
      const objectives::LmBatch& batch = next_batch();
      loss = step.run(batch, true);
      count(batch);
    }
    r.last_loss = finite_loss(loss, config.warmup + config.steps - 1);  // waits for the device
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    // On the CPU a step's host time is the step. The stand-in cpu:1 (core/device.h)
    // probes anyway: its figure is the whole step, but whether a step reads back is checked.
    if (device != Device::cpu()) {
      r.host_probed = true;
      if (const auto t = host_enqueue_times([&] { step.run(next_batch(), true); }, device, kHostProbes)) {
        r.ms_per_step_host = t->host_ms;
        r.ms_per_step_queued = t->queued_ms;
      }
    }
    if (config.profile > 0) {
      // After the timed steps, so profiling's own host work is not in their figures.
      profile::Session session;
      const auto profile_start = std::chrono::steady_clock::now();
      for (int64_t i = 0; i < config.profile; ++i) loss = step.run(next_batch(), true);
      finite_loss(loss, config.warmup + config.steps + config.profile - 1);  // waits for the device
      r.profile_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - profile_start).count();
      r.profile_steps = config.profile;
      r.profile = session.rows();
    }
  } else {
    // Interleaved, so that the three share the machine's conditions (a shared
    // machine's load drifts between phases): per iteration a compute-only
    // step, a data-parallel step on the same batch, and the reduction of
    // buffers of the reducer's buckets alone (zeros: time_all_reduce's
    // rule), each started after a barrier and ended when the device is done;
    // each kind's median, then the slowest rank's.
    Communicator& comm = dp->comm();
    const GradReducer& reducer = *dp->reducer();
    std::vector<Tensor> buffers;
    for (const GradReducer::Bucket& b : reducer.buckets()) {
      buffers.push_back(Tensor::zeros({b.flat.numel()}, b.flat.dtype(), b.flat.device()));  // (n)
      r.gradient_bytes += static_cast<double>(b.flat.nbytes());
    }
    auto since = [](std::chrono::steady_clock::time_point t0) {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    auto time_step = [&](const objectives::LmBatch& batch, bool reduce) {
      dp->barrier();
      const auto t0 = std::chrono::steady_clock::now();
      loss = step.run(batch, reduce);
      r.last_loss = finite_loss(loss, step_index++);  // waits for the device
      return since(t0);
    };
    std::vector<double> t_compute, t_dp, t_allreduce;
    for (int64_t i = 0; i < config.steps; ++i) {
      const objectives::LmBatch& batch = next_batch();
      t_compute.push_back(time_step(batch, false));
      const std::clock_t cpu_start = std::clock();
      t_dp.push_back(time_step(batch, true));
      r.cpu_seconds += static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
      count(batch);
      dp->barrier();
      const auto t0 = std::chrono::steady_clock::now();
      reduce_buffers(comm, buffers, ReduceOp::mean, true);
      const std::string failure = comm.wait_idle(DataParallelOptions{}.comm_timeout_s);  // the device's work too
      XLM_CHECK(failure.empty(), Error, "xlm bench train --overlap: all-reduce of the gradient buckets: {}", failure);
      t_allreduce.push_back(since(t0));
    }
    auto slowest_median = [&](const std::vector<double>& mine) {
      Tensor t = Tensor::from_vector(std::vector<double>{median_of(mine)}, {1}, comm.device());  // (1)
      comm.all_reduce(t, ReduceOp::max);
      return t.to(Device::cpu()).to_vector<double>()[0];
    };
    const double step_dp = slowest_median(t_dp);
    r.seconds = step_dp * static_cast<double>(config.steps);  // so that ms/step and tokens/s are the median's
    r.ms_per_step_compute = 1000.0 * slowest_median(t_compute);
    r.ms_allreduce = 1000.0 * slowest_median(t_allreduce);
    r.world_size = dp->world_size();
    r.backend = comm.backend();
    r.buckets = static_cast<int64_t>(reducer.buckets().size());
    r.started_during_backward = reducer.started_during_backward();
  }

  const DeviceFigures figures = device_figures(device);
  r.device_name = figures.name;
  r.peak_flops = mode.precision == nn::Precision::fp32 ? figures.peak_flops : figures.peak_tensor_flops;
  r.tokens_per_step = tokens / static_cast<double>(config.steps);
  r.flops_per_step = flops / static_cast<double>(config.steps);
  r.tokens_per_s = tokens / r.seconds;
  r.ms_per_step = 1000.0 * r.seconds / static_cast<double>(config.steps);
  r.mfu = r.peak_flops > 0 ? flops / r.seconds / r.peak_flops : 0.0;
  r.peak_memory_mib = figures.peak_memory_mib;
  if (dp) r.overlap = overlap_fraction(r.ms_per_step, r.ms_per_step_compute, r.ms_allreduce);
  return r;
}

double overlap_fraction(double t_dp, double t_compute, double t_allreduce) {
  if (t_allreduce <= 0) return 0.0;
  return std::clamp(1.0 - (t_dp - t_compute) / t_allreduce, 0.0, 1.0);
}

std::string format_train_bench(const TrainBenchResult& r) {
  std::string text = fmt::format("tokens/s: {:.0f}\nms/step: {:.2f}\nmfu: {:.2f}%\npeak memory: {:.0f} MiB\n",
                                 r.tokens_per_s, r.ms_per_step, 100.0 * r.mfu, r.peak_memory_mib);
  if (r.host_probed) {
    const char* none = "n/a (a step waits for the device)";
    text += r.ms_per_step_host ? fmt::format("host ms/step: {:.2f}\n", *r.ms_per_step_host)
                               : fmt::format("host ms/step: {}\n", none);
    text += r.ms_per_step_queued ? fmt::format("queued ms/step: {:.2f}\n", *r.ms_per_step_queued)
                                 : fmt::format("queued ms/step: {}\n", none);
  }
  return text;
}

std::string format_overlap(const TrainBenchResult& r) {
  if (r.world_size < 2) return "";
  return fmt::format(
      "data-parallel: {} ranks ({}), {:.0f} bytes of gradients in {} bucket(s), {} started during backward\n"
      "ms/step compute only: {:.2f}\n"
      "ms all-reduce of the gradients: {:.2f}\n"
      "overlap: {:.1f}% (1 - (t_dp - t_compute) / t_allreduce, clamped to [0, 1])\n",
      r.world_size, r.backend, r.gradient_bytes, r.buckets, r.started_during_backward, r.ms_per_step_compute,
      r.ms_allreduce, 100.0 * r.overlap);
}

std::string format_profile(const TrainBenchResult& r) {
  if (r.profile_steps == 0) return "";
  const double steps = static_cast<double>(r.profile_steps);
  auto ms = [&](double seconds) { return 1000.0 * seconds / steps; };
  auto share = [&](double seconds) { return r.ms_per_step > 0 ? 100.0 * ms(seconds) / r.ms_per_step : 0.0; };
  double total = 0;
  std::map<std::string, std::array<double, 3>> by_region;  // seconds per phase
  for (const profile::Row& row : r.profile) {
    total += row.seconds;
    by_region[row.region][static_cast<size_t>(row.phase)] += row.seconds;
  }
  std::vector<std::string> regions;  // largest total first
  for (const auto& [name, phases] : by_region) regions.push_back(name);
  std::string text = fmt::format(
      "profile: {} steps, {:.2f} ms/step profiled ({:.2f} timed); backend calls {:.2f} ms/step ({:.1f}% of a "
      "timed step)\n",
      r.profile_steps, ms(r.profile_seconds), r.ms_per_step, ms(total), share(total));
  std::stable_sort(regions.begin(), regions.end(), [&](const std::string& a, const std::string& b) {
    const auto& x = by_region[a];
    const auto& y = by_region[b];
    return x[0] + x[1] + x[2] > y[0] + y[1] + y[2];
  });
  for (const std::string& name : regions) {
    const auto& p = by_region[name];
    text += fmt::format("profile region: {} forward {:.3f} ms, backward {:.3f} ms, update {:.3f} ms ({:.1f}%)\n",
                        name, ms(p[0]), ms(p[1]), ms(p[2]), share(p[0] + p[1] + p[2]));
  }
  for (const profile::Row& row : r.profile)
    text += fmt::format("profile call: {} {} {} calls/step {:.2f}, ms/step {:.3f} ({:.1f}%)\n", row.region,
                        profile::phase_name(row.phase), row.call, static_cast<double>(row.calls) / steps,
                        ms(row.seconds), share(row.seconds));
  return text;
}

nlohmann::json train_bench_json(const TrainBenchConfig& c, const TrainBenchResult& r) {
  nlohmann::json j = {{"benchmark", "train"},
                      {"shape", c.shape},
                      {"model", {{"n_words", c.n_words}, {"emb_dim", c.emb_dim}, {"n_layers", c.n_layers},
                                 {"n_heads", c.n_heads}, {"n_langs", c.n_langs}}},
                      {"batch_size", c.batch_size},
                      {"bptt", c.bptt},
                      {"tlm", c.tlm},
                      {"optimizer", c.optimizer},
                      {"device", r.device},
                      {"device_name", r.device_name},
                      {"precision", r.precision},
                      {"parameters", r.parameters},
                      {"steps", r.steps},
                      {"warmup", c.warmup},
                      {"seconds", r.seconds},
                      {"cpu_seconds", r.cpu_seconds},
                      {"tokens_per_s", r.tokens_per_s},
                      {"ms_per_step", r.ms_per_step},
                      {"mfu", r.mfu},
                      {"peak_memory_mib", r.peak_memory_mib},
                      {"last_loss", r.last_loss}};
  if (r.host_probed) {
    j["ms_per_step_host"] = r.ms_per_step_host ? nlohmann::json(*r.ms_per_step_host) : nlohmann::json(nullptr);
    j["ms_per_step_queued"] =
        r.ms_per_step_queued ? nlohmann::json(*r.ms_per_step_queued) : nlohmann::json(nullptr);
  }
  if (r.profile_steps > 0) {
    nlohmann::json rows = nlohmann::json::array();
    for (const profile::Row& row : r.profile)
      rows.push_back({{"region", row.region},
                      {"phase", profile::phase_name(row.phase)},
                      {"call", row.call},
                      {"calls", row.calls},
                      {"seconds", row.seconds}});
    j["profile"] = {{"steps", r.profile_steps}, {"seconds", r.profile_seconds}, {"rows", rows}};
  }
  if (r.world_size > 1)
    j["data_parallel"] = {{"world_size", r.world_size},
                          {"backend", r.backend},
                          {"bucket_mb", c.bucket_mb},
                          {"buckets", r.buckets},
                          {"gradient_bytes", r.gradient_bytes},
                          {"started_during_backward", r.started_during_backward},
                          {"ms_per_step_dp", r.ms_per_step},
                          {"ms_per_step_compute", r.ms_per_step_compute},
                          {"ms_allreduce", r.ms_allreduce},
                          {"overlap", r.overlap},
                          {"overlap_formula", "1 - (t_dp - t_compute) / t_allreduce, clamped to [0, 1]"}};
  return j;
}

}  // namespace xlm::tasks
