// decode_topk front: argument checks and backend dispatch. Nothing to record
// for autograd: decoding runs without gradients.
#include "kernels/decode_topk/decode_topk.h"

#include "kernels/backend.h"

namespace xlm {

DecodeTopK decode_topk(const Tensor& logits, const Tensor& bias, int64_t k) {
  check_defined(logits, "decode_topk", "logits");
  XLM_CHECK(logits.dim() == 2 && logits.size(1) >= 1, ShapeError, "decode_topk: logits must be (N, V) with V >= 1, got {}",
            logits.describe());
  XLM_CHECK(is_floating(logits.dtype()), DTypeError, "decode_topk: logits must be floating, got {}", logits.describe());
  const int64_t N = logits.size(0), V = logits.size(1);
  XLM_CHECK(k >= 1 && k <= V, ConfigError, "decode_topk: k = {} must be in [1, V = {}]", k, V);
  Tensor row_bias = bias;
  if (row_bias.defined()) {
    check_dtype(row_bias, DType::f64, "decode_topk", "bias");
    XLM_CHECK(row_bias.dim() == 1 && row_bias.size(0) == N, ShapeError, "decode_topk: bias must be (N = {}), got {}", N,
              row_bias.describe());
    XLM_CHECK(row_bias.device() == logits.device(), DeviceError, "decode_topk: bias is on {}, logits on {}",
              row_bias.device().str(), logits.device().str());
  } else {
    row_bias = Tensor::zeros({N}, DType::f64, logits.device());  // (N)
  }
  DecodeTopK out{Tensor::empty({N, k}, DType::f64, logits.device()),   // (N, k)
                 Tensor::empty({N, k}, DType::i64, logits.device())};  // (N, k)
  if (N > 0) XLM_CALL_BACKEND(logits.device(), decode_topk_forward, logits, row_bias, out.values, out.indices);
  return out;
}

}  // namespace xlm
