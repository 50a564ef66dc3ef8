// --zero1 true: ZeRO stage 1 (Rajbhandari et al., 2020): the optimizer's
// state is sharded over the ranks instead of replicated. The parameters are
// laid out in one flat buffer (padded to a multiple of the world size); each
// step reduce_scatters (mean) the flat gradient so that rank r receives the
// average of its slice only, runs the guard (mixed precision: unscale, finite
// check, the ranks' agreement and the loss scaler, all before any update),
// clips with the global norm (per clip group: the encoder and the decoder are
// clipped apart, as the trainer does), runs the ordinary optimizer on the
// rank's slice, and all_gathers the updated slices back into every replica.
//
// Mixed precision (bf16/fp16; f32 model with f64 masters in the CPU test
// mode): the flat buffers hold the model's dtype, and each rank keeps the
// master weights of its slice only, in the master dtype, next to the moments
// of that slice. The reduced slice of the (still loss-scaled) gradient is
// cast to the master dtype, unscaled and checked there; the update writes the
// masters, which are rounded into the model's dtype before the all_gather.
// The arithmetic per element is that of plain data parallelism with
// PrecisionStep, so the two agree up to the reduction order of the collective.
//
// The optimizer updates one tensor per parameter part (the part of each
// parameter that lies in this rank's slice, a view of the slice), so a
// parameter that got no gradient in a step is skipped (moments, step count
// and weight decay untouched) exactly as the plain optimizer skips it. Like
// the gradient buckets, this assumes that all ranks run the same steps, so
// the same parameters receive gradients on every rank.
// Checkpoints are interchangeable with the plain path's: state() gathers the
// moments and gather_masters() the masters under the usual per-parameter names.
#pragma once

#include "core/communicator.h"
#include "nn/named_tensors.h"
#include "nn/optimizer.h"
#include "tasks/pretrain/comm_watchdog.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace xlm::tasks {

struct Zero1StepResult {
  bool stepped = false;       // false: the guard refused (non-finite gradients on some rank)
  // Each clip group's global gradient norm before clipping (when stepped), a
  // one-element f64 tensor on the device: reading it (item()) waits for the device.
  std::vector<Tensor> norms;
};

class Zero1Optimizer {
 public:
  // Called on every rank with this rank's parts of the parameters (named as
  // the parameters, in the master dtype, their averaged gradients attached,
  // parts without a gradient have none), before any update: unscales them in
  // place and returns whether all ranks may step (it must agree over the ranks).
  using Guard = std::function<bool(const nn::NamedTensors& shard_parts)>;

  // params: one dtype, one device. clip_group[i]: the clip group of params[i]
  // (0..n-1). master_dtype: the dtype of the sharded masters and moments;
  // unset or the parameters' dtype = no master copy (fp32 training).
  Zero1Optimizer(Communicator& comm, CommWatchdog& watchdog, const nn::OptimizerSpec& spec, nn::NamedTensors params,
                 std::vector<int> clip_group, std::optional<DType> master_dtype = std::nullopt);

  // Collective, after the backward pass that ends an accumulation: averages
  // the gradients (reduce_scatter), runs `guard` (none: always step), clips
  // each group to max_norm (when > 0), updates this rank's slice, gathers
  // every slice into the parameters. A refused step changes nothing.
  Zero1StepResult step(double max_norm, const Guard& guard);
  // The same without a guard; returns each group's global norm before clipping (read back).
  std::vector<double> step(double max_norm);
  void zero_grad();  // drops the parameters' gradients
  double lr() const { return optimizer_->lr(); }
  int64_t n_updates() const { return optimizer_->n_updates(); }
  int64_t shard_size() const { return shard_; }  // elements of the flat buffer this rank updates
  bool has_master_weights() const { return mixed_; }
  const nn::NamedTensors& shard_parts() const { return parts_; }  // what the optimizer updates

  // Collective: the whole moments under the plain optimizer's names ("exp_avg.<param>").
  nn::NamedTensors state();
  nlohmann::json state_json() const;  // the plain optimizer's layout
  // Restores what a plain or a ZeRO-1 run saved (any world size).
  void load_state(const std::map<std::string, Tensor>& tensors, const nlohmann::json& j);

  // Master weights (mixed precision). Collective: the whole masters by
  // parameter name (the plain path's master.safetensors layout).
  nn::NamedTensors gather_masters();
  // This rank's slice of the masters from whole tensors by name (a
  // checkpoint's); FormatError naming `source` and the missing or mis-shaped entry.
  void load_masters(const std::map<std::string, Tensor>& tensors, const std::string& source);
  // masters = cast(parameters): after the parameters were set (initial broadcast, a reload).
  void refresh_masters_from_model();

 private:
  struct Part {
    size_t param;        // index into params_
    int64_t begin, end;  // element range within this rank's slice
    int64_t offset;      // element offset of `begin` within the parameter
  };
  void copy_params_to_flat();
  void drop_part_grads();

  Communicator& comm_;
  CommWatchdog& watchdog_;
  nn::NamedTensors params_;
  std::vector<int> clip_group_;
  int n_groups_ = 1;
  bool mixed_ = false;            // masters in another dtype than the parameters
  std::vector<int64_t> offsets_;  // element offset of each parameter in the flat buffers
  int64_t n_ = 0;                 // elements of all parameters
  int64_t shard_ = 0;             // ceil(n / world_size)
  Tensor flat_param_;             // (shard * world_size) parameters' dtype
  Tensor flat_grad_;              // (shard * world_size) parameters' dtype
  Tensor shard_param_;            // (shard) view of flat_param_: this rank's slice
  Tensor shard_grad_;             // (shard) view of flat_grad_
  Tensor shard_master_;           // (shard) master dtype; shard_param_ itself without masters
  Tensor shard_master_grad_;      // (shard) master dtype; shard_grad_ itself without masters
  std::vector<Part> part_of_;     // the parameters' parts in this slice, in order
  nn::NamedTensors parts_;        // (end - begin) views of shard_master_, named as their parameters
  std::vector<int64_t> param_steps_;  // updates each parameter took (all parameters, every rank alike)
  std::unique_ptr<nn::Optimizer> optimizer_;
};

}  // namespace xlm::tasks
