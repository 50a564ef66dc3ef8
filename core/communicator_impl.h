// Constructors of the transports, for make_communicator only. Each lives in
// its own file, compiled only when its library is (MPI: XLM_WITH_MPI; NCCL:
// a CUDA build with XLM_WITH_NCCL), so the factory names them behind the
// same switches and libxlm never links a library it was not built with.
#pragma once

#include "core/communicator.h"
#include "xlm/config.h"

#include <cstddef>

namespace xlm::detail {

#if XLM_WITH_MPI
// MPI_COMM_WORLD (duplicated); checks that MPI's rank and size match `launch`.
std::unique_ptr<Communicator> make_mpi_communicator(const LaunchEnv& launch);
// Rank `root`'s `bytes` bytes at `data` to every rank of MPI_COMM_WORLD
// (initialises MPI if needed): how NCCL's unique id travels under mpirun/srun.
void mpi_broadcast_bytes(void* data, size_t bytes, int root);
#endif

#if XLM_WITH_CUDA && XLM_WITH_NCCL
std::unique_ptr<Communicator> make_nccl_communicator(Device device, const LaunchEnv& launch);
#endif

}  // namespace xlm::detail
