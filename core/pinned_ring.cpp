// The placement rules of core/pinned_ring.h. Ranges are never split: a copy
// is one contiguous cudaMemcpyAsync source. Growth doubles the block (at least
// to the copy's size) so that a run settles after a few copies.
#include "core/pinned_ring.h"

#include "core/error.h"

#include <algorithm>

namespace xlm {

void PinnedRingPlan::retire(const std::function<bool(uint64_t)>& completed) {
  while (!busy_.empty() && completed(busy_.front().seq)) busy_.pop_front();
}

PinnedRingPlan::Step PinnedRingPlan::plan(size_t bytes) const {
  Step step;
  XLM_CHECK(bytes > 0 && bytes <= max_capacity_, Error, "pinned ring: a copy of {} bytes (the ring holds 1 to {})",
            bytes, max_capacity_);
  if (bytes > capacity_) {
    step.kind = Step::Kind::grow;
    step.wait_seq = busy_.empty() ? 0 : busy_.back().seq;
    step.new_capacity = std::min(std::max(bytes, 2 * capacity_), max_capacity_);
    return step;
  }
  if (busy_.empty()) {
    step.offset = 0;
    return step;
  }
  const Range& oldest = busy_.front();
  const Range& newest = busy_.back();
  const size_t head = newest.offset + newest.bytes;  // first byte after the newest range
  if (newest.offset >= oldest.offset) {
    // Not wrapped: free space is [head, capacity) and [0, oldest.offset).
    if (bytes <= capacity_ - head) {
      step.offset = head;
      return step;
    }
    if (bytes <= oldest.offset) {
      step.offset = 0;
      return step;
    }
  } else if (bytes <= oldest.offset - head) {  // wrapped: free space is [head, oldest.offset)
    step.offset = head;
    return step;
  }
  step.kind = Step::Kind::wait;
  step.wait_seq = oldest.seq;
  return step;
}

uint64_t PinnedRingPlan::commit(size_t offset, size_t bytes) {
  XLM_CHECK(offset + bytes <= capacity_, Error, "pinned ring: range [{}, {}) outside the block of {} bytes", offset,
            offset + bytes, capacity_);
  busy_.push_back({offset, bytes, next_seq_});
  return next_seq_++;
}

void PinnedRingPlan::completed_up_to(uint64_t seq) {
  while (!busy_.empty() && busy_.front().seq <= seq) busy_.pop_front();
}

void PinnedRingPlan::grown(size_t capacity) {
  XLM_CHECK(busy_.empty(), Error, "pinned ring: grown with {} range(s) still busy", busy_.size());
  capacity_ = capacity;
}

}  // namespace xlm
