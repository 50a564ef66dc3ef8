// The communicator `xlm bench allreduce` measures. `auto` is the trainer's
// own choice (tasks/pretrain/data_parallel.h: one rank -> the trivial
// single-rank communicator, CPU ranks -> MPI, GPU ranks -> NCCL on
// cuda:<local rank>). Naming the transport (`mpi`, `nccl`) also reaches it
// with one rank, whose collectives the factory would otherwise skip: one GPU
// then still runs NCCL's path (kernels, streams, the bucketed overlap), and
// its algbw is the transport's own cost (busbw is 0 at n = 1 by definition).
#pragma once

#include "core/communicator.h"

#include <memory>
#include <string>

namespace xlm::tasks {

// backend: "auto", "mpi" (CPU) or "nccl" (CUDA). May set `device` to
// cuda:<local rank> (several GPU ranks). ConfigError naming --backend when the
// transport does not fit the device or is not built in.
std::shared_ptr<Communicator> make_bench_communicator(Device& device, const std::string& backend);

}  // namespace xlm::tasks
