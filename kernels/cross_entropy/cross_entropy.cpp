// Cross-entropy front: argument checks, backend dispatch, autograd record.
// The targets are scanned on the host: that both validates them (a bad target
// fails with its row instead of reading out of bounds on the device) and
// yields the mean's denominator, so no kernel has to count. Callers that
// still hold the host batch pass it, and the scan reads that instead of
// copying device targets back (docs/performance.md).
#include "kernels/cross_entropy/cross_entropy.h"

#include "core/autograd.h"
#include "core/host_reads.h"
#include "kernels/backend.h"

namespace xlm {

namespace {

void check_logits_targets(const Tensor& logits, const Tensor& targets, const char* op) {
  check_floating(logits, op, "logits");
  XLM_CHECK(logits.dim() == 2, ShapeError, "{}: 'logits' must be (N, V), got {}", op, logits.describe());
  XLM_CHECK(logits.size(1) >= 1, ShapeError, "{}: 'logits' needs V >= 1, got {}", op, logits.describe());
  check_defined(targets, op, "targets");
  XLM_CHECK(targets.dtype() == DType::i64 || targets.dtype() == DType::i32, DTypeError,
            "{}: 'targets' must be i64 or i32, got {}", op, targets.describe());
  check_shape(targets, {logits.size(0)}, op, "targets");
  check_same_device(logits, targets, op);
}

// Number of rows not ignored; throws IndexError on the first target out of range.
// `t` holds the targets' values (a host copy, or the host batch itself).
int64_t count_kept_rows(const std::vector<int64_t>& t, int64_t ignore_index, int64_t vocab) {
  int64_t count = 0;
  for (size_t n = 0; n < t.size(); ++n) {
    const int64_t target = t[n];
    if (target == ignore_index) continue;
    XLM_CHECK(target >= 0 && target < vocab, IndexError,
              "cross_entropy: targets[{}] = {} is outside [0, {}) (V) and is not ignore_index {}", n, target, vocab,
              ignore_index);
    ++count;
  }
  return count;
}

// The scan's values: a counted copy (a transfer on a device, core/host_reads.h).
std::vector<int64_t> read_targets(const Tensor& targets) {
  std::vector<int64_t> out;
  for (double v : targets.to_doubles()) out.push_back(static_cast<int64_t>(v));  // exact: |target| < 2^53
  return out;
}

Tensor cross_entropy_with_count(const Tensor& logits, const Tensor& targets, int64_t ignore_index, int64_t count);

}  // namespace

DType cross_entropy_loss_dtype(DType logits_dtype) { return logits_dtype == DType::f64 ? DType::f64 : DType::f32; }

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, int64_t ignore_index) {
  check_logits_targets(logits, targets, "cross_entropy");
  return cross_entropy_with_count(logits, targets, ignore_index,
                                  count_kept_rows(read_targets(targets), ignore_index, logits.size(1)));
}

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, const Tensor& host_targets, int64_t ignore_index) {
  check_logits_targets(logits, targets, "cross_entropy");
  check_defined(host_targets, "cross_entropy", "host_targets");
  XLM_CHECK(host_targets.device() == Device::cpu() && host_targets.dtype() == targets.dtype() &&
                host_targets.shape() == targets.shape(),
            ShapeError, "cross_entropy: host_targets {} must be the targets {} on the CPU", host_targets.describe(),
            targets.describe());
  return cross_entropy_with_count(logits, targets, ignore_index,
                                  count_kept_rows(host_int64_values(host_targets), ignore_index, logits.size(1)));
}

namespace {

Tensor cross_entropy_with_count(const Tensor& logits, const Tensor& targets, int64_t ignore_index, int64_t count) {
  const DType loss_dtype = cross_entropy_loss_dtype(logits.dtype());
  Tensor loss = Tensor::empty({}, loss_dtype, logits.device());
  Tensor lse = Tensor::empty({logits.size(0)}, loss_dtype, logits.device());  // (N,)
  XLM_CALL_BACKEND(logits.device(), cross_entropy_forward, logits, targets, ignore_index, count, loss, lse);
  autograd::record(loss, "cross_entropy", {logits},
                   [logits = logits.detach(), targets = targets.detach(), lse, ignore_index, count](const Tensor& g) {
                     return std::vector<Tensor>{cross_entropy_backward(logits, targets, lse, g, ignore_index, count)};
                   });
  return loss;
}

}  // namespace

Tensor cross_entropy_backward(const Tensor& logits, const Tensor& targets, const Tensor& lse,
                              const Tensor& grad_loss, int64_t ignore_index, int64_t count) {
  const char* op = "cross_entropy_backward";
  check_logits_targets(logits, targets, op);
  const DType loss_dtype = cross_entropy_loss_dtype(logits.dtype());
  check_shape(lse, {logits.size(0)}, op, "lse");
  check_dtype(lse, loss_dtype, op, "lse");
  check_same_device(logits, lse, op);
  check_shape(grad_loss, {}, op, "grad_loss");
  check_dtype(grad_loss, loss_dtype, op, "grad_loss");
  check_same_device(logits, grad_loss, op);
  XLM_CHECK(count >= 0 && count <= logits.size(0), ShapeError, "{}: count {} is outside [0, {}] (N)", op, count,
            logits.size(0));
  Tensor grad_logits = Tensor::empty(logits.shape(), logits.dtype(), logits.device());
  XLM_CALL_BACKEND(logits.device(), cross_entropy_backward, logits, targets, lse, grad_loss, ignore_index, count,
                   grad_logits);
  return grad_logits;
}

}  // namespace xlm
