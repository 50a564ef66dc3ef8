// Bookkeeping of the pinned staging ring behind asynchronous host-to-device
// copies (core/pinned_ring_cuda.cpp). A copy memcpys its bytes into a range
// of one pinned block, queues cudaMemcpyAsync from it and returns at once, so
// the range stays busy until the device has consumed it. Each range carries
// the sequence number of the event recorded after its copy; the stream runs
// copies in order, so "completed" is a prefix of the sequence. This class is
// plain C++ (no CUDA) so that wrap-around, growth and reuse are unit-tested on
// the CPU: the CUDA side only maps sequence numbers to real events.
//
// Placement is first-in first-out over a circular byte range: a new range goes
// after the newest one, or wraps to offset 0 when the end is too short, and
// never overlaps a range whose event has not completed. When it cannot be
// placed, plan() says which single event to wait for (the oldest busy range),
// or that the block must grow (the copy is larger than the block: wait for
// every busy range, then reallocate).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>

namespace xlm {

class PinnedRingPlan {
 public:
  struct Range {
    size_t offset = 0;
    size_t bytes = 0;
    uint64_t seq = 0;  // the event recorded after this range's copy
  };
  // What plan() decided for a copy of `bytes`.
  struct Step {
    enum class Kind { place, wait, grow } kind = Kind::place;
    size_t offset = 0;        // place: where the bytes go
    uint64_t wait_seq = 0;    // wait / grow: the event to wait for (grow: 0 when nothing is busy)
    size_t new_capacity = 0;  // grow: the block's new size
  };

  // `max_capacity` bounds growth (a larger copy is the caller's business).
  explicit PinnedRingPlan(size_t capacity = 0, size_t max_capacity = SIZE_MAX)
      : capacity_(capacity), max_capacity_(max_capacity) {}

  // Drops the busy ranges whose events have completed; `completed(seq)` is
  // asked oldest first and only until it says false (events complete in order).
  void retire(const std::function<bool(uint64_t)>& completed);

  // Where `bytes` (0 < bytes <= max_capacity) can go now, given the busy ranges after retire().
  Step plan(size_t bytes) const;

  // Marks [offset, offset + bytes) busy (an offset plan() returned) and gives
  // the sequence number of the event the caller records after its copy.
  uint64_t commit(size_t offset, size_t bytes);

  // The caller waited for `seq`: every range up to it is free.
  void completed_up_to(uint64_t seq);

  // The block was reallocated with `capacity` bytes; nothing may be busy.
  void grown(size_t capacity);

  size_t capacity() const { return capacity_; }
  size_t busy_ranges() const { return busy_.size(); }
  const std::deque<Range>& busy() const { return busy_; }

 private:
  size_t capacity_;
  size_t max_capacity_;
  std::deque<Range> busy_;  // oldest first
  uint64_t next_seq_ = 1;
};

}  // namespace xlm
