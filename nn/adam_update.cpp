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

void adam_update_multi(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                       const std::vector<Tensor>& exp_avg, const std::vector<Tensor>& exp_avg_sq,
                       const AdamUpdateArgs& args, const std::vector<Tensor>& copy_out,
                       const Tensor& grad_factor) {
  const char* op = "adam_update_multi";
  const size_t n = params.size();
  XLM_CHECK(grads.size() == n && exp_avg.size() == n && exp_avg_sq.size() == n, ShapeError,
            "{}: {} params but {} grads, {} exp_avg and {} exp_avg_sq", op, n, grads.size(), exp_avg.size(),
            exp_avg_sq.size());
  XLM_CHECK(copy_out.empty() || copy_out.size() == n, ShapeError, "{}: {} params but {} copy_out tensors", op, n,
            copy_out.size());
  if (n == 0) return;
  for (size_t i = 0; i < n; ++i) {
    check_defined(params[i], op, "params");
    check_floating(params[i], op, "params");
    check_same_dtype(params[0], params[i], op);
    check_same_device(params[0], params[i], op);
    check_defined(grads[i], op, "grads");  // any floating dtype, one for all (converted as read)
    check_floating(grads[i], op, "grads");
    check_shape(grads[i], params[i].shape(), op, "grads");
    check_same_device(params[i], grads[i], op);
    check_same_dtype(grads[0], grads[i], op);
    check_like(params[i], exp_avg[i], op, "exp_avg");
    check_like(params[i], exp_avg_sq[i], op, "exp_avg_sq");
    if (copy_out.empty()) continue;
    check_defined(copy_out[i], op, "copy_out");
    check_floating(copy_out[i], op, "copy_out");
    check_shape(copy_out[i], params[i].shape(), op, "copy_out");
    check_same_device(params[i], copy_out[i], op);
    check_same_dtype(copy_out[0], copy_out[i], op);
  }
  if (grad_factor.defined()) {
    check_dtype(grad_factor, DType::f64, op, "grad_factor");
    check_shape(grad_factor, {1}, op, "grad_factor");
    check_same_device(params[0], grad_factor, op);
  }
  XLM_CALL_BACKEND(params[0].device(), adam_update_multi, params, grads, exp_avg, exp_avg_sq, args, copy_out,
                   grad_factor);
}

void sgd_update(const Tensor& param, const Tensor& grad, double lr, double weight_decay) {
  check_defined(param, "sgd_update", "param");
  check_floating(param, "sgd_update", "param");
  check_like(param, grad, "sgd_update", "grad");
  if (param.numel() == 0) return;
  XLM_CALL_BACKEND(param.device(), sgd_update, param, grad, lr, weight_decay);
}

}  // namespace xlm::nn
