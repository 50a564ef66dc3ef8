// Optimizer: the bookkeeping around the fused update kernels (adam_update.h).
// Bias correction and the step size are computed per parameter in double, in
// XLM's order (step_size = lr * sqrt(1 - beta2^t) / (1 - beta1^t)), then handed
// to adam_update_multi, one call per group of parameters sharing a step count
// (and device and dtype), so a CUDA step is a few launches, not one per tensor. Every check runs before any parameter is
// touched, so a bad gradient never leaves half an update behind.
#include "nn/optimizer.h"

#include "core/autograd.h"
#include "core/error.h"
#include "kernels/backend.h"
#include "kernels/cast/cast.h"
#include "kernels/scale_by/scale_by.h"
#include "nn/adam_update.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace xlm::nn {

namespace {

const std::string kExpAvg = "exp_avg.";
const std::string kExpAvgSq = "exp_avg_sq.";

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// A private copy of `src` with `like`'s dtype and device.
Tensor copy_like(const Tensor& src, const Tensor& like) {
  Tensor t = src.detach();
  if (t.dtype() != like.dtype()) t = cast(t, like.dtype());
  t = t.to(like.device());
  if (t.same_data(src)) t = t.clone();
  return t.detach();
}

// dst <- cast(src) in place (dst preallocated like src, any floating dtype).
void cast_into(const Tensor& src, const Tensor& dst) {
  if (src.dtype() == dst.dtype()) {
    copy_bytes(dst.data_ptr(), dst.device(), src.data_ptr(), src.device(), src.nbytes());
    return;
  }
  Tensor out = dst;
  XLM_CALL_BACKEND(src.device(), cast_forward, src, out);
}

int64_t json_count(const nlohmann::json& j, const std::string& key, const std::string& where) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_number_integer() || j.at(key).get<int64_t>() < 0)
    throw FormatError(fmt::format("optimizer state: {} must hold a non-negative integer \"{}\"", where, key));
  return j.at(key).get<int64_t>();
}

}  // namespace

Optimizer::Optimizer(const OptimizerSpec& spec, NamedTensors params)
    : spec_(complete_optimizer_spec(spec)), schedule_(spec_), params_(std::move(params)) {
  std::set<std::string> names;
  for (const auto& [name, p] : params_) {
    XLM_CHECK(names.insert(name).second, Error, "optimizer: parameter \"{}\" is listed twice", name);
    check_defined(p, "optimizer", name.c_str());
    check_floating(p, "optimizer", name.c_str());
  }
  for (size_t i = 0; i < params_.size(); ++i)
    for (size_t k = 0; k < i; ++k)
      XLM_CHECK(!params_[i].second.same_data(params_[k].second), Error,
                "optimizer: parameters \"{}\" and \"{}\" share storage (list tied weights once)", params_[k].first,
                params_[i].first);
  if (is_adam()) {
    for (const auto& [name, p] : params_) {
      exp_avg_.push_back(Tensor::zeros(p.shape(), p.dtype(), p.device()));
      exp_avg_sq_.push_back(Tensor::zeros(p.shape(), p.dtype(), p.device()));
    }
    param_steps_.assign(params_.size(), 0);
  }
  lr_ = schedule_.lr_at(0);
}

void Optimizer::step(const std::vector<Tensor>& grad_factors) {
  autograd::NoGradGuard no_grad;
  XLM_CHECK(grad_factors.empty() || grad_factors.size() == params_.size(), ShapeError,
            "optimizer: {} gradient factors for {} parameters", grad_factors.size(), params_.size());
  auto factor_of = [&](size_t i) { return grad_factors.empty() ? Tensor() : grad_factors[i]; };
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto& [name, p] = params_[i];
    const Tensor g = grad_of(i);
    if (!g.defined()) continue;
    // With set_master_of the gradient is the model's, in the model's dtype.
    const DType want = model_.empty() ? p.dtype() : model_[i].dtype();
    XLM_CHECK(g.shape() == p.shape() && g.dtype() == want && g.device() == p.device(), Error,
              "optimizer: gradient of \"{}\" is {} but the parameter is {}", name, g.describe(),
              model_.empty() ? p.describe() : model_[i].describe());
    const Tensor f = factor_of(i);
    XLM_CHECK(!f.defined() || (f.dtype() == DType::f64 && f.numel() == 1 && f.device() == p.device()), ShapeError,
              "optimizer: the gradient factor of \"{}\" is {}; expected one f64 on {}", name, f.describe(),
              p.device().str());
  }
  lr_ = schedule_.lr_at(n_updates_);
  const auto& v = spec_.values;
  if (!is_adam()) {
    for (size_t i = 0; i < params_.size(); ++i) {
      const Tensor& p = params_[i].second;
      Tensor g = grad_of(i);
      if (!g.defined()) continue;
      if (g.dtype() != p.dtype()) g = cast(g, p.dtype());                 // SGD converts nothing itself
      if (const Tensor f = factor_of(i); f.defined()) g = scale_by(g, f);  // nor reads a factor
      sgd_update(p, g, lr_, v.at("weight_decay"));
      if (!model_.empty()) cast_into(p, model_[i].detach());  // written as data, not recorded
    }
    ++n_updates_;
    return;
  }
  // One multi-tensor update per (step count, device, dtype, gradient factor):
  // usually a single group.
  struct Group {
    int64_t t;
    Device device;
    DType dtype;
    Tensor factor;
    std::vector<Tensor> params, grads, m, v, out;
    std::vector<size_t> index;
  };
  std::vector<Group> groups;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i].second;
    const Tensor g = grad_of(i);
    if (!g.defined()) continue;
    const int64_t t = param_steps_[i] + 1;
    const Tensor factor = factor_of(i);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& gr) {
      return gr.t == t && gr.device == p.device() && gr.dtype == p.dtype() && gr.factor.impl() == factor.impl();
    });
    if (it == groups.end())
      it = groups.insert(groups.end(), Group{t, p.device(), p.dtype(), factor, {}, {}, {}, {}, {}, {}});
    it->params.push_back(p);
    it->grads.push_back(g);
    it->m.push_back(exp_avg_[i]);
    it->v.push_back(exp_avg_sq_[i]);
    if (!model_.empty()) it->out.push_back(model_[i].detach());
    it->index.push_back(i);
  }
  for (const Group& group : groups) {
    AdamUpdateArgs args;
    args.lr = lr_;
    args.beta1 = v.at("beta1");
    args.beta2 = v.at("beta2");
    args.eps = v.at("eps");
    args.weight_decay = v.at("weight_decay");
    const double bias_correction1 = 1 - std::pow(args.beta1, static_cast<double>(group.t));
    const double bias_correction2 = 1 - std::pow(args.beta2, static_cast<double>(group.t));
    args.step_size = args.lr * std::sqrt(bias_correction2) / bias_correction1;
    adam_update_multi(group.params, group.grads, group.m, group.v, args, group.out, group.factor);
    for (size_t i : group.index) param_steps_[i] = group.t;
  }
  ++n_updates_;
}

void Optimizer::set_master_of(const NamedTensors& model) {
  if (model.empty()) {
    model_.clear();
    return;
  }
  XLM_CHECK(model.size() == params_.size(), Error, "optimizer: the model lists {} tensors for {} master parameters",
            model.size(), params_.size());
  std::vector<Tensor> tensors;
  for (size_t i = 0; i < model.size(); ++i) {
    const auto& [name, t] = model[i];
    const Tensor& p = params_[i].second;
    XLM_CHECK(name == params_[i].first, Error, "optimizer: model tensor {} is \"{}\", the parameter \"{}\"", i, name,
              params_[i].first);
    XLM_CHECK(t.defined() && is_floating(t.dtype()) && t.shape() == p.shape() && t.device() == p.device() &&
                  t.dtype() == model[0].second.dtype(),
              Error, "optimizer: model tensor \"{}\" is {} but the parameter is {} (one floating dtype for all)", name,
              t.defined() ? t.describe() : "undefined", p.describe());
    tensors.push_back(t);  // a handle: its gradient is read at each step
  }
  model_ = std::move(tensors);
}

Tensor Optimizer::grad_of(size_t i) const { return model_.empty() ? params_[i].second.grad() : model_[i].grad(); }

void Optimizer::zero_grad() {
  for (auto& [name, p] : params_) p.zero_grad();
  for (Tensor& t : model_) t.zero_grad();
}

double Optimizer::lr() const { return lr_; }

int64_t Optimizer::n_updates() const { return n_updates_; }

NamedTensors Optimizer::state() const {
  NamedTensors out;
  for (size_t i = 0; i < exp_avg_.size(); ++i) {
    out.emplace_back(kExpAvg + params_[i].first, exp_avg_[i]);
    out.emplace_back(kExpAvgSq + params_[i].first, exp_avg_sq_[i]);
  }
  return out;
}

nlohmann::json Optimizer::state_json() const {
  nlohmann::json j = {{"optimizer", spec_.name},
                      {"spec", optimizer_spec_string(spec_)},
                      {"n_updates", n_updates_},
                      {"lr", lr_}};
  if (is_adam()) {
    nlohmann::json steps = nlohmann::json::object();
    for (size_t i = 0; i < params_.size(); ++i) steps[params_[i].first] = param_steps_[i];
    j["param_steps"] = steps;
  }
  return j;
}

void Optimizer::load_state(const std::map<std::string, Tensor>& tensors, const nlohmann::json& j) {
  autograd::NoGradGuard no_grad;
  if (!j.is_object() || !j.contains("optimizer") || !j.at("optimizer").is_string())
    throw FormatError("optimizer state: the JSON must be an object with a string \"optimizer\"");
  const std::string saved = j.at("optimizer").get<std::string>();
  if (saved != spec_.name)
    throw FormatError(fmt::format("optimizer state: saved by \"{}\" but this run uses \"{}\"", saved, spec_.name));
  const int64_t n_updates = json_count(j, "n_updates", "the JSON");

  std::set<std::string> expected;
  for (const auto& [name, p] : params_)
    if (is_adam()) expected.insert({kExpAvg + name, kExpAvgSq + name});
  for (const auto& [key, t] : tensors)
    if ((starts_with(key, kExpAvg) || starts_with(key, kExpAvgSq)) && !expected.count(key))
      throw FormatError(fmt::format("optimizer state: unexpected tensor \"{}\" (no such parameter)", key));

  std::vector<Tensor> exp_avg, exp_avg_sq;
  std::vector<int64_t> steps;
  if (is_adam()) {
    if (!j.contains("param_steps") || !j.at("param_steps").is_object())
      throw FormatError("optimizer state: the JSON has no \"param_steps\" object");
    const nlohmann::json& saved_steps = j.at("param_steps");
    for (const auto& [name, p] : params_) {
      steps.push_back(json_count(saved_steps, name, "\"param_steps\""));
      for (const std::string& prefix : {kExpAvg, kExpAvgSq}) {
        auto it = tensors.find(prefix + name);
        if (it == tensors.end() || !it->second.defined())
          throw FormatError(fmt::format("optimizer state: missing tensor \"{}{}\"", prefix, name));
        if (it->second.shape() != p.shape())
          throw FormatError(fmt::format("optimizer state: tensor \"{}{}\" is {} but the parameter is {}", prefix,
                                        name, shape_str(it->second.shape()), shape_str(p.shape())));
        check_floating(it->second, "optimizer state", (prefix + name).c_str());
        (prefix == kExpAvg ? exp_avg : exp_avg_sq).push_back(copy_like(it->second, p));
      }
    }
  }
  exp_avg_ = std::move(exp_avg);
  exp_avg_sq_ = std::move(exp_avg_sq);
  param_steps_ = std::move(steps);
  n_updates_ = n_updates;
  lr_ = schedule_.lr_at(n_updates_ > 0 ? n_updates_ - 1 : 0);
}

}  // namespace xlm::nn
