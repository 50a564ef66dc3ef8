// Named tensors in a fixed order: how modules list their parameters and how
// model.safetensors and checkpoints see them. A vector (not a map) because
// the order is part of the contract (XLM's state_dict order).
#pragma once

#include "core/tensor.h"

#include <string>
#include <utility>
#include <vector>

namespace xlm::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

}  // namespace xlm::nn
