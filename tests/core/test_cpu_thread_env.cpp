// The thread-library defaults `xlm` sets before load (core/cpu_thread_env.h)
// apply only where the user set nothing about the same thing: OMP_WAIT_POLICY
// keeps GOMP_SPINCOUNT unset, GOTO_NUM_THREADS keeps OPENBLAS_NUM_THREADS
// unset, and a value the user gave is never replaced.
#include <catch2/catch.hpp>

#include "core/cpu_thread_env.h"

#include <cstdlib>
#include <map>
#include <optional>
#include <string>

namespace {

const char* const kNames[] = {"GOMP_SPINCOUNT", "OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS"};

std::optional<std::string> get(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::optional<std::string>(v) : std::nullopt;
}

// Restores the four variables on destruction.
struct SavedEnv {
  std::map<std::string, std::optional<std::string>> saved;
  SavedEnv() {
    for (const char* n : kNames) saved[n] = get(n);
  }
  ~SavedEnv() {
    for (const auto& [n, v] : saved) v ? setenv(n.c_str(), v->c_str(), 1) : unsetenv(n.c_str());
  }
  static void clear() {
    for (const char* n : kNames) unsetenv(n);
  }
};

}  // namespace

TEST_CASE("cpu thread env defaults: set when unset, never over the user's", "[core][threads]") {
  SavedEnv keep;
  SavedEnv::clear();
  CHECK(xlm::set_cpu_thread_env_defaults());
  CHECK_FALSE(xlm::set_cpu_thread_env_defaults());  // all set now: the re-executed program goes on
  CHECK(get("GOMP_SPINCOUNT") == "1000");
  CHECK(get("OPENBLAS_NUM_THREADS") == "1");
  CHECK_FALSE(get("OMP_WAIT_POLICY"));

  SavedEnv::clear();
  setenv("OMP_WAIT_POLICY", "active", 1);
  setenv("OPENBLAS_NUM_THREADS", "3", 1);
  CHECK_FALSE(xlm::set_cpu_thread_env_defaults());
  CHECK_FALSE(get("GOMP_SPINCOUNT"));  // the user chose a wait policy
  CHECK(get("OMP_WAIT_POLICY") == "active");
  CHECK(get("OPENBLAS_NUM_THREADS") == "3");

  SavedEnv::clear();
  setenv("GOMP_SPINCOUNT", "5", 1);
  setenv("GOTO_NUM_THREADS", "2", 1);
  CHECK_FALSE(xlm::set_cpu_thread_env_defaults());
  CHECK(get("GOMP_SPINCOUNT") == "5");
  CHECK_FALSE(get("OPENBLAS_NUM_THREADS"));  // GOTO_NUM_THREADS already says it
}
