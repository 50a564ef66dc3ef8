// The ledger of core/device_errors.h. Tags count up and skip 0 when they wrap
// (2^32 launches between two drains cannot all be remembered anyway).
#include "core/device_errors.h"

#include "core/error.h"

namespace xlm {

uint32_t DeviceErrorLedger::expect(DeviceErrorRaiser raise) {
  const uint32_t tag = next_tag_;
  next_tag_ = next_tag_ == UINT32_MAX ? 1 : next_tag_ + 1;
  entries_.emplace_back(tag, std::move(raise));
  if (entries_.size() > capacity_) entries_.pop_front();
  return tag;
}

void DeviceErrorLedger::drain(const DeviceErrorSlot& slot) {
  std::deque<std::pair<uint32_t, DeviceErrorRaiser>> entries;
  entries.swap(entries_);
  if (slot.tag == 0) return;
  for (const auto& [tag, raise] : entries) {
    if (tag != slot.tag) continue;
    raise(slot.position, slot.value);
    throw Error(fmt::format("a device error raiser did not throw (tag {})", tag));
  }
  throw IndexError(fmt::format("a kernel recorded value {} at position {} outside its range (detected on the device; "
                               "the launch is older than the last {} remembered)",
                               slot.value, slot.position, capacity_));
}

}  // namespace xlm
