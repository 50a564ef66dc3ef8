// How a list of tensors is cut into kernel launches for multi-tensor updates
// (after apex's multi_tensor_apply): each tensor is split into chunks of
// `chunk` elements; a launch holds at most `max_tensors` tensors and
// `max_blocks` chunks (one block each); a tensor whose chunks do not all fit
// continues in the next launch. Plain host code, so the packing is tested on
// the CPU; adam_update_multi_cuda.cu turns each launch into its kernel's
// argument table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace xlm::nn {

struct MultiTensorLaunch {
  std::vector<std::size_t> tensors;             // slot -> index into the tensor list
  std::vector<std::pair<int, int64_t>> blocks;  // block -> (slot, chunk of that tensor)
};

// sizes: element counts (empty tensors are skipped); chunk, max_tensors, max_blocks >= 1.
std::vector<MultiTensorLaunch> plan_multi_tensor(const std::vector<int64_t>& sizes, int64_t chunk, int max_tensors,
                                                 int max_blocks);

}  // namespace xlm::nn
