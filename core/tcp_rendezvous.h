// How NCCL's unique id reaches every rank under torchrun-style launches,
// where there is no MPI: rank 0 listens on MASTER_PORT and sends the bytes
// to each rank that connects to MASTER_ADDR:MASTER_PORT. Plain POSIX
// sockets, a magic and a length in front of the payload (so that talking to
// some other service on that port is an error, not a garbage id), and one
// deadline for the whole exchange (so that a missing rank is an error naming
// the address, not a hang). Independent of CUDA, so it is tested on the CPU.
#pragma once

#include "core/launch_env.h"

#include <chrono>
#include <cstddef>

namespace xlm {

// Rank 0's `bytes` bytes at `data` are written to `data` on every rank of
// `launch` (needs master_addr/master_port). BackendError naming the rank, the
// address and the cause on failure or when `timeout` passes.
void tcp_broadcast_bytes(void* data, size_t bytes, const LaunchEnv& launch, std::chrono::milliseconds timeout);

}  // namespace xlm
