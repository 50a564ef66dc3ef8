// The optimizer step of `xlm train` in every precision mode, in one object so
// that the trainer calls the same two functions (scale_loss before backward,
// step after it) whether the run is fp32, bf16 or fp16. It owns what mixed
// precision adds around the optimizer: the master weights (the optimizer is
// built on optimizer_params(), which are the masters when there are any), the
// loss scaler, and the guarded order
//
//   grads to master -> agree_all_ranks(unscale + finite check: the local
//   answer) -> scaler.update(agreed) -> [finite: clip each group, optimizer.step(),
//   masters to model] -> zero every gradient
//
// so that a skipped step leaves parameters, moments, step counts and the
// learning rate untouched (on one rank, or on every rank together: the
// contract of issue 6, item 4). "grads to master", the unscale and "masters
// to model" are passes of their own, unless fuse_master_passes() has handed
// them to the optimizer (the trainer does this): its multi-tensor Adam then
// reads the model's bf16/f16 gradients, multiplies them by the clip factor
// with 1/scale folded in, and writes the rounded weight in the pass that
// updates the master; the finite check only reads the model's gradients, and
// the norm is theirs with the scale divided out. The masters then hold no
// gradients (4 bytes a parameter less), and per step every gradient is read
// three times in its low precision instead of being copied, rewritten and
// read twice in fp32. Bit for bit the same step when the loss scale is a
// power of two (always, with the default growth and backoff factors).
// Data parallelism plugs in at two seams:
// the model gradients must be complete (reduced across ranks) before step(),
// and agree_all_ranks computes this rank's finite answer and combines the
// ranks' answers (a logical and over all ranks) so that all ranks skip
// together. It is handed the local check rather than its result because the
// check reads a device flag, and on a GPU that read waits for the gradient
// collectives: the data-parallel side must bound that wait (--comm_timeout).
// In fp32 nothing is copied or scaled and step() is clip + step, bit for bit
// what the trainer did before mixed precision existed. Clipping stays on the
// device (nn::clip_factor_on_device: each clip group's factor, applied by the
// optimizer as it reads the gradients), so step() reads nothing back to the
// host except, with loss scaling, the finite flag that decides the skip (the
// step counter and the lr schedule depend on it, as with PyTorch's GradScaler).
// With --zero1 the masters are sharded (Zero1Optimizer keeps each rank's
// slice): constructed with sharded_masters, this object holds no master copy
// and lends ZeRO-1 the middle of the guarded order, check_gradients().
#pragma once

#include "nn/loss_scaler.h"
#include "nn/master_weights.h"
#include "nn/optimizer.h"
#include "nn/precision_mode.h"
#include "nn/transformer.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace xlm::tasks {

struct PrecisionStepResult {
  bool stepped = false;  // false: non-finite gradients on some rank, the step was skipped
  // Each group's norm before clipping, one-element f64 tensors still on the
  // device (empty when skipped): step() reads nothing back, a log line does.
  std::vector<Tensor> group_norms;
  // The joint norm sqrt(sum of the groups' squared norms): one host read per group.
  double grad_norm() const;
};

class PrecisionStep {
 public:
  // All ranks' answer to "are the gradients finite", given the function
  // that computes this rank's answer (unscale + finite check, which reads a
  // device flag). Empty: one rank, the local answer is the answer.
  using Agreement = std::function<bool(const std::function<bool()>& local_finite)>;

  // groups: the model parameters, one group per model (each group is clipped
  // on its own, as XLM's optimize() clips each model), names unique across
  // groups, dtype mode.compute_dtype. agree_all_ranks empty = one rank.
  // The environment variable XLM_TEST_INJECT_INF_AT_STEP=N calls
  // inject_inf_at(N) (a test hook; ConfigError when loss scaling is off).
  // sharded_masters: the masters live elsewhere (ZeRO-1); none is made here.
  PrecisionStep(const nn::PrecisionMode& mode, const nn::LossScaleOptions& scaling,
                std::vector<nn::NamedTensors> groups, Agreement agree_all_ranks = {}, bool sharded_masters = false);

  // The tensors the optimizer updates: the masters, or the model parameters
  // in fp32 (and with sharded masters, which this object does not hold).
  const nn::NamedTensors& optimizer_params() const;
  bool has_master_weights() const { return masters_ != nullptr; }  // replicated masters, held here
  const nn::PrecisionMode& mode() const { return mode_; }
  const nn::LossScaler& scaler() const { return scaler_; }
  void set_agreement(Agreement agree_all_ranks);
  // Mixed precision: `optimizer` (built on optimizer_params()) reads the
  // model's gradients and writes the model's weights as it updates the masters
  // (nn::Optimizer::set_master_of, rounded as MasterWeights rounds), and
  // step() with that optimizer skips its own grads-to-master, unscale and
  // masters-to-model passes (see the header). A parameter without a gradient
  // is skipped either way, so the model stays cast(masters). No-op without
  // replicated masters.
  void fuse_master_passes(nn::Optimizer& optimizer);

  // loss * S before backward (the loss itself when scaling is off).
  Tensor scale_loss(const Tensor& loss) const;
  // After backward (gradients complete): the guarded order of the header
  // (fused or not, see fuse_master_passes). Every gradient (model and master)
  // is dropped afterwards, stepped or not.
  PrecisionStepResult step(nn::Optimizer& optimizer, double clip_norm);
  // The guard of that order on gradients already in the master dtype (all of
  // them, or this rank's shard of them): the test hook's inf, unscale in
  // place, finite check, all ranks' agreement, scaler update. Returns whether
  // the optimizer may step; n_updates: the optimizer's count so far.
  bool check_gradients(const nn::NamedTensors& params, int64_t n_updates);

  // Test hook: the attempt numbered `attempt` (1-based: n_updates + skipped
  // steps + 1, so it survives a resume) sees an inf gradient on this rank.
  void inject_inf_at(int64_t attempt);

  // Checkpoints: the scaler's state (nn::LossScaler::state_json) ...
  nlohmann::json state_json() const { return scaler_.state_json(); }
  void load_state(const nlohmann::json& j) { scaler_.load_state(j); }
  // ... and the masters by name. load_masters copies `tensors` (any device,
  // the masters' dtype) into the masters, then rounds them into the model;
  // FormatError naming `source` and the missing or mis-shaped entry.
  void load_masters(const std::map<std::string, Tensor>& tensors, const std::string& source);
  // masters = cast(model), after model weights were loaded from a file.
  void refresh_masters_from_model();

  // For model directories, which hold f32 so that they load anywhere: an f32
  // copy of `model`, on the host, whose parameters are the masters named prefix + name, or
  // nullptr when `model` is already f32 (its weights are what to save).
  std::unique_ptr<nn::TransformerModel> fp32_model(const nn::TransformerModel& model,
                                                   const std::string& prefix) const;
  // The same from masters held elsewhere (ZeRO-1's gathered masters, by name).
  static std::unique_ptr<nn::TransformerModel> fp32_model(const nn::TransformerModel& model, const std::string& prefix,
                                                          const nn::NamedTensors& masters);

 private:
  // check_gradients' order; unscale false: the finite check only reads (the
  // fused step, whose optimizer divides the scale out).
  bool guard(const nn::NamedTensors& params, int64_t n_updates, bool unscale);
  void inject_inf(const nn::NamedTensors& params) const;
  void zero_grads() const;

  nn::PrecisionMode mode_;
  nn::LossScaler scaler_;
  nn::NamedTensors model_params_;             // all groups, in order
  std::unique_ptr<nn::MasterWeights> masters_;  // when mode_.master_weights
  const nn::Optimizer* fused_ = nullptr;       // the optimizer fuse_master_passes() was given
  std::vector<nn::NamedTensors> model_groups_;  // the model parameters by group (the constructor's)
  std::vector<nn::NamedTensors> clip_groups_;   // optimizer_params() split as the groups
  Agreement agree_;
  std::optional<int64_t> inject_at_;
};

}  // namespace xlm::tasks
