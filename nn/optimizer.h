// The optimizer of a training run: XLM's Adam (bias-corrected, decoupled weight
// decay) or plain SGD, driven by one of XLM's learning-rate schedules. It owns
// the moments (zeros like each parameter, on its device, made at construction)
// and a step count per parameter, and updates parameter storage in place.
//
// Gradient accumulation needs nothing here: backward() adds into .grad, so a
// trainer runs several forward/backward passes, then clip_grad_norm (optional)
// and step() once, then zero_grad().
//
// A parameter without a gradient at a step is skipped entirely (its moments,
// step count and weight decay are untouched), as PyTorch does with grads set
// to None; zero_grad() drops gradients rather than zeroing them.
//
// Checkpoints: state() (moments) + state_json() (counters) restore the
// optimizer bit for bit with load_state(); the learning rate is a function of
// n_updates, so nothing else is needed.
#pragma once

#include "nn/lr_schedule.h"
#include "nn/named_tensors.h"
#include "nn/optimizer_parse.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace xlm::nn {

class Optimizer {
 public:
  // Completes `spec` (ConfigError on bad keys); params: unique, defined, floating tensors.
  Optimizer(const OptimizerSpec& spec, NamedTensors params);

  // Sets lr from the schedule (lr_at(n_updates)), updates every parameter that
  // has a gradient (see set_master_of for where it is read), then increments
  // n_updates.
  // grad_factors: empty, or one per parameter (params() order), each undefined
  // or a one-element f64 tensor on that parameter's device (gradient
  // clipping's factor, nn/grad_clip.h): the gradient is used multiplied by it,
  // as scale_by would have scaled it in place, bit for bit, but without that
  // pass (Adam reads it in its multi-tensor update); the stored gradients are
  // left as they are.
  void step(const std::vector<Tensor>& grad_factors = {});
  void zero_grad();  // drops the parameters' gradients (and the model's, with set_master_of)
  // Mixed precision: params() are the master copies of `model` (MasterWeights::
  // master() of MasterWeights::model(): the same names in the same order, the
  // same shapes and devices, `model` of one floating dtype). Then step() reads
  // each parameter's gradient from its model tensor, in the model's dtype
  // (converted as it is read: the masters need no gradient of their own, so
  // no cast pass and no master-dtype copy of every gradient), and writes
  // model[i] = params[i] rounded to the model's dtype after each update, in the
  // same pass (Adam: the multi-tensor kernel's copy-out). A parameter is
  // updated when its model tensor has a gradient. The result is bit for bit
  // that of copying the gradients to the masters, stepping, and rounding the
  // masters into the model. Empty turns it off. Error naming the first mismatch.
  void set_master_of(const NamedTensors& model);
  double lr() const;        // the lr used by the last step (or the first one before any)
  int64_t n_updates() const;
  const OptimizerSpec& spec() const { return spec_; }
  const NamedTensors& params() const { return params_; }

  // Moments as named tensors ("exp_avg.<param>", "exp_avg_sq.<param>"; none for
  // sgd). They alias the optimizer's buffers: write them out before the next step.
  NamedTensors state() const;
  // {"optimizer": name, "spec": canonical string, "n_updates": n, "lr": last lr,
  //  "param_steps": {param: count}} (param_steps for Adam only).
  nlohmann::json state_json() const;
  // Restores what state()/state_json() saved (tensors may be on any device; they
  // are copied, converted to the parameter's dtype). FormatError naming the
  // missing, mis-shaped or unknown entry; the optimizer is unchanged on error.
  // Entries of `tensors` not starting with "exp_avg." / "exp_avg_sq." are ignored.
  void load_state(const std::map<std::string, Tensor>& tensors, const nlohmann::json& j);

 private:
  bool is_adam() const { return spec_.name != "sgd"; }
  Tensor grad_of(size_t i) const;  // params_[i]'s gradient, or model_[i]'s with set_master_of

  OptimizerSpec spec_;
  LrSchedule schedule_;
  NamedTensors params_;
  std::vector<Tensor> exp_avg_, exp_avg_sq_;  // like params_[i] (Adam only)
  std::vector<int64_t> param_steps_;          // Adam's per-parameter t
  std::vector<Tensor> model_;                 // set_master_of's: like params_ in another dtype, or empty
  int64_t n_updates_ = 0;
  double lr_ = 0;
};

}  // namespace xlm::nn
