// Dropout helpers; see dropout_context.h.
#include "nn/dropout_context.h"

#include "core/error.h"
#include "kernels/dropout/dropout.h"

namespace xlm::nn {

namespace {
bool active(double p, const DropoutContext& ctx) {
  if (!ctx.training || p == 0) return false;
  XLM_CHECK(ctx.stream != nullptr, ConfigError, "dropout {} in training mode needs a PhiloxStream", p);
  return true;
}
}  // namespace

Tensor apply_dropout(const Tensor& x, double p, const DropoutContext& ctx) {
  if (!active(p, ctx)) return x;
  const uint64_t offset = ctx.stream->take(static_cast<uint64_t>(x.numel()));
  return dropout(x, p, ctx.stream->seed(), offset);
}

ResidualDropout residual_dropout(double p, int64_t numel, const DropoutContext& ctx) {
  ResidualDropout d;
  if (!active(p, ctx)) return d;
  d.p = p;
  d.seed = ctx.stream->seed();
  d.offset = ctx.stream->take(static_cast<uint64_t>(numel));
  return d;
}

AttentionOptions attention_dropout_options(bool causal, double p, int64_t batch, int64_t heads, int64_t q_len,
                                           int64_t k_len, const DropoutContext& ctx) {
  AttentionOptions options;
  options.causal = causal;
  if (!active(p, ctx)) return options;
  options.dropout = p;
  options.seed = ctx.stream->seed();
  options.offset = ctx.stream->take(static_cast<uint64_t>(batch * heads * q_len * k_len));
  return options;
}

}  // namespace xlm::nn
