// How long the host takes to enqueue one training step, so that a GPU run can
// tell whether the host or the device bounds its throughput (and so whether
// capturing the step in a CUDA graph, which removes the host's per-launch
// work, could pay). Each probe starts with the device idle (synchronize), so
// the device can never push back on the host; the time until the step
// returns is then the host's alone, provided the step made no blocking
// device-to-host transfer (core/host_reads.h counts them): one such read
// makes the host wait for the device's work so far, and the probe says so
// instead of returning a mixed figure. On the CPU a step runs as it is
// enqueued, so the figure is the step's whole time.
#pragma once

#include "core/device.h"

#include <functional>
#include <optional>

namespace xlm::tasks {

// The median over `probes` calls of `step` (each after synchronize(device))
// of the milliseconds until it returns; nullopt when any call made a blocking
// device-to-host transfer. The device is synchronised again at the end.
std::optional<double> host_enqueue_ms(const std::function<void()>& step, Device device, int probes);

}  // namespace xlm::tasks
