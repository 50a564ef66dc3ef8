// host_enqueue_times (tasks/bench): the medians of the probes' host and
// queued times, and no figure at all when a probe waited for the device
// through a blocking transfer. On the CPU nothing is left queued when a step
// returns, so the queued time is the cost of a no-op synchronize.
#include "core/error.h"
#include "core/host_reads.h"
#include "support.h"
#include "tasks/bench/host_enqueue.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

using namespace xlm;

TEST_CASE("host_enqueue_times: the median probe's host time, nothing queued on the CPU", "[bench]") {
  int calls = 0;
  // 2 ms, 200 ms, 8 ms: the median is the 8 ms call (a loaded machine may
  // stretch the short sleeps, hardly past the long one).
  const int sleep_ms[] = {2, 200, 8};
  const auto step = [&] { std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms[calls++])); };
  const std::optional<tasks::HostEnqueueTimes> t = tasks::host_enqueue_times(step, Device::cpu(), 3);
  CHECK(calls == 3);
  REQUIRE(t.has_value());
  CHECK(t->host_ms >= 8.0);
  CHECK(t->host_ms < 200.0);
  CHECK(t->queued_ms >= 0.0);
  CHECK(t->queued_ms < 2.0);  // synchronize(cpu) returns at once
}

TEST_CASE("host_enqueue_times refuses a step that waits for the device", "[bench]") {
  int calls = 0;
  const auto step = [&] {
    if (++calls == 2) count_host_transfer();  // one probe of three read a device tensor back
  };
  CHECK_FALSE(tasks::host_enqueue_times(step, Device::cpu(), 3).has_value());
  CHECK(calls == 3);
  XLM_CHECK_THROWS(tasks::host_enqueue_times(step, Device::cpu(), 0), Error, "0 probes");
}
