// Launcher variables -> LaunchEnv; see launch_env.h for the precedence rule.
// Integers are parsed strictly (the whole value, base 10) so that a typo such
// as RANK=1x is an error instead of rank 1.
#include "core/launch_env.h"

#include "core/error.h"

#include <charconv>
#include <optional>

extern char** environ;

namespace xlm {

const char* launcher_name(Launcher l) {
  switch (l) {
    case Launcher::none: return "none";
    case Launcher::mpi: return "mpirun";
    case Launcher::slurm: return "srun";
    case Launcher::torchrun: return "torchrun";
  }
  return "?";
}

namespace {

std::optional<std::string> lookup(const EnvMap& env, const std::string& name) {
  auto it = env.find(name);
  if (it == env.end()) return std::nullopt;
  return it->second;
}

std::optional<int> read_int(const EnvMap& env, const std::string& name) {
  auto value = lookup(env, name);
  if (!value) return std::nullopt;
  int out = 0;
  const char* begin = value->data();
  const char* end = begin + value->size();
  auto [ptr, ec] = std::from_chars(begin, end, out);
  if (value->empty() || ec != std::errc() || ptr != end)
    throw ConfigError(fmt::format("launch environment: {}='{}' is not an integer", name, *value));
  return out;
}

// Rank and size must come as a pair; the local rank is optional (-1 if absent).
LaunchEnv read_family(const EnvMap& env, Launcher launcher, const std::string& rank_var,
                      const std::string& size_var, const std::string& local_var) {
  auto rank = read_int(env, rank_var);
  auto size = read_int(env, size_var);
  if (!rank || !size)
    throw ConfigError(fmt::format("launch environment: {} is set but {} is not (launcher {})",
                                  rank ? rank_var : size_var, rank ? size_var : rank_var, launcher_name(launcher)));
  LaunchEnv out;
  out.launcher = launcher;
  out.rank = *rank;
  out.world_size = *size;
  out.local_rank = read_int(env, local_var).value_or(-1);
  out.source = fmt::format("{}={}, {}={}", rank_var, *rank, size_var, *size);
  if (out.local_rank >= 0) out.source += fmt::format(", {}={}", local_var, out.local_rank);
  if (out.world_size < 1)
    throw ConfigError(fmt::format("launch environment: {}={} must be at least 1", size_var, out.world_size));
  if (out.rank < 0 || out.rank >= out.world_size)
    throw ConfigError(fmt::format("launch environment: {}={} is outside [0, {}={})", rank_var, out.rank, size_var,
                                  out.world_size));
  if (out.local_rank >= out.world_size)
    throw ConfigError(fmt::format("launch environment: {}={} is not below {}={}", local_var, out.local_rank, size_var,
                                  out.world_size));
  return out;
}

LaunchEnv read_mpi(const EnvMap& env) {
  const bool ompi = env.count("OMPI_COMM_WORLD_RANK") || env.count("OMPI_COMM_WORLD_SIZE");
  const bool pmi = env.count("PMI_RANK") || env.count("PMI_SIZE");
  std::optional<LaunchEnv> a, b;
  if (ompi) a = read_family(env, Launcher::mpi, "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE",
                            "OMPI_COMM_WORLD_LOCAL_RANK");
  if (pmi) b = read_family(env, Launcher::mpi, "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID");
  if (a && b && (a->rank != b->rank || a->world_size != b->world_size))
    throw ConfigError(fmt::format("launch environment: Open MPI and PMI disagree ({} vs {})", a->source, b->source));
  if (a && b && a->local_rank < 0) a->local_rank = b->local_rank;
  return a ? *a : *b;
}

LaunchEnv read_torchrun(const EnvMap& env) {
  LaunchEnv out = read_family(env, Launcher::torchrun, "RANK", "WORLD_SIZE", "LOCAL_RANK");
  auto addr = lookup(env, "MASTER_ADDR");
  auto port = read_int(env, "MASTER_PORT");
  if (out.world_size > 1 && (!addr || addr->empty() || !port))
    throw ConfigError(fmt::format("launch environment: {} needs MASTER_ADDR and MASTER_PORT (rank 0's address)",
                                  out.source));
  if (port && (*port < 1 || *port > 65535))
    throw ConfigError(fmt::format("launch environment: MASTER_PORT={} is not a TCP port (1..65535)", *port));
  out.master_addr = addr.value_or("");
  out.master_port = port.value_or(0);
  return out;
}

}  // namespace

LaunchEnv parse_launch_env(const EnvMap& env) {
  if (env.count("RANK") || env.count("WORLD_SIZE")) return read_torchrun(env);
  if (env.count("OMPI_COMM_WORLD_RANK") || env.count("OMPI_COMM_WORLD_SIZE") || env.count("PMI_RANK") ||
      env.count("PMI_SIZE"))
    return read_mpi(env);
  // SLURM_NTASKS alone is an allocation (salloc, sbatch), not a task srun started.
  if (env.count("SLURM_PROCID"))
    return read_family(env, Launcher::slurm, "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID");
  return LaunchEnv{};
}

EnvMap process_env() {
  EnvMap env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

}  // namespace xlm
