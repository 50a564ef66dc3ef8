// See cpu_thread_env.h. Only getenv/setenv and, to re-execute, readlink and
// execv of /proc/self/exe's target (Linux).
#include "core/cpu_thread_env.h"

#include <climits>
#include <cstdlib>

#include <unistd.h>

namespace xlm {

bool set_cpu_thread_env_defaults() {
  bool changed = false;
  for (const CpuThreadEnvDefault& d : kCpuThreadEnvDefaults) {
    bool user_set = false;
    for (const char* name : d.unless_set) user_set = user_set || (name != nullptr && std::getenv(name) != nullptr);
    if (!user_set && setenv(d.name, d.value, 0) == 0) changed = true;
  }
  return changed;
}

void apply_cpu_thread_env_defaults(char** argv) {
  if (!set_cpu_thread_env_defaults()) return;
  char path[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return;
  path[n] = '\0';
  execv(path, argv);
}

}  // namespace xlm
