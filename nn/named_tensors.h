// NamedTensors: an ordered list of (name, tensor) pairs. The model hands its
// parameters to the optimizer and to checkpoints in this form: a vector, not a
// map, because the order is part of the contract (a fixed parameter order
// makes updates, gradient buckets and files deterministic).
#pragma once

#include "core/tensor.h"

#include <string>
#include <utility>
#include <vector>

namespace xlm::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

}  // namespace xlm::nn
