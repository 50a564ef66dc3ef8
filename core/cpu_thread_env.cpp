// See cpu_thread_env.h. Only getenv/setenv: main calls it first thing.
#include "core/cpu_thread_env.h"

#include <cstdlib>

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

}  // namespace xlm
