// See zero1.h. The flat buffers are allocated once; copies are raw byte
// copies (parameters and gradients are contiguous), stream-ordered on the
// GPU, and the master <-> model dtype changes go through kernels/cast's
// backend twins, the rounding MasterWeights uses, so that the two paths round
// alike. The collectives use NCCL's in-place forms (the shard is a slice of
// the flat buffer). The gradient norms and clip factors stay on the device
// (zero1_clip.h): an update makes no device-to-host read.
#include "tasks/pretrain/zero1.h"

#include "core/autograd.h"
#include "core/error.h"
#include "core/storage.h"
#include "kernels/backend.h"
#include "kernels/cast/cast.h"
#include "nn/grad_clip.h"
#include "tasks/pretrain/zero1_clip.h"
#include "xlm/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace xlm::tasks {

namespace {

constexpr const char* kMoments[] = {"exp_avg.", "exp_avg_sq."};

// dst <- cast(src), both preallocated with one shape and device.
void cast_into(const Tensor& src, Tensor dst) {
  if (src.dtype() == dst.dtype()) {
    copy_bytes(dst.data_ptr(), dst.device(), src.data_ptr(), src.device(), src.nbytes());
    return;
  }
  XLM_CALL_BACKEND(src.device(), cast_forward, src, dst);
}

}  // namespace

Zero1Optimizer::Zero1Optimizer(Communicator& comm, CommWatchdog& watchdog, const nn::OptimizerSpec& spec,
                               nn::NamedTensors params, std::vector<int> clip_group, std::optional<DType> master_dtype)
    : comm_(comm), watchdog_(watchdog), params_(std::move(params)), clip_group_(std::move(clip_group)) {
  XLM_CHECK(!params_.empty() && clip_group_.size() == params_.size(), Error,
            "zero1: {} parameters, {} clip groups", params_.size(), clip_group_.size());
  const Tensor& first = params_.front().second;
  XLM_CHECK(first.device() == comm_.device(), ConfigError, "--zero1: parameters on {}, the communicator on {}",
            first.device().str(), comm_.device().str());
  for (const auto& [name, p] : params_) {
    XLM_CHECK(p.dtype() == first.dtype() && p.device() == first.device(), ConfigError,
              "--zero1: parameter {} is {}, the first is {}: one flat buffer needs one dtype and device", name,
              p.describe(), first.describe());
    offsets_.push_back(n_);
    n_ += p.numel();
  }
  const DType master = master_dtype.value_or(first.dtype());
  XLM_CHECK(is_floating(master), DTypeError, "zero1: the master dtype must be floating, got {}", dtype_name(master));
  mixed_ = master != first.dtype();
  for (int g : clip_group_) n_groups_ = std::max(n_groups_, g + 1);
  const int64_t w = comm_.world_size();
  shard_ = (n_ + w - 1) / w;
  flat_param_ = Tensor::zeros({shard_ * w}, first.dtype(), first.device());
  flat_grad_ = Tensor::zeros({shard_ * w}, first.dtype(), first.device());
  const int64_t begin = shard_ * comm_.rank(), end = begin + shard_;
  shard_param_ = flat_param_.slice(begin, end);
  shard_grad_ = flat_grad_.slice(begin, end);
  shard_master_ = mixed_ ? Tensor::zeros({shard_}, master, first.device()) : shard_param_;
  shard_master_grad_ = mixed_ ? Tensor::zeros({shard_}, master, first.device()) : shard_grad_;
  for (size_t i = 0; i < params_.size(); ++i) {
    const int64_t lo = std::max(begin, offsets_[i]);
    const int64_t hi = std::min(end, offsets_[i] + params_[i].second.numel());
    if (lo >= hi) continue;
    part_of_.push_back(Part{i, lo - begin, hi - begin, lo - offsets_[i]});
    Tensor view = shard_master_.slice(lo - begin, hi - begin);  // (hi - lo)
    view.set_requires_grad(true);
    parts_.emplace_back(params_[i].first, view);
  }
  param_steps_.assign(params_.size(), 0);
  refresh_masters_from_model();
  optimizer_ = std::make_unique<nn::Optimizer>(spec, parts_);
}

void Zero1Optimizer::copy_params_to_flat() {
  const size_t elem = dtype_size(flat_param_.dtype());
  auto* base = static_cast<char*>(flat_param_.data_ptr());
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i].second;
    copy_bytes(base + static_cast<size_t>(offsets_[i]) * elem, flat_param_.device(), p.data_ptr(), p.device(),
               p.nbytes());
  }
}

void Zero1Optimizer::refresh_masters_from_model() {
  autograd::NoGradGuard no_grad;
  copy_params_to_flat();
  if (mixed_) cast_into(shard_param_, shard_master_);
}

void Zero1Optimizer::drop_part_grads() {
  for (auto& [name, part] : parts_) part.zero_grad();
}

Zero1StepResult Zero1Optimizer::step(double max_norm, const Guard& guard) {
  autograd::NoGradGuard no_grad;
  Zero1StepResult result;
  // fp32: the parameters are the masters; they may have been replaced since
  // the last step (a checkpoint load, the initial broadcast). With master
  // weights the masters are the truth and are set explicitly (load_masters,
  // refresh_masters_from_model).
  if (!mixed_) copy_params_to_flat();
  const size_t elem = dtype_size(flat_grad_.dtype());
  auto* grads = static_cast<char*>(flat_grad_.data_ptr());
  std::vector<bool> has_grad(params_.size(), false);
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor g = params_[i].second.grad();
    char* dst = grads + static_cast<size_t>(offsets_[i]) * elem;
    has_grad[i] = g.defined();
    if (g.defined()) copy_bytes(dst, flat_grad_.device(), g.data_ptr(), g.device(), g.nbytes());
    else zero_bytes(dst, flat_grad_.device(), params_[i].second.nbytes());
  }
  {
    CommWatchdog::Scope scope(watchdog_, "zero1 reduce_scatter");
    comm_.reduce_scatter(flat_grad_, shard_grad_, ReduceOp::mean);
  }
  if (mixed_) cast_into(shard_grad_, shard_master_grad_);
  for (size_t k = 0; k < part_of_.size(); ++k) {
    if (!has_grad[part_of_[k].param]) continue;
    Tensor part = parts_[k].second;
    part.set_grad(shard_master_grad_.slice(part_of_[k].begin, part_of_[k].end));
  }
  if (guard && !guard(parts_)) {  // every rank got the same answer: none updates
    drop_part_grads();
    return result;
  }

  // Global norm per clip group: this shard's sums of squares, summed over the ranks.
  std::vector<std::vector<Tensor>> group_grads(static_cast<size_t>(n_groups_));
  for (size_t k = 0; k < part_of_.size(); ++k) {
    const Tensor g = parts_[k].second.grad();
    if (g.defined()) group_grads[static_cast<size_t>(clip_group_[part_of_[k].param])].push_back(g);
  }
  // Kept on the device (tasks/pretrain/zero1_clip.h): nothing is read back here.
  const Device device = comm_.device();
  Tensor total = Tensor::empty({n_groups_}, DType::f64, device);  // (n_groups) sums of squares
  zero1_group_sum_squares(group_grads, total);
  {
    CommWatchdog::Scope scope(watchdog_, "zero1 gradient norm");
    comm_.all_reduce(total, ReduceOp::sum);
  }
  Tensor norms = Tensor::empty({n_groups_}, DType::f64, device);    // (n_groups)
  Tensor factors = Tensor::empty({n_groups_}, DType::f64, device);  // (n_groups)
  zero1_norms_and_factors(total, max_norm, norms, factors);
  std::vector<Tensor> group_factor(static_cast<size_t>(n_groups_));  // undefined: no clipping
  for (int64_t g = 0; g < n_groups_; ++g) {
    result.norms.push_back(norms.slice(g, g + 1));
    if (max_norm > 0) group_factor[static_cast<size_t>(g)] = factors.slice(g, g + 1);
  }
  // The optimizer applies each part's group factor as it reads the gradient (nn/grad_clip.h).
  std::vector<Tensor> part_factors;
  for (size_t k = 0; k < part_of_.size(); ++k)
    part_factors.push_back(group_factor[static_cast<size_t>(clip_group_[part_of_[k].param])]);
  optimizer_->step(part_factors);
  for (size_t i = 0; i < params_.size(); ++i)
    if (has_grad[i]) ++param_steps_[i];
  drop_part_grads();
  if (mixed_) cast_into(shard_master_, shard_param_);  // the model's dtype, rounded as MasterWeights rounds
  {
    CommWatchdog::Scope scope(watchdog_, "zero1 all_gather");
    comm_.all_gather(shard_param_, flat_param_);
  }
  const auto* updated = static_cast<const char*>(flat_param_.data_ptr());
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i].second;
    copy_bytes(p.data_ptr(), p.device(), updated + static_cast<size_t>(offsets_[i]) * elem, flat_param_.device(),
               p.nbytes());
  }
  result.stepped = true;
  return result;
}

std::vector<double> Zero1Optimizer::step(double max_norm) {
  std::vector<double> norms;
  for (const Tensor& norm : step(max_norm, Guard{}).norms) norms.push_back(norm.item());
  return norms;
}

void Zero1Optimizer::zero_grad() {
  for (auto& [name, p] : params_) p.zero_grad();
}

nn::NamedTensors Zero1Optimizer::state() {
  std::map<std::string, Tensor> moments;
  for (const auto& [name, t] : optimizer_->state()) moments[name] = t;
  std::vector<std::pair<std::string, Tensor>> whole;  // (prefix, padded whole moment), in kMoments order
  if (optimizer_->spec().name != "sgd") {
    for (const char* prefix : kMoments) {
      Tensor shard = Tensor::zeros({shard_}, shard_master_.dtype(), shard_master_.device());  // (shard)
      for (size_t k = 0; k < part_of_.size(); ++k) {
        const Tensor& m = moments.at(prefix + parts_[k].first);
        const Tensor dst = shard.slice(part_of_[k].begin, part_of_[k].end);
        copy_bytes(dst.data_ptr(), dst.device(), m.data_ptr(), m.device(), m.nbytes());
      }
      Tensor all = Tensor::zeros({flat_param_.numel()}, shard.dtype(), shard.device());  // (shard * world_size)
      {
        CommWatchdog::Scope scope(watchdog_, "zero1 gather of the optimizer state");
        comm_.all_gather(shard, all);
      }
      whole.emplace_back(prefix, all);
    }
  }
  // The plain optimizer's order: each parameter's moments together.
  nn::NamedTensors out;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i].second;
    for (const auto& [prefix, all] : whole)
      out.emplace_back(prefix + params_[i].first, all.slice(offsets_[i], offsets_[i] + p.numel()).reshape(p.shape()));
  }
  return out;
}

nlohmann::json Zero1Optimizer::state_json() const {
  nlohmann::json j = optimizer_->state_json();
  if (optimizer_->spec().name != "sgd") {
    nlohmann::json steps = nlohmann::json::object();
    for (size_t i = 0; i < params_.size(); ++i) steps[params_[i].first] = param_steps_[i];
    j["param_steps"] = steps;
  }
  return j;
}

void Zero1Optimizer::load_state(const std::map<std::string, Tensor>& tensors, const nlohmann::json& j) {
  nlohmann::json mine = j;
  std::map<std::string, Tensor> part_tensors;
  std::vector<int64_t> steps(params_.size(), 0);
  if (optimizer_->spec().name != "sgd") {
    XLM_CHECK(j.is_object() && j.contains("param_steps") && j.at("param_steps").is_object(), FormatError,
              "optimizer state: the JSON has no \"param_steps\" object");
    const nlohmann::json& saved = j.at("param_steps");
    for (size_t i = 0; i < params_.size(); ++i) {
      const std::string& name = params_[i].first;
      XLM_CHECK(saved.contains(name) && saved.at(name).is_number_integer() && saved.at(name).get<int64_t>() >= 0,
                FormatError, "optimizer state: no step count for \"{}\"", name);
      steps[i] = saved.at(name).get<int64_t>();
      for (const char* prefix : kMoments) {
        const std::string key = prefix + name;
        auto it = tensors.find(key);
        XLM_CHECK(it != tensors.end() && it->second.defined(), FormatError, "optimizer state: no tensor \"{}\"", key);
        const Tensor& p = params_[i].second;
        XLM_CHECK(it->second.shape() == p.shape(), FormatError, "optimizer state: \"{}\" is {}, the parameter is {}",
                  key, it->second.describe(), p.describe());
      }
    }
    for (size_t k = 0; k < part_of_.size(); ++k) {
      const Part& part = part_of_[k];
      for (const char* prefix : kMoments) {
        const Tensor& whole = tensors.at(prefix + params_[part.param].first);
        part_tensors[prefix + parts_[k].first] =
            whole.reshape({whole.numel()}).slice(part.offset, part.offset + part.end - part.begin);
      }
    }
  }
  optimizer_->load_state(part_tensors, mine);  // converts the dtype, copies; checks the rest
  param_steps_ = steps;
}

nn::NamedTensors Zero1Optimizer::gather_masters() {
  autograd::NoGradGuard no_grad;
  Tensor all = Tensor::zeros({flat_param_.numel()}, shard_master_.dtype(), shard_master_.device());  // (shard * w)
  {
    CommWatchdog::Scope scope(watchdog_, "zero1 gather of the master weights");
    comm_.all_gather(shard_master_, all);
  }
  nn::NamedTensors out;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i].second;
    out.emplace_back(params_[i].first, all.slice(offsets_[i], offsets_[i] + p.numel()).reshape(p.shape()));
  }
  return out;
}

void Zero1Optimizer::load_masters(const std::map<std::string, Tensor>& tensors, const std::string& source) {
  autograd::NoGradGuard no_grad;
  for (const auto& [name, p] : params_) {  // check everything before copying anything
    auto it = tensors.find(name);
    XLM_CHECK(it != tensors.end() && it->second.defined(), FormatError, "{}: missing master weight \"{}\"", source,
              name);
    XLM_CHECK(it->second.shape() == p.shape() && it->second.dtype() == shard_master_.dtype(), FormatError,
              "{}: master weight \"{}\" is {} but this run's is {} of {}", source, name, it->second.describe(),
              shape_str(p.shape()), dtype_name(shard_master_.dtype()));
  }
  const size_t elem = dtype_size(shard_master_.dtype());
  for (const Part& part : part_of_) {
    const Tensor& src = tensors.at(params_[part.param].first);
    const Tensor dst = shard_master_.slice(part.begin, part.end);
    copy_bytes(dst.data_ptr(), dst.device(), static_cast<const char*>(src.data_ptr()) + part.offset * elem,
               src.device(), dst.nbytes());
  }
}

}  // namespace xlm::tasks
