// Defaults for the environment variables that the CPU thread libraries read
// once, when they are loaded: libgomp's and OpenBLAS's constructors run before
// main, so a setenv in main is too late for this process (and one from
// .preinit_array is lost: libc resets environ after it). So `xlm`'s main sets
// the defaults and, when it set any, executes itself again (tools/main.cpp):
// the new image's libraries read them. What is set and why (measured on a
// 2-core machine shared with other jobs): docs/performance.md, "Threads".
// A variable the user set is never changed, so OMP_NUM_THREADS stays the one
// knob for the thread count and every default can be overridden.
#pragma once

namespace xlm {

// The defaults, in order: {name, value, the variables whose presence keeps it unset}.
struct CpuThreadEnvDefault {
  const char* name;
  const char* value;
  const char* unless_set[2];  // the variable itself, and another that configures the same thing (or nullptr)
};
inline constexpr CpuThreadEnvDefault kCpuThreadEnvDefaults[] = {
    // libgomp: idle workers spin 1000 times (instead of 300000 when the policy
    // is unset; 1000 is libgomp's own count when threads outnumber cores) before
    // sleeping: tens of microseconds, enough to catch back-to-back parallel
    // regions, too short to take a shared core between them.
    {"GOMP_SPINCOUNT", "1000", {"GOMP_SPINCOUNT", "OMP_WAIT_POLICY"}},
    // OpenBLAS: no thread pool of its own (it would read OMP_NUM_THREADS and
    // start one); every call runs on one thread (kernels/matmul/blas_threads.h).
    {"OPENBLAS_NUM_THREADS", "1", {"OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS"}},
};

// Sets each default whose variables are all unset; true when it set one (so
// the caller must re-execute for it to apply; false again in the new image).
bool set_cpu_thread_env_defaults();

// For a program's main: sets the defaults and, when it set one, executes the
// same binary again with argv (by its real path, so the process keeps its
// name). Returns only when nothing was set or the exec failed (the program
// then runs with the libraries' own defaults).
void apply_cpu_thread_env_defaults(char** argv);

}  // namespace xlm
