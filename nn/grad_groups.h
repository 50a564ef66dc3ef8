// Gradients grouped by device, for the passes that touch every gradient once
// (clipping's norm, the mixed-precision finite check): one kernel sequence
// and one host sync per device instead of one per tensor.
#pragma once

#include "nn/named_tensors.h"

#include <map>
#include <vector>

namespace xlm::nn {

// Defined, non-empty gradients of `params` by device (key -1 is the CPU,
// k >= 0 is cuda:k); a non-floating gradient throws naming `op` and the parameter.
std::map<int, std::vector<Tensor>> grads_by_device(const NamedTensors& params, const char* op);

}  // namespace xlm::nn
