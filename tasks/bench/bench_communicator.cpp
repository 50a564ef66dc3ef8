// See bench_communicator.h. The one-rank transports come from the
// constructors the factory itself uses (core/communicator_impl.h), as the
// NCCL one-rank test does; several ranks always go through the trainer's
// factory, whose transport must then be the one named.
#include "tasks/bench/bench_communicator.h"

#include "core/communicator_impl.h"
#include "core/error.h"
#include "tasks/pretrain/data_parallel.h"

#include <fmt/format.h>

namespace xlm::tasks {

std::shared_ptr<Communicator> make_bench_communicator(Device& device, const std::string& backend) {
  XLM_CHECK(backend == "auto" || backend == "mpi" || backend == "nccl", ConfigError,
            "--backend {}: expected auto, mpi or nccl", backend);
  if (backend == "auto") return make_training_communicator(device);
  XLM_CHECK((backend == "mpi") == device.is_cpu(), ConfigError,
            "--backend {} does not fit --device {}: MPI reduces CPU tensors, NCCL CUDA tensors", backend,
            device.is_cpu() ? "cpu" : "cuda");
  LaunchEnv launch = parse_launch_env(process_env());
  if (launch.world_size > 1) {
    std::shared_ptr<Communicator> comm = make_training_communicator(device);
    XLM_CHECK(comm->backend() == backend, ConfigError, "--backend {}: the launcher's ranks got {}", backend,
              comm->backend());
    return comm;
  }
  if (backend == "mpi") {
#if XLM_WITH_MPI
    return detail::make_mpi_communicator(launch);  // MPI's singleton start: no mpirun needed
#else
    throw ConfigError("--backend mpi: this build has no MPI (install Open MPI and rebuild)");
#endif
  }
#if XLM_WITH_CUDA && XLM_WITH_NCCL
  launch.launcher = Launcher::torchrun;  // world size 1: the unique id needs no exchange
  return detail::make_nccl_communicator(device, launch);
#else
  throw ConfigError("--backend nccl: this build has no NCCL (a CUDA build where NCCL is found)");
#endif
}

}  // namespace xlm::tasks
