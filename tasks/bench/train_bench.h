// `xlm bench train`: times whole training steps (forward, backward, gradient
// clipping, optimizer update) of the model `xlm train` would build, on
// random batches prepared before the clock starts, and reports the figures
// the performance issue asks for. A step is what the Trainer runs for one
// LM batch (tasks/pretrain/trainer.cpp), through the trainer's own
// PrecisionStep (master weights and loss scaling when --precision is bf16
// or fp16, clipping on the device). The batches
// are generated up front (a few distinct ones, cycled) so that the figures
// are the engine's, not the random generator's; each step still copies its
// batch to the device, as the trainer does.
//
// With --overlap on several ranks (mpirun, srun, torchrun variables) each
// step also averages the gradients through tasks/pretrain's DataParallel and
// GradReducer, exactly as `xlm train` does (buckets started from the
// grad-ready hook during backward); the same ranks then also time the steps
// with the reduction skipped (compute only) and the reduction of the
// reducer's buckets alone, and report the fraction of the reduction hidden
// under backward:
//   overlap = 1 - (t_dp - t_compute) / t_allreduce, clamped to [0, 1].
#pragma once

#include "core/op_profile.h"
#include "tasks/bench/train_bench_config.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace xlm::tasks {

struct TrainBenchResult {
  std::string device;          // "cpu", "cuda:0"
  std::string device_name;     // the CPU model or GPU name
  std::string precision;       // "fp32", "bf16", "fp16"
  int64_t parameters = 0;      // trainable scalars
  int64_t steps = 0;           // timed steps
  double seconds = 0;          // wall time of the timed steps
  double cpu_seconds = 0;      // process CPU time (all threads) of the timed steps: on a shared
                               // machine, what the steps cost whatever the other processes do
  double tokens_per_step = 0;  // mean B x T over the timed steps (padding included)
  double flops_per_step = 0;   // mean training_flops over the timed steps
  double peak_flops = 0;       // the MFU denominator (fp32 peak, or tensor-core peak in bf16/fp16)
  double tokens_per_s = 0;
  double ms_per_step = 0;
  double mfu = 0;              // fraction of peak_flops (0 when the peak is unknown)
  double peak_memory_mib = 0;  // CPU: the process's high-water resident set; CUDA: our pool's high-water mark
  double last_loss = 0;        // the last timed step's loss (a sanity check: finite, about ln(n_words))
  // One rank on a GPU only: host_enqueue_times (tasks/bench/host_enqueue.h)
  // of kHostProbes extra steps after the timed ones; empty when a step waited
  // for the device (fp16's finite flag) or when not probed (host_probed).
  bool host_probed = false;
  std::optional<double> ms_per_step_host;    // until the step was enqueued
  std::optional<double> ms_per_step_queued;  // the device's work left when it was
  // --overlap only (the fields above are then the data-parallel steps', the largest over the ranks):
  int world_size = 1;
  std::string backend;             // the communicator's: "mpi", "nccl"
  double ms_per_step_compute = 0;  // the same ranks and steps with the reduction skipped
  double ms_allreduce = 0;         // the reducer's buckets alone (started, then finished), median
  double gradient_bytes = 0;       // per rank, all buckets
  int64_t buckets = 0;
  int64_t started_during_backward = 0;  // buckets started from the hook in the last step
  double overlap = 0;              // overlap_fraction(ms_per_step, ms_per_step_compute, ms_allreduce)
  // --profile N only: N more steps after the timed ones (and the host
  // probes) with a profile::Session open (core/op_profile.h).
  int64_t profile_steps = 0;
  double profile_seconds = 0;          // wall time of the profiled steps (profiling's own cost included)
  std::vector<profile::Row> profile;   // totals over the profiled steps, largest first
};

// 1 - (t_dp - t_compute) / t_allreduce, clamped to [0, 1] (0 when t_allreduce <= 0).
double overlap_fraction(double t_dp, double t_compute, double t_allreduce);

// Builds the model and optimizer, runs config.warmup untimed steps then
// config.steps timed ones. Progress lines go to `log` when given.
// ConfigError on bad fields; Error when a loss is not finite.
TrainBenchResult run_train_bench(const TrainBenchConfig& config, std::ostream* log = nullptr);

// The four report lines, in this order and spelling (scripts parse them):
//   tokens/s: N      (integer)
//   ms/step: X       (two decimals)
//   mfu: P%          (two decimals)
//   peak memory: M MiB (integer)
// and, when host_probed, a fifth and a sixth:
//   host ms/step: X    (two decimals; "n/a (a step waits for the device)" without a figure)
//   queued ms/step: Y  (two decimals; the same "n/a ..." without a figure)
std::string format_train_bench(const TrainBenchResult& result);
// The --overlap lines (empty without --overlap):
//   data-parallel: N ranks (backend), B bytes of gradients in K bucket(s) ..., S started during backward
//   ms/step compute only: X
//   ms all-reduce of the gradients: Y
//   overlap: P% (1 - (t_dp - t_compute) / t_allreduce, clamped to [0, 1])
std::string format_overlap(const TrainBenchResult& result);
// The --profile lines (empty without --profile): a header
//   profile: N steps, X ms/step profiled (Y timed); backend calls Z ms/step (P% of a timed step)
// then one line per region (forward / backward / update ms per step, share
// of a timed step), then the calls, largest first:
//   profile call: REGION PHASE CALL calls/step C, ms/step X (P%)
std::string format_profile(const TrainBenchResult& result);
// Every field, for --json.
nlohmann::json train_bench_json(const TrainBenchConfig& config, const TrainBenchResult& result);

}  // namespace xlm::tasks
