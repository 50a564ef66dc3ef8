// Who am I in a multi-process job? Every launcher answers through the
// environment, each with its own variable names: mpirun (Open MPI's
// OMPI_COMM_WORLD_*, MPICH / Intel MPI's PMI_*), srun (SLURM_*), torchrun
// (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT). Reading them is
// a pure function of an environment map, so every launcher and every
// contradiction is tested without launching anything; `process_env()` is
// the one place that touches the real environment.
//
// Launchers nest (torchrun or mpirun run inside a Slurm allocation, whose
// SLURM_* variables describe the outer job step), so the launcher nearest
// the process wins: torchrun, then MPI, then Slurm. Within one launcher,
// partial or inconsistent values are a ConfigError naming the variables.
#pragma once

#include <map>
#include <string>

namespace xlm {

enum class Launcher { none, mpi, slurm, torchrun };
const char* launcher_name(Launcher l);  // "none", "mpirun", "srun", "torchrun"

struct LaunchEnv {
  Launcher launcher = Launcher::none;
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;       // -1 when the launcher does not say (PMI without MPI_LOCALRANKID)
  std::string master_addr;  // torchrun only: where rank 0 listens
  int master_port = 0;      // torchrun only
  std::string source;       // the variables the values came from, for messages
};

using EnvMap = std::map<std::string, std::string>;

// The launch described by `env`; no launcher variables -> a single rank.
// ConfigError on non-integers, partial sets, rank >= size, and the like.
LaunchEnv parse_launch_env(const EnvMap& env);

// This process's environment (environ) as a map.
EnvMap process_env();

}  // namespace xlm
