// Fused attention front: the shape, dtype, device and key-length checks
// (CPU key lengths are checked in place; device ones by a kernel, reported at
// the next device read, kernels/length_mask/length_check.h, while the kernels
// clamp them to [0, Tk] so a bad entry never reads out of bounds), backend
// dispatch, and one autograd node that saves q, k, v, out and the logsumexp
// (never the weights).
#include "kernels/attention/attention.h"

#include "core/autograd.h"
#include "kernels/backend.h"
#include "kernels/length_mask/length_check.h"

namespace xlm {

namespace {

void check_inputs(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& key_lengths,
                  const AttentionOptions& options, const char* op) {
  check_floating(q, op, "q");
  check_floating(k, op, "k");
  check_floating(v, op, "v");
  XLM_CHECK(q.dim() == 4 && k.dim() == 4 && v.dim() == 4, ShapeError, "{}: q, k, v must be [B, T, H, D], got {}, {}, {}",
            op, q.describe(), k.describe(), v.describe());
  XLM_CHECK(k.shape() == v.shape(), ShapeError, "{}: k {} and v {} must have the same shape", op, k.describe(),
            v.describe());
  XLM_CHECK(q.size(0) == k.size(0) && q.size(2) == k.size(2) && q.size(3) == k.size(3), ShapeError,
            "{}: q {} and k {} disagree on batch, heads or head size", op, q.describe(), k.describe());
  // D = 0 has no scores to normalise: its logsumexp would be undefined.
  XLM_CHECK(q.size(3) >= 1, ShapeError, "{}: head size D must be at least 1, got q {}", op, q.describe());
  check_same_dtype(q, k, op);
  check_same_dtype(q, v, op);
  check_same_device(q, k, op);
  check_same_device(q, v, op);
  XLM_CHECK(options.dropout >= 0.0 && options.dropout <= 1.0, ConfigError,
            "{}: dropout probability must be in [0, 1], got {}", op, options.dropout);
  if (!key_lengths.defined()) return;
  XLM_CHECK(key_lengths.dtype() == DType::i32 || key_lengths.dtype() == DType::i64, DTypeError,
            "{}: 'key_lengths' must be i32 or i64, got {}", op, key_lengths.describe());
  check_shape(key_lengths, {q.size(0)}, op, "key_lengths");
  check_same_device(q, key_lengths, op);
  const int64_t tk = k.size(1);
  const auto raise = [op, tk, described = k.describe()](int64_t b, int64_t v, const std::string& suffix) {
    throw IndexError(
        fmt::format("{}: key_lengths[{}] = {} is outside [0, {}] (Tk of k {}){}", op, b, v, tk, described, suffix));
  };
  check_lengths_in_range(key_lengths, 0, tk, raise);
}

DType logsumexp_dtype(const Tensor& q) { return q.dtype() == DType::f64 ? DType::f64 : DType::f32; }

}  // namespace

AttentionResult attention_with_logsumexp(const Tensor& q, const Tensor& k, const Tensor& v,
                                         const Tensor& key_lengths, const AttentionOptions& options) {
  check_inputs(q, k, v, key_lengths, options, "attention");
  AttentionResult r;
  r.out = Tensor::empty(q.shape(), q.dtype(), q.device());                                    // (B, Tq, H, D)
  r.logsumexp = Tensor::empty({q.size(0), q.size(2), q.size(1)}, logsumexp_dtype(q), q.device());  // (B, H, Tq)
  if (q.numel() > 0) XLM_CALL_BACKEND(q.device(), attention_forward, q, k, v, key_lengths, options, r.out, r.logsumexp);
  autograd::record(r.out, "attention", {q, k, v},
                   [q = q.detach(), k = k.detach(), v = v.detach(), out = r.out.detach(), lse = r.logsumexp,
                    key_lengths, options](const Tensor& grad_out) {
                     AttentionGrads g = attention_backward(q, k, v, out, lse, grad_out, key_lengths, options);
                     return std::vector<Tensor>{g.q, g.k, g.v};
                   });
  return r;
}

Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& key_lengths,
                 const AttentionOptions& options) {
  return attention_with_logsumexp(q, k, v, key_lengths, options).out;
}

AttentionGrads attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                                  const Tensor& logsumexp, const Tensor& grad_out, const Tensor& key_lengths,
                                  const AttentionOptions& options) {
  const char* op = "attention_backward";
  check_inputs(q, k, v, key_lengths, options, op);
  check_shape(out, q.shape(), op, "out");
  check_shape(grad_out, q.shape(), op, "grad_out");
  check_same_dtype(q, out, op);
  check_same_dtype(q, grad_out, op);
  check_same_device(q, out, op);
  check_same_device(q, grad_out, op);
  check_shape(logsumexp, {q.size(0), q.size(2), q.size(1)}, op, "logsumexp");
  check_dtype(logsumexp, logsumexp_dtype(q), op, "logsumexp");
  check_same_device(q, logsumexp, op);
  AttentionGrads g;
  g.q = Tensor::zeros(q.shape(), q.dtype(), q.device());
  g.k = Tensor::zeros(k.shape(), k.dtype(), k.device());
  g.v = Tensor::zeros(v.shape(), v.dtype(), v.device());
  if (q.numel() > 0 && k.numel() > 0)
    XLM_CALL_BACKEND(q.device(), attention_backward, q, k, v, out, logsumexp, grad_out, key_lengths, options, g.q,
                     g.k, g.v);
  return g;
}

}  // namespace xlm
