// --check_weights_every K: data-parallel ranks must hold bit-identical
// weights (same initial broadcast, same averaged gradients, same update);
// a silent divergence (a non-deterministic kernel, a bad GPU, a bug) would
// otherwise train N different models. Each rank hashes its parameters
// (CRC-32C of names and bytes) and the hashes are all-gathered, so every
// rank reaches the same verdict and all stop together.
#pragma once

#include "core/communicator.h"
#include "nn/named_tensors.h"

#include <cstdint>

namespace xlm::tasks {

// CRC-32C over every parameter's name and raw bytes, in order.
uint32_t weight_hash(const nn::NamedTensors& params);

// Collective. Error "weights differ between ranks after update N: rank 0 has
// crc32c 0x..., rank(s) 2 have 0x..." when any rank's hash differs from rank 0's.
void check_weights_agree(Communicator& comm, const nn::NamedTensors& params, int64_t n_updates);

}  // namespace xlm::tasks
