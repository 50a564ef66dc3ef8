// What `xlm train` needs from the ranks of a data-parallel job, in one place
// so that the trainer only calls it at a few points: the initial broadcast
// of rank 0's weights, the gradient hook around the backward pass that ends
// an accumulation, the gradient average (buckets) or the ZeRO-1 update, the
// bounded wait and the weight-hash check after an update, and the gathering
// of every rank's random states and data cursors for rank 0's checkpoint.
// With one rank (no launcher) it uses the single-rank communicator and adds
// no work: no buckets, no watchdog thread, no collective with a cost.
#pragma once

#include "core/communicator.h"
#include "core/grad_ready.h"
#include "nn/named_tensors.h"
#include "nn/optimizer_parse.h"
#include "tasks/pretrain/comm_watchdog.h"
#include "tasks/pretrain/grad_reducer.h"
#include "tasks/pretrain/lm_evaluator.h"
#include "tasks/pretrain/zero1.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace xlm::tasks {

struct DataParallelOptions {
  double bucket_mb = 25;
  bool zero1 = false;
  double comm_timeout_s = 600;    // 0 = no watchdog
  int64_t check_weights_every = 0;  // updates; 0 = off
};

// The communicator `xlm train` runs on, from the launcher's environment:
// one rank without a launcher; with several ranks on CUDA, `device` becomes
// cuda:<local rank> (one GPU per process; ConfigError when the launcher does
// not give the local rank), or cuda:0 when the process sees one GPU only
// (srun --gpus-per-task=1, a per-rank CUDA_VISIBLE_DEVICES).
std::shared_ptr<Communicator> make_training_communicator(Device& device);

// Sends std::cout to nowhere for its lifetime (ranks other than 0 stay
// silent; errors go to stderr and are still seen).
class QuietStdout {
 public:
  QuietStdout() : saved_(std::cout.rdbuf(&null_)) {}
  ~QuietStdout() { std::cout.rdbuf(saved_); }
  QuietStdout(const QuietStdout&) = delete;
  QuietStdout& operator=(const QuietStdout&) = delete;

 private:
  struct NullBuffer : std::streambuf {
    int overflow(int c) override { return traits_type::not_eof(c); }
  };
  NullBuffer null_;
  std::streambuf* saved_;
};

class DataParallel {
 public:
  DataParallel(std::shared_ptr<Communicator> comm, const DataParallelOptions& options);

  Communicator& comm() { return *comm_; }
  int rank() const { return comm_->rank(); }
  int world_size() const { return comm_->world_size(); }
  bool writes_files() const { return comm_->rank() == 0; }  // logs, metrics, checkpoints
  bool zero1() const { return zero1_ != nullptr; }

  // Every rank's tensors take rank 0's values (initial weights).
  void broadcast(const nn::NamedTensors& tensors);
  // The trained parameters and how they are updated. clip_group[i]: which
  // group params[i] is clipped with (ZeRO-1 only; the plain path clips per model).
  // master_dtype: ZeRO-1's sharded master weights (mixed precision; unset: none).
  void attach(const nn::NamedTensors& params, const nn::OptimizerSpec& spec, const std::vector<int>& clip_group,
              std::optional<DType> master_dtype = std::nullopt);

  // Around a backward pass: returns the gradient hook for the pass that ends
  // an accumulation on several ranks (nullptr otherwise: nothing to overlap).
  std::unique_ptr<autograd::GradReadyScope> backward_hook(bool ends_accumulation);
  // After that backward pass: gradients averaged over the ranks (plain path;
  // ZeRO-1 averages inside its step).
  void average_gradients();
  Zero1Optimizer& zero1_optimizer() { return *zero1_; }

  // After an update: bounded wait for the device's collectives, then the
  // weight-hash comparison every --check_weights_every updates.
  void after_update(const nn::NamedTensors& params, int64_t n_updates);

  // How the ranks share an evaluation (batch i on rank i mod N; sums and
  // gathers under the watchdog). One rank: the default, unsharded.
  EvalRanks eval_ranks();

  // Collective: every rank's `mine`, in rank order, on every rank.
  nlohmann::json all_gather_json(const nlohmann::json& mine);
  // Collective: rank 0's `text` on every rank.
  std::string broadcast_string(const std::string& text);
  // Collective: rank 0 runs `work` (a save), the others wait for its outcome.
  // If it throws, rank 0 rethrows its own exception and every other rank
  // throws at once an Error "rank 0 of N failed while <what>: <cause>"
  // (instead of waiting in the next collective until --comm_timeout).
  void run_on_rank0(const std::string& what, const std::function<void()>& work);
  void barrier();
  // Collective: whether every rank's local_finite() is true (the all-ranks
  // agreement of tasks::PrecisionStep, so that all ranks skip an fp16 step
  // together). local_finite reads a device flag, a read that waits for the
  // gradient collectives: they are drained under --comm_timeout first, and
  // the agreement's own read stays watched too.
  bool all_ranks_finite(const std::function<bool()>& local_finite);

  const GradReducer* reducer() const { return reducer_.get(); }

 private:
  std::shared_ptr<Communicator> comm_;
  DataParallelOptions options_;
  std::unique_ptr<CommWatchdog> watchdog_;
  std::unique_ptr<GradReducer> reducer_;
  std::unique_ptr<Zero1Optimizer> zero1_;
};

}  // namespace xlm::tasks
