// See zero1.h. The flat buffers are allocated once; copies are raw byte
// copies (parameters and gradients are contiguous), stream-ordered on the
// GPU. The collectives use NCCL's in-place forms (the shard is a slice of
// the flat buffer).
#include "tasks/pretrain/zero1.h"

#include "core/autograd.h"
#include "core/error.h"
#include "core/storage.h"
#include "nn/grad_clip.h"
#include "xlm/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace xlm::tasks {

namespace {

constexpr const char* kFlat = "flat";
constexpr const char* kMoments[] = {"exp_avg.", "exp_avg_sq."};

double sum_squares(const Device& device, const std::vector<Tensor>& parts) {
  if (parts.empty()) return 0;
  if (!device.is_cuda()) return nn::grad_sum_squares_cpu(parts);
#if XLM_WITH_CUDA
  return nn::grad_sum_squares_cuda(parts);
#else
  throw DeviceError("zero1: CUDA tensors in a build without CUDA");
#endif
}

void scale_parts(const Device& device, const std::vector<Tensor>& parts, double coef) {
  if (parts.empty()) return;
  if (!device.is_cuda()) return nn::scale_grads_cpu(parts, coef);
#if XLM_WITH_CUDA
  nn::scale_grads_cuda(parts, coef);
#else
  throw DeviceError("zero1: CUDA tensors in a build without CUDA");
#endif
}

}  // namespace

Zero1Optimizer::Zero1Optimizer(Communicator& comm, CommWatchdog& watchdog, const nn::OptimizerSpec& spec,
                               nn::NamedTensors params, std::vector<int> clip_group)
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
  for (int g : clip_group_) n_groups_ = std::max(n_groups_, g + 1);
  const int64_t w = comm_.world_size();
  shard_ = (n_ + w - 1) / w;
  flat_param_ = Tensor::zeros({shard_ * w}, first.dtype(), first.device());
  flat_grad_ = Tensor::zeros({shard_ * w}, first.dtype(), first.device());
  const int64_t begin = shard_ * comm_.rank();
  shard_param_ = flat_param_.slice(begin, begin + shard_);
  shard_param_.set_requires_grad(true);
  shard_grad_ = flat_grad_.slice(begin, begin + shard_);
  copy_params_to_flat();
  optimizer_ = std::make_unique<nn::Optimizer>(spec, nn::NamedTensors{{kFlat, shard_param_}});
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

template <typename F>
void Zero1Optimizer::for_each_shard_part(F&& f) const {
  const int64_t begin = shard_ * comm_.rank(), end = begin + shard_;
  for (size_t i = 0; i < params_.size(); ++i) {
    const int64_t lo = std::max(begin, offsets_[i]);
    const int64_t hi = std::min(end, offsets_[i] + params_[i].second.numel());
    if (lo < hi) f(clip_group_[i], shard_grad_.slice(lo - begin, hi - begin));
  }
}

std::vector<double> Zero1Optimizer::step(double max_norm) {
  autograd::NoGradGuard no_grad;
  // Parameters may have been replaced since the last step (a checkpoint load, the initial broadcast).
  copy_params_to_flat();
  const size_t elem = dtype_size(flat_grad_.dtype());
  auto* grads = static_cast<char*>(flat_grad_.data_ptr());
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor g = params_[i].second.grad();
    char* dst = grads + static_cast<size_t>(offsets_[i]) * elem;
    if (g.defined()) copy_bytes(dst, flat_grad_.device(), g.data_ptr(), g.device(), g.nbytes());
    else zero_bytes(dst, flat_grad_.device(), params_[i].second.nbytes());
  }
  {
    CommWatchdog::Scope scope(watchdog_, "zero1 reduce_scatter");
    comm_.reduce_scatter(flat_grad_, shard_grad_, ReduceOp::mean);
  }

  // Global norm per clip group: this shard's sums of squares, summed over the ranks.
  std::vector<std::vector<Tensor>> parts(static_cast<size_t>(n_groups_));
  for_each_shard_part([&](int group, const Tensor& part) { parts[static_cast<size_t>(group)].push_back(part); });
  std::vector<double> sums;
  for (const auto& group : parts) sums.push_back(sum_squares(flat_grad_.device(), group));
  Tensor total = Tensor::from_vector(sums, {n_groups_}).to(comm_.device());  // (n_groups) f64
  {
    CommWatchdog::Scope scope(watchdog_, "zero1 gradient norm");
    comm_.all_reduce(total, ReduceOp::sum);
  }
  std::vector<double> norms = total.to_vector<double>();
  for (size_t g = 0; g < norms.size(); ++g) {
    norms[g] = std::sqrt(norms[g]);
    if (max_norm <= 0 || !std::isfinite(norms[g])) continue;
    const double coef = max_norm / (norms[g] + 1e-6);
    if (coef < 1) scale_parts(flat_grad_.device(), parts[g], coef);
  }

  shard_param_.set_grad(shard_grad_);
  optimizer_->step();
  shard_param_.zero_grad();
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
  return norms;
}

void Zero1Optimizer::zero_grad() {
  for (auto& [name, p] : params_) p.zero_grad();
}

nn::NamedTensors Zero1Optimizer::state() {
  std::map<std::string, Tensor> shards;
  for (const auto& [name, t] : optimizer_->state()) shards[name] = t;
  std::vector<std::pair<std::string, Tensor>> full;  // (prefix, padded whole moment), in kMoments order
  for (const char* prefix : kMoments) {
    auto it = shards.find(std::string(prefix) + kFlat);
    if (it == shards.end()) continue;  // sgd: no moments
    Tensor whole = Tensor::zeros({flat_param_.numel()}, flat_param_.dtype(), flat_param_.device());
    {
      CommWatchdog::Scope scope(watchdog_, "zero1 gather of the optimizer state");
      comm_.all_gather(it->second, whole);
    }
    full.emplace_back(prefix, whole);
  }
  // The plain optimizer's order: each parameter's moments together.
  nn::NamedTensors out;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i].second;
    for (const auto& [prefix, whole] : full)
      out.emplace_back(prefix + params_[i].first, whole.slice(offsets_[i], offsets_[i] + p.numel()).reshape(p.shape()));
  }
  return out;
}

nlohmann::json Zero1Optimizer::state_json() const {
  nlohmann::json j = optimizer_->state_json();
  if (j.contains("param_steps")) {
    const int64_t t = j.at("param_steps").at(kFlat).get<int64_t>();
    nlohmann::json steps = nlohmann::json::object();
    for (const auto& [name, p] : params_) steps[name] = t;
    j["param_steps"] = steps;
  }
  return j;
}

void Zero1Optimizer::load_state(const std::map<std::string, Tensor>& tensors, const nlohmann::json& j) {
  nlohmann::json mine = j;
  std::map<std::string, Tensor> shard_tensors;
  if (j.contains("param_steps") && j.at("param_steps").is_object()) {
    const nlohmann::json& steps = j.at("param_steps");
    int64_t t = -1;
    for (const auto& [name, p] : params_) {
      XLM_CHECK(steps.contains(name) && steps.at(name).is_number_integer(), FormatError,
                "optimizer state: no step count for \"{}\"", name);
      const int64_t s = steps.at(name).get<int64_t>();
      XLM_CHECK(t < 0 || s == t, FormatError,
                "optimizer state: parameters have different step counts ({} and {}); --zero1 true needs one count: "
                "resume without --zero1",
                t, s);
      t = s;
    }
    mine["param_steps"] = nlohmann::json{{kFlat, t}};
    for (const char* prefix : kMoments) {
      Tensor full = Tensor::zeros({flat_param_.numel()}, flat_param_.dtype(), Device::cpu());  // (padded n)
      const size_t elem = dtype_size(full.dtype());
      for (size_t i = 0; i < params_.size(); ++i) {
        const std::string key = prefix + params_[i].first;
        auto it = tensors.find(key);
        XLM_CHECK(it != tensors.end() && it->second.defined(), FormatError, "optimizer state: no tensor \"{}\"", key);
        const Tensor& p = params_[i].second;
        XLM_CHECK(it->second.shape() == p.shape() && it->second.dtype() == p.dtype(), FormatError,
                  "optimizer state: \"{}\" is {}, the parameter is {}", key, it->second.describe(), p.describe());
        copy_bytes(static_cast<char*>(full.data_ptr()) + static_cast<size_t>(offsets_[i]) * elem, Device::cpu(),
                   it->second.data_ptr(), it->second.device(), it->second.nbytes());
      }
      const int64_t begin = shard_ * comm_.rank();
      shard_tensors[std::string(prefix) + kFlat] = full.slice(begin, begin + shard_).clone();
    }
  }
  optimizer_->load_state(shard_tensors, mine);
}

}  // namespace xlm::tasks
