// See comm_watchdog.h. The thread sleeps on a condition variable and wakes
// at most every 50 ms, so a disarmed watchdog costs nothing measurable and
// a timeout is reported within 50 ms of its deadline.
#include "tasks/pretrain/comm_watchdog.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace xlm::tasks {

CommWatchdog::CommWatchdog(Communicator& comm, double timeout_s, FailureFn on_failure)
    : comm_(comm), timeout_s_(timeout_s), on_failure_(std::move(on_failure)) {
  if (timeout_s_ > 0) thread_ = std::thread([this] { watch(); });
}

CommWatchdog::~CommWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string CommWatchdog::who() const {
  return fmt::format("rank {} of {} ({})", comm_.rank(), comm_.world_size(), comm_.backend());
}

CommWatchdog::Scope::Scope(CommWatchdog& dog, const char* what) : dog_(dog) { dog_.arm(what); }
CommWatchdog::Scope::~Scope() { dog_.disarm(); }

void CommWatchdog::arm(const char* what) {
  if (timeout_s_ <= 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  armed_ = true;
  what_ = what;
  const auto timeout = std::chrono::duration<double>(timeout_s_);
  deadline_ = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
}

void CommWatchdog::disarm() {
  if (timeout_s_ <= 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  armed_ = false;
}

void CommWatchdog::drain(const char* what) {
  Scope scope(*this, what);
  const std::string error = comm_.wait_idle(timeout_s_);
  if (!error.empty()) fail(fmt::format("{}: {}", what, error));
}

void CommWatchdog::watch() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::milliseconds(50));
    if (stop_ || !armed_ || std::chrono::steady_clock::now() < deadline_) continue;
    const std::string what = what_;
    armed_ = false;
    lock.unlock();
    fail(fmt::format("{} did not finish within --comm_timeout {} s (a peer rank died, hangs or is far slower)", what,
                     timeout_s_));
    lock.lock();
  }
}

void CommWatchdog::fail(const std::string& cause) {
  if (failed_.exchange(true)) return;  // one report per process
  const std::string line = fmt::format("{}: {}; stopping", who(), cause);
  if (on_failure_) {  // tests
    comm_.abort();
    on_failure_(line);
    return;
  }
  // The line goes out before the abort: ncclCommAbort may itself block on a
  // broken transport, and the user must still learn which rank stopped and why.
  std::cout.flush();
  std::fflush(stdout);
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
  comm_.abort();
  std::_Exit(1);
}

}  // namespace xlm::tasks
