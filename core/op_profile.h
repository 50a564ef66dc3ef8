// Where a step's time goes, without an external profiler: every backend call
// (XLM_CALL_BACKEND, kernels/backend.h) is timed while a profile::Session is
// open on the calling thread, and attributed to
//   - a region: a name the model sets around a part of itself (RegionScope:
//     input_block, attention, ffn, ...); an autograd node keeps the region it
//     was recorded in, so its backward is attributed there too;
//   - a phase: forward, backward (autograd's walk) or update (PhaseScope
//     around the optimizer);
//   - the call: the backend function's name (layer_norm_forward, ...).
// Timing is core/op_timer.h's: steady_clock on the CPU, a CUDA event pair on
// the device stream on a GPU, read once when the rows are asked for, so
// profiling adds no host synchronisation inside a step (only the host work
// of two events per call). Only the outermost backend call is timed: a
// backend that calls another front counts once, under its own name.
// Off (no open session on the thread), a call costs one thread-local test.
#pragma once

#include "core/device.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace xlm {
class OpTimer;
}

namespace xlm::profile {

enum class Phase : uint8_t { forward, backward, update };
const char* phase_name(Phase phase);

// The region and phase in force on this thread ("other" and forward when
// nobody set one).
const char* current_region();
Phase current_phase();

// Sets the region for its lifetime on this thread. `name` must outlive every
// autograd node recorded under it (use string literals).
class RegionScope {
 public:
  explicit RegionScope(const char* name);
  ~RegionScope();
  RegionScope(const RegionScope&) = delete;
  RegionScope& operator=(const RegionScope&) = delete;

 private:
  const char* previous_;
};

class PhaseScope {
 public:
  explicit PhaseScope(Phase phase);
  ~PhaseScope();
  PhaseScope(const PhaseScope&) = delete;
  PhaseScope& operator=(const PhaseScope&) = delete;

 private:
  Phase previous_;
};

// One (region, phase, call) with its totals over the session.
struct Row {
  std::string region;
  Phase phase = Phase::forward;
  std::string call;
  int64_t calls = 0;
  double seconds = 0;
};

// Profiles the backend calls made on this thread while it is open (one
// session per thread at a time: opening a second throws).
class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The totals so far, largest time first (waits for the devices' timers).
  std::vector<Row> rows();

  // Used by BackendCall.
  void begin(Device device, const char* call);
  void end();

 private:
  struct Key {
    const char* region;
    Phase phase;
    const char* call;
  };
  struct DeviceTimes {
    Device device;
    std::unique_ptr<OpTimer> timer;
    std::vector<Key> keys;  // one per start/stop pair of `timer`, in order
  };
  std::vector<std::unique_ptr<DeviceTimes>> devices_;  // one or two: a linear search
  DeviceTimes* open_ = nullptr;  // the device of the call being timed
  std::string failure_;          // a timer error met in end() (a destructor), thrown by rows()
};

// Times one backend call when a session is open and no outer call is being
// timed; XLM_CALL_BACKEND holds one for the duration of the call.
class BackendCall {
 public:
  BackendCall(Device device, const char* call);
  ~BackendCall();
  BackendCall(const BackendCall&) = delete;
  BackendCall& operator=(const BackendCall&) = delete;

 private:
  Session* session_ = nullptr;  // set when this call is the one timed
};

}  // namespace xlm::profile
