// Both directions go through kernels/cast's backend twins writing into an
// existing tensor, so nothing is reallocated per step and the rounding rule
// (nearest even, overflow to inf) is the one cast.h documents for every device.
#include "nn/master_weights.h"

#include "core/autograd.h"
#include "core/error.h"
#include "kernels/backend.h"
#include "kernels/cast/cast.h"

#include <set>

namespace xlm::nn {

namespace {

// dst <- cast(src), dst preallocated with src's shape, on src's device.
void cast_into(const Tensor& src, Tensor dst) { XLM_CALL_BACKEND(src.device(), cast_forward, src, dst); }

}  // namespace

MasterWeights::MasterWeights(NamedTensors model_params, DType master_dtype)
    : model_(std::move(model_params)), master_dtype_(master_dtype) {
  XLM_CHECK(is_floating(master_dtype_), DTypeError, "master weights: the master dtype must be floating, got {}",
            dtype_name(master_dtype_));
  std::set<std::string> names;
  autograd::NoGradGuard no_grad;
  for (const auto& [name, p] : model_) {
    XLM_CHECK(names.insert(name).second, Error, "master weights: parameter \"{}\" is listed twice", name);
    check_defined(p, "master weights", name.c_str());
    check_floating(p, "master weights", name.c_str());
    XLM_CHECK(p.dtype() != master_dtype_, DTypeError,
              "master weights: parameter \"{}\" is already {} (a master copy needs a different dtype)", name,
              dtype_name(master_dtype_));
    Tensor m = Tensor::empty(p.shape(), master_dtype_, p.device());
    cast_into(p, m);
    m.set_requires_grad(true);
    master_.emplace_back(name, m);
  }
}

void MasterWeights::copy_grads_to_master() const {
  autograd::NoGradGuard no_grad;
  for (size_t i = 0; i < model_.size(); ++i) {
    const Tensor g = model_[i].second.grad();
    Tensor m = master_[i].second;
    if (!g.defined()) {
      m.zero_grad();
      continue;
    }
    XLM_CHECK(g.shape() == m.shape() && g.dtype() == model_[i].second.dtype() && g.device() == m.device(), Error,
              "master weights: gradient of \"{}\" is {} but the parameter is {}", model_[i].first, g.describe(),
              model_[i].second.describe());
    Tensor mg = Tensor::empty(m.shape(), master_dtype_, m.device());  // fresh: never writes into a caller's tensor
    m.set_grad(mg);
    cast_into(g, mg);
  }
}

void MasterWeights::copy_master_to_model() const {
  autograd::NoGradGuard no_grad;
  for (size_t i = 0; i < model_.size(); ++i) cast_into(master_[i].second, model_[i].second);
}

void MasterWeights::copy_model_to_master() const {
  autograd::NoGradGuard no_grad;
  for (size_t i = 0; i < model_.size(); ++i) cast_into(model_[i].second, master_[i].second);
}

}  // namespace xlm::nn
