// The staging ring's bookkeeping (core/pinned_ring.h) without CUDA: events are
// sequence numbers and "completed" is a prefix, as on one stream. Placement,
// wrap-around, waiting on the oldest busy range only, growth and reuse.
#include "core/pinned_ring.h"

#include <catch2/catch.hpp>

namespace {

using xlm::PinnedRingPlan;
using Kind = PinnedRingPlan::Step::Kind;

// Places `bytes` (the plan must say place) and returns (offset, seq).
std::pair<size_t, uint64_t> place(PinnedRingPlan& ring, size_t bytes) {
  const PinnedRingPlan::Step step = ring.plan(bytes);
  REQUIRE(step.kind == Kind::place);
  return {step.offset, ring.commit(step.offset, bytes)};
}

auto done_up_to(uint64_t completed) {
  return [completed](uint64_t seq) { return seq <= completed; };
}

}  // namespace

TEST_CASE("pinned ring: an empty ring grows to fit the first copy", "[core][pinned]") {
  PinnedRingPlan ring;
  const PinnedRingPlan::Step step = ring.plan(100);
  CHECK(step.kind == Kind::grow);
  CHECK(step.wait_seq == 0);  // nothing busy: nothing to wait for
  CHECK(step.new_capacity == 100);
  ring.grown(step.new_capacity);
  CHECK(place(ring, 100).first == 0);
}

TEST_CASE("pinned ring: ranges follow each other, wrap to 0 and wait only for the oldest", "[core][pinned]") {
  PinnedRingPlan ring(100);
  const auto a = place(ring, 40);  // [0, 40)
  const auto b = place(ring, 40);  // [40, 80)
  CHECK(a == std::make_pair(size_t{0}, uint64_t{1}));
  CHECK(b == std::make_pair(size_t{40}, uint64_t{2}));
  // 30 bytes fit neither after b (20 left) nor before a (busy): wait for a alone.
  PinnedRingPlan::Step step = ring.plan(30);
  CHECK(step.kind == Kind::wait);
  CHECK(step.wait_seq == a.second);
  ring.retire(done_up_to(0));  // the device has consumed nothing yet
  CHECK(ring.busy_ranges() == 2);
  ring.completed_up_to(a.second);  // the caller waited on a's event
  const auto c = place(ring, 30);  // wraps: [0, 30)
  CHECK(c.first == 0);
  // Wrapped: free space is [30, 40) only, until b completes.
  CHECK(place(ring, 10).first == 30);
  step = ring.plan(1);
  CHECK(step.kind == Kind::wait);
  CHECK(step.wait_seq == b.second);
  // b and c complete (events complete in order): the ring reuses their bytes.
  ring.retire(done_up_to(c.second));
  REQUIRE(ring.busy_ranges() == 1);  // the 10 bytes at 30
  CHECK(place(ring, 60).first == 40);  // after the newest range, [40, 100)
  CHECK(place(ring, 30).first == 0);   // wraps before [30, 40)
  CHECK(ring.plan(1).kind == Kind::wait);
}

TEST_CASE("pinned ring: a copy larger than the block grows it after the newest range completes", "[core][pinned]") {
  PinnedRingPlan ring(64, 1000);
  place(ring, 16);
  const auto newest = place(ring, 16);
  PinnedRingPlan::Step step = ring.plan(100);
  CHECK(step.kind == Kind::grow);
  CHECK(step.wait_seq == newest.second);
  CHECK(step.new_capacity == 128);  // doubled (>= the copy)
  CHECK_THROWS(ring.grown(128));    // ranges still busy
  ring.completed_up_to(step.wait_seq);
  ring.grown(step.new_capacity);
  CHECK(place(ring, 100).first == 0);
  // Growth stops at the bound; beyond it the ring refuses (the caller copies directly).
  step = ring.plan(900);
  CHECK(step.kind == Kind::grow);
  CHECK(step.new_capacity == 900);
  CHECK(ring.plan(1000).new_capacity == 1000);
  CHECK_THROWS(ring.plan(1001));
  CHECK_THROWS(ring.plan(0));
}

TEST_CASE("pinned ring: a long run of copies reuses the block without growing", "[core][pinned]") {
  PinnedRingPlan ring(1000);
  uint64_t completed = 0;
  size_t waits = 0;
  for (size_t i = 0; i < 500; ++i) {
    const size_t bytes = 1 + (i * 37) % 300;
    ring.retire(done_up_to(completed));
    PinnedRingPlan::Step step = ring.plan(bytes);
    while (step.kind == Kind::wait) {
      ++waits;
      ring.completed_up_to(step.wait_seq);
      step = ring.plan(bytes);
    }
    REQUIRE(step.kind == Kind::place);
    const uint64_t seq = ring.commit(step.offset, bytes);
    if (i % 3 == 0) completed = seq > 2 ? seq - 2 : 0;  // the device lags two copies behind
    // No two busy ranges overlap, and each lies inside the block.
    const auto& busy = ring.busy();
    for (size_t x = 0; x < busy.size(); ++x) {
      REQUIRE(busy[x].offset + busy[x].bytes <= ring.capacity());
      for (size_t y = x + 1; y < busy.size(); ++y)
        REQUIRE((busy[x].offset + busy[x].bytes <= busy[y].offset || busy[y].offset + busy[y].bytes <= busy[x].offset));
    }
  }
  CHECK(ring.capacity() == 1000);
  CHECK(waits > 0);
  CHECK(waits < 500);
}
