// host_enqueue_times: synchronize, time the call and the device's tail,
// check the transfer counter.
#include "tasks/bench/host_enqueue.h"

#include "core/error.h"
#include "core/host_reads.h"
#include "core/storage.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace xlm::tasks {

namespace {

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

double ms_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace

std::optional<HostEnqueueTimes> host_enqueue_times(const std::function<void()>& step, Device device, int probes) {
  XLM_CHECK(probes >= 1, Error, "host_enqueue_times: {} probes, need at least 1", probes);
  std::vector<double> host, queued;
  bool waited = false;
  for (int i = 0; i < probes; ++i) {
    synchronize(device);
    const int64_t transfers = host_transfer_count();
    const auto start = std::chrono::steady_clock::now();
    step();
    const auto returned = std::chrono::steady_clock::now();
    waited = waited || host_transfer_count() != transfers;
    synchronize(device);
    host.push_back(ms_between(start, returned));
    queued.push_back(ms_between(returned, std::chrono::steady_clock::now()));
  }
  if (waited) return std::nullopt;
  return HostEnqueueTimes{median(host), median(queued)};
}

}  // namespace xlm::tasks
