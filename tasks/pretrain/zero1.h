// --zero1 true: ZeRO stage 1 (Rajbhandari et al., 2020): the optimizer's
// moments are sharded over the ranks instead of replicated. The parameters
// are laid out in one flat buffer (padded to a multiple of the world size);
// each step reduce_scatters (mean) the flat gradient so that rank r receives
// the average of its slice only, clips with the global norm (per clip group:
// the encoder and the decoder are clipped apart, as the trainer does), runs
// the ordinary optimizer (nn::Optimizer over one tensor: the rank's slice of
// the flat parameter copy), and all_gathers the updated slices back into
// every replica. The arithmetic per element is that of plain data
// parallelism, so the two agree up to the reduction order of the collective.
//
// One difference: a parameter without a gradient in a step gets a zero
// gradient here (its Adam moments decay), where the plain optimizer skips it.
// Checkpoints are interchangeable with the plain optimizer's: state()
// gathers the moments into the usual per-parameter names.
#pragma once

#include "core/communicator.h"
#include "nn/named_tensors.h"
#include "nn/optimizer.h"
#include "tasks/pretrain/comm_watchdog.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace xlm::tasks {

class Zero1Optimizer {
 public:
  // params: one dtype, one device. clip_group[i]: the clip group of params[i] (0..n-1).
  Zero1Optimizer(Communicator& comm, CommWatchdog& watchdog, const nn::OptimizerSpec& spec, nn::NamedTensors params,
                 std::vector<int> clip_group);

  // Collective, after the backward pass that ends an accumulation: averages
  // the gradients (reduce_scatter), clips each group to max_norm (> 0),
  // updates this rank's slice, gathers every slice into the parameters.
  // Returns each group's global gradient norm before clipping.
  std::vector<double> step(double max_norm);
  void zero_grad();
  double lr() const { return optimizer_->lr(); }
  int64_t n_updates() const { return optimizer_->n_updates(); }
  int64_t shard_size() const { return shard_; }  // elements of the flat buffer this rank updates

  // Collective: the whole moments under the plain optimizer's names ("exp_avg.<param>").
  nn::NamedTensors state();
  nlohmann::json state_json() const;  // the plain optimizer's layout
  // Restores what a plain or a ZeRO-1 run saved (any world size).
  void load_state(const std::map<std::string, Tensor>& tensors, const nlohmann::json& j);

 private:
  void copy_params_to_flat();
  // Calls f(group, view) for each part of this rank's shard that belongs to a parameter.
  template <typename F>
  void for_each_shard_part(F&& f) const;

  Communicator& comm_;
  CommWatchdog& watchdog_;
  nn::NamedTensors params_;
  std::vector<int> clip_group_;
  int n_groups_ = 1;
  std::vector<int64_t> offsets_;  // element offset of each parameter in the flat buffers
  int64_t n_ = 0;                 // elements of all parameters
  int64_t shard_ = 0;             // ceil(n / world_size)
  Tensor flat_param_;             // (shard * world_size)
  Tensor flat_grad_;              // (shard * world_size)
  Tensor shard_param_;            // (shard) view of flat_param_: this rank's slice, what optimizer_ updates
  Tensor shard_grad_;             // (shard) view of flat_grad_
  std::unique_ptr<nn::Optimizer> optimizer_;
};

}  // namespace xlm::tasks
