// host_enqueue_ms: synchronize, time the call, check the transfer counter.
#include "tasks/bench/host_enqueue.h"

#include "core/error.h"
#include "core/host_reads.h"
#include "core/storage.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace xlm::tasks {

std::optional<double> host_enqueue_ms(const std::function<void()>& step, Device device, int probes) {
  XLM_CHECK(probes >= 1, Error, "host_enqueue_ms: {} probes, need at least 1", probes);
  std::vector<double> ms;
  bool waited = false;
  for (int i = 0; i < probes; ++i) {
    synchronize(device);
    const int64_t transfers = host_transfer_count();
    const auto start = std::chrono::steady_clock::now();
    step();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    waited = waited || host_transfer_count() != transfers;
  }
  synchronize(device);
  if (waited) return std::nullopt;
  std::nth_element(ms.begin(), ms.begin() + static_cast<long>(ms.size() / 2), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace xlm::tasks
