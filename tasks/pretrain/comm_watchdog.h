// Bounded waits for data-parallel training (--comm_timeout). A collective
// that never completes (a peer died, hangs, or NCCL failed) must not hang
// the job: every wait on the communicator happens inside a watched scope,
// and a thread of its own checks the armed deadline. On expiry it prints one
// line naming this rank, what it waited for and why, flushes, aborts the
// transport (ncclCommAbort on GPUs) and ends the process with _Exit(1): the
// main thread may be blocked inside MPI or CUDA, where no exception can
// reach it. mpirun and srun then end the remaining ranks. On the GPU the
// collectives are asynchronous, so drain() polls the streams and NCCL's
// asynchronous error under the same deadline (NCCL's documented pattern).
// Tests replace the exit with a callback.
#pragma once

#include "core/communicator.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace xlm::tasks {

class CommWatchdog {
 public:
  using FailureFn = std::function<void(const std::string& message)>;
  // timeout_s <= 0: nothing is watched (no thread). Without on_failure a
  // failure prints the line, flushes, aborts the transport and ends the
  // process with std::_Exit(1); with it (tests), the transport is aborted
  // and on_failure receives the whole line.
  CommWatchdog(Communicator& comm, double timeout_s, FailureFn on_failure = {});
  ~CommWatchdog();
  CommWatchdog(const CommWatchdog&) = delete;
  CommWatchdog& operator=(const CommWatchdog&) = delete;

  // Arms the deadline for the scope's lifetime; `what` names the wait in the message.
  class Scope {
   public:
    Scope(CommWatchdog& dog, const char* what);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    CommWatchdog& dog_;
  };

  // Waits, within the timeout, for the communicator's enqueued work
  // (Communicator::wait_idle); a transport error or the timeout fails the run.
  void drain(const char* what);

  double timeout_s() const { return timeout_s_; }
  // "rank R of W (backend)": how every message starts.
  std::string who() const;

 private:
  void arm(const char* what);
  void disarm();
  void watch();  // the thread
  void fail(const std::string& cause);

  Communicator& comm_;
  double timeout_s_;
  FailureFn on_failure_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool armed_ = false;
  const char* what_ = "";
  std::chrono::steady_clock::time_point deadline_;
  std::atomic<bool> failed_{false};
  std::thread thread_;
};

}  // namespace xlm::tasks
