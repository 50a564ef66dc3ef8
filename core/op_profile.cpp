// See op_profile.h. The thread-local state is three words (region, phase,
// open session); a backend call tests the session pointer and nothing else
// when profiling is off.
#include "core/op_profile.h"

#include "core/error.h"
#include "core/op_timer.h"

#include <algorithm>
#include <exception>
#include <map>
#include <tuple>

namespace xlm::profile {

namespace {
thread_local const char* g_region = "other";
thread_local Phase g_phase = Phase::forward;
thread_local Session* g_session = nullptr;
thread_local bool g_in_call = false;  // an outer backend call is being timed
}  // namespace

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::forward: return "forward";
    case Phase::backward: return "backward";
    case Phase::update: return "update";
  }
  return "?";
}

const char* current_region() { return g_region; }
Phase current_phase() { return g_phase; }

RegionScope::RegionScope(const char* name) : previous_(g_region) { g_region = name; }
RegionScope::~RegionScope() { g_region = previous_; }

PhaseScope::PhaseScope(Phase phase) : previous_(g_phase) { g_phase = phase; }
PhaseScope::~PhaseScope() { g_phase = previous_; }

Session::Session() {
  XLM_CHECK(g_session == nullptr, Error, "profile::Session: a session is already open on this thread");
  g_session = this;
}

Session::~Session() { g_session = nullptr; }

void Session::begin(Device device, const char* call) {
  auto it = std::find_if(devices_.begin(), devices_.end(),
                         [&](const std::unique_ptr<DeviceTimes>& d) { return d->device == device; });
  if (it == devices_.end()) {
    devices_.push_back(std::make_unique<DeviceTimes>(DeviceTimes{device, make_op_timer(device), {}}));
    it = devices_.end() - 1;
  }
  DeviceTimes& d = **it;
  d.timer->start();
  d.keys.push_back({g_region, g_phase, call});
  open_ = &d;
}

void Session::end() {
  DeviceTimes* d = open_;
  open_ = nullptr;
  try {
    d->timer->stop();
  } catch (const std::exception& e) {  // end() runs in a destructor: keep the error for rows()
    if (failure_.empty()) failure_ = e.what();
    d->keys.pop_back();
  }
}

std::vector<Row> Session::rows() {
  XLM_CHECK(failure_.empty(), Error, "profile: a timer failed: {}", failure_);
  std::map<std::tuple<std::string, Phase, std::string>, Row> totals;
  for (const std::unique_ptr<DeviceTimes>& d : devices_) {
    const std::vector<double> seconds = d->timer->seconds();
    XLM_CHECK(seconds.size() >= d->keys.size(), Error, "profile: {} timings for {} calls", seconds.size(),
              d->keys.size());
    for (size_t i = 0; i < d->keys.size(); ++i) {
      const Key& k = d->keys[i];
      Row& row = totals[{k.region, k.phase, k.call}];
      row.region = k.region;
      row.phase = k.phase;
      row.call = k.call;
      ++row.calls;
      row.seconds += seconds[i];
    }
  }
  std::vector<Row> out;
  for (auto& [key, row] : totals) out.push_back(std::move(row));
  std::stable_sort(out.begin(), out.end(), [](const Row& a, const Row& b) { return a.seconds > b.seconds; });
  return out;
}

BackendCall::BackendCall(Device device, const char* call) {
  if (g_session == nullptr || g_in_call) return;
  g_session->begin(device, call);
  session_ = g_session;
  g_in_call = true;
}

BackendCall::~BackendCall() {
  if (session_ == nullptr) return;
  g_in_call = false;
  session_->end();
}

}  // namespace xlm::profile
