// Packing of tensors and chunks into launches; see multi_tensor_plan.h.
#include "nn/multi_tensor_plan.h"

#include "core/error.h"

namespace xlm::nn {

std::vector<MultiTensorLaunch> plan_multi_tensor(const std::vector<int64_t>& sizes, int64_t chunk, int max_tensors,
                                                 int max_blocks) {
  XLM_CHECK(chunk >= 1 && max_tensors >= 1 && max_blocks >= 1, Error,
            "plan_multi_tensor: chunk {}, max_tensors {} and max_blocks {} must be positive", chunk, max_tensors,
            max_blocks);
  std::vector<MultiTensorLaunch> launches;
  MultiTensorLaunch cur;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] <= 0) continue;
    cur.tensors.push_back(i);
    const int64_t chunks = (sizes[i] + chunk - 1) / chunk;
    for (int64_t c = 0; c < chunks; ++c) {
      cur.blocks.emplace_back(static_cast<int>(cur.tensors.size()) - 1, c);
      const bool last_chunk = c == chunks - 1;
      const bool full = static_cast<int>(cur.blocks.size()) == max_blocks ||
                        (static_cast<int>(cur.tensors.size()) == max_tensors && last_chunk);
      if (!full) continue;
      launches.push_back(std::move(cur));
      cur = MultiTensorLaunch{};
      if (!last_chunk) cur.tensors.push_back(i);  // the rest of tensor i starts the next launch
    }
  }
  if (!cur.blocks.empty()) launches.push_back(std::move(cur));
  return launches;
}

}  // namespace xlm::nn
