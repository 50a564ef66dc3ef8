// See throughput.h for the counting convention.
#include "tasks/pretrain/throughput.h"

namespace xlm::tasks {

double training_flops(const nn::TransformerConfig& config, int64_t rows, int64_t cols, int64_t n_predicted) {
  const double d = static_cast<double>(config.emb_dim);
  const double tokens = static_cast<double>(rows) * static_cast<double>(cols);
  const double per_token_layer = 24.0 * d * d + 4.0 * static_cast<double>(cols) * d;
  const double forward = tokens * static_cast<double>(config.n_layers) * per_token_layer +
                         static_cast<double>(n_predicted) * 2.0 * d * static_cast<double>(config.n_words);
  return 3.0 * forward;
}

int64_t count_parameters(const nn::TransformerModel& model) {
  int64_t n = 0;
  for (const auto& [name, tensor] : model.parameters()) n += tensor.numel();
  return n;
}

}  // namespace xlm::tasks
