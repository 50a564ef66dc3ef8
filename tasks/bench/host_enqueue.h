// How long the host takes to enqueue one training step, so that a GPU run can
// tell whether the host or the device bounds its throughput (and so whether
// capturing the step in a CUDA graph, which removes the host's per-launch
// work, could pay). Each probe starts with the device idle (synchronize) and
// times the call until it returns (the host's time), then the wait until the
// device has finished what the step queued (the queued time). The host time
// is the host's alone provided the step made no blocking device-to-host
// transfer (core/host_reads.h counts them: one such read makes the host wait
// for the device's work so far, and the probe says so instead of returning
// a mixed figure) and the device did not push back: a CUDA stream queues
// about a thousand operations, and a step that enqueues more than that while
// the device lags makes the host wait inside a launch. The queued time tells
// the two cases apart: near zero, the device waited for the host (a graph
// would pay); large, the device was behind, and the host time may include
// such waits (a graph would not pay). On the CPU a step runs as it is
// enqueued, so the host time is the step's whole time and the queued time
// about zero.
#pragma once

#include "core/device.h"

#include <functional>
#include <optional>

namespace xlm::tasks {

struct HostEnqueueTimes {
  double host_ms = 0;    // until the step returned
  double queued_ms = 0;  // from then until the device was idle again
};

// The medians over `probes` calls of `step` (each after synchronize(device))
// of both times; nullopt when any call made a blocking device-to-host
// transfer. The device is idle again when it returns.
std::optional<HostEnqueueTimes> host_enqueue_times(const std::function<void()>& step, Device device, int probes);

}  // namespace xlm::tasks
