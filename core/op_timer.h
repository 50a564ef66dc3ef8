// Per-operation timing on a device, so that a benchmark times a collective
// the way the device runs it: on the CPU with steady_clock (the call returns
// when the work is done), on a GPU with CUDA events recorded on the device
// stream around the enqueued work (the host returns at once; the events say
// when the stream actually ran it). The times are read back at the end, in
// order, so a loop of start/stop pairs holds no host synchronisation.
#pragma once

#include "core/device.h"

#include <memory>
#include <vector>

namespace xlm {

class OpTimer {
 public:
  virtual ~OpTimer() = default;
  virtual void start() = 0;  // marks the beginning of the next operation
  virtual void stop() = 0;   // marks its end
  // Seconds of every start/stop pair so far, in order (waits for the device).
  virtual std::vector<double> seconds() = 0;
};

// steady_clock for the CPU; CUDA events on the device's stream (CUDA builds).
std::unique_ptr<OpTimer> make_op_timer(Device device);

}  // namespace xlm
