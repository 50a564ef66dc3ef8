// Fronts of the parameter update kernels: argument checks with the optimizer's
// wording, then the device dispatch every op uses (kernels/backend.h).
#include "nn/adam_update.h"

#include "kernels/backend.h"

namespace xlm::nn {

namespace {
void check_like(const Tensor& param, const Tensor& t, const char* op, const char* arg) {
  check_defined(t, op, arg);
  check_shape(t, param.shape(), op, arg);
  check_same_dtype(param, t, op);
  check_same_device(param, t, op);
}
}  // namespace

void adam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                 const AdamUpdateArgs& args) {
  check_defined(param, "adam_update", "param");
  check_floating(param, "adam_update", "param");
  check_like(param, grad, "adam_update", "grad");
  check_like(param, exp_avg, "adam_update", "exp_avg");
  check_like(param, exp_avg_sq, "adam_update", "exp_avg_sq");
  if (param.numel() == 0) return;
  XLM_CALL_BACKEND(param.device(), adam_update, param, grad, exp_avg, exp_avg_sq, args);
}

void sgd_update(const Tensor& param, const Tensor& grad, double lr, double weight_decay) {
  check_defined(param, "sgd_update", "param");
  check_floating(param, "sgd_update", "param");
  check_like(param, grad, "sgd_update", "grad");
  if (param.numel() == 0) return;
  XLM_CALL_BACKEND(param.device(), sgd_update, param, grad, lr, weight_decay);
}

}  // namespace xlm::nn
