// decode_topk front: argument checks and backend dispatch. Nothing to record
// for autograd: decoding runs without gradients.
#include "kernels/decode_topk/decode_topk.h"

#include "core/storage.h"
#include "kernels/backend.h"

#include <algorithm>
#include <cstring>
#include <memory>

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
  // One block, values then indices, so decode_topk_to_host reads both in one transfer.
  const size_t half = static_cast<size_t>(N * k) * sizeof(double);
  const std::shared_ptr<Storage> block = Storage::allocate(std::max<size_t>(2 * half, 16), logits.device());
  DecodeTopK out{Tensor::from_storage(block, 0, {N, k}, DType::f64),      // (N, k)
                 Tensor::from_storage(block, half, {N, k}, DType::i64)};  // (N, k)
  if (N > 0) XLM_CALL_BACKEND(logits.device(), decode_topk_forward, logits, row_bias, out.values, out.indices);
  return out;
}

DecodeTopKHost decode_topk_to_host(const DecodeTopK& top) {
  const TensorImpl* values = top.values.impl();
  const TensorImpl* indices = top.indices.impl();
  const int64_t count = top.values.defined() ? top.values.numel() : 0;
  const size_t half = static_cast<size_t>(count) * sizeof(double);
  XLM_CHECK(values != nullptr && indices != nullptr && values->storage == indices->storage &&
                values->byte_offset == 0 && indices->byte_offset == half && top.indices.numel() == count,
            ShapeError, "decode_topk_to_host: values and indices must be one decode_topk result");
  DecodeTopKHost host{std::vector<double>(static_cast<size_t>(count)), std::vector<int64_t>(static_cast<size_t>(count))};
  if (count == 0) return host;
  const std::vector<uint8_t> bytes =
      Tensor::from_storage(values->storage, 0, {static_cast<int64_t>(2 * half)}, DType::u8).to_vector<uint8_t>();
  std::memcpy(host.values.data(), bytes.data(), half);
  std::memcpy(host.indices.data(), bytes.data() + half, half);
  return host;
}

}  // namespace xlm
