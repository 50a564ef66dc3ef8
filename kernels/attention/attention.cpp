// Composition of the reference attention; see attention.h. Heads are moved
// next to the batch with one permute each way so that the two products are
// plain batched matmuls over [B, H].
#include "kernels/attention/attention.h"

#include "core/error.h"
#include "kernels/dropout/dropout.h"
#include "kernels/masked_softmax/masked_softmax.h"
#include "kernels/matmul/matmul.h"
#include "kernels/permute/permute.h"

#include <cmath>

namespace xlm {

Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& key_lengths,
                 const AttentionOptions& options) {
  check_floating(q, "attention", "q");
  check_floating(k, "attention", "k");
  check_floating(v, "attention", "v");
  XLM_CHECK(q.dim() == 4 && k.dim() == 4 && v.dim() == 4, ShapeError,
            "attention: q, k, v must be [B, T, H, D], got {}, {}, {}", q.describe(), k.describe(), v.describe());
  XLM_CHECK(k.shape() == v.shape(), ShapeError, "attention: k {} and v {} must have the same shape", k.describe(),
            v.describe());
  XLM_CHECK(q.size(0) == k.size(0) && q.size(2) == k.size(2) && q.size(3) == k.size(3), ShapeError,
            "attention: q {} and k {} disagree on batch, heads or head size", q.describe(), k.describe());
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  Tensor qh = permute(q, {0, 2, 1, 3});                              // (B, H, Tq, D)
  Tensor kh = permute(k, {0, 2, 1, 3});                              // (B, H, Tk, D)
  Tensor vh = permute(v, {0, 2, 1, 3});                              // (B, H, Tk, D)
  Tensor scores = matmul(qh, kh, false, true);                       // (B, H, Tq, Tk)
  Tensor weights = masked_softmax(scores, key_lengths, options.causal, scale);
  if (options.dropout > 0) weights = dropout(weights, options.dropout, options.seed, options.offset);
  Tensor context = matmul(weights, vh);                              // (B, H, Tq, D)
  return permute(context, {0, 2, 1, 3});                             // (B, Tq, H, D)
}

}  // namespace xlm
