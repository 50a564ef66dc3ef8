// Deferred error reports from CUDA kernels. A kernel that must not read out
// of bounds on bad input (an index outside its table, a length outside its
// row) does something safe instead (writes zeros, skips the element) and
// records the first offence it sees in a small per-device slot; the host
// reads the slot at the next point where it waits for the device anyway
// (a device-to-host copy, cuda_synchronize) and throws then. So a training
// step needs no device read to stay memory-safe. This header is plain C++:
// the slot's layout (shared with the kernels through core/device_errors.cuh)
// and the ledger that remembers, for each checked launch, how to word its
// error. The ledger is unit-tested on the CPU; the CUDA side
// (core/device_errors_cuda.cpp) only moves the slot's bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <utility>

namespace xlm {

// The slot one device holds: tag 0 = nothing recorded. The first kernel thread
// that swaps the tag from 0 writes position and value (core/device_errors.cuh).
struct DeviceErrorSlot {
  uint32_t tag;
  uint32_t unused;
  int64_t position;  // flat element position in the launch's input
  int64_t value;     // the offending value
};

// What a checked kernel launch receives (by value): its device's slot and its tag.
struct DeviceCheck {
  DeviceErrorSlot* slot = nullptr;  // device memory
  uint32_t tag = 0;
};

// Throws the launch's error for (position, value); must throw.
using DeviceErrorRaiser = std::function<void(int64_t position, int64_t value)>;

// Per-device memory of the checked launches since the last drain.
class DeviceErrorLedger {
 public:
  // Remembers at most `capacity` launches; older ones still raise, with a
  // generic message (a step launches a few dozen checked kernels).
  explicit DeviceErrorLedger(size_t capacity = 4096) : capacity_(capacity) {}

  // A nonzero tag for one launch, to pass to its kernel.
  uint32_t expect(DeviceErrorRaiser raise);

  // Whether any checked launch happened since the last drain (else the slot
  // cannot hold anything and the host need not read it).
  bool pending() const { return !entries_.empty(); }

  // The slot was read after the device drained: forgets every launch, then
  // throws that launch's error if `slot.tag` is nonzero.
  void drain(const DeviceErrorSlot& slot);

 private:
  size_t capacity_;
  uint32_t next_tag_ = 1;
  std::deque<std::pair<uint32_t, DeviceErrorRaiser>> entries_;  // oldest first
};

}  // namespace xlm
