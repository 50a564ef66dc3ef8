// The launch plan of the multi-tensor updates: every chunk of every
// non-empty tensor is covered exactly once and in order, no launch exceeds
// its tensor or block limit, a tensor too long for one launch carries over
// into the next (first slot), and empty tensors take no slot.
#include "core/error.h"
#include "nn/multi_tensor_plan.h"
#include "support.h"

#include <map>

using namespace xlm;
using namespace xlm::nn;

namespace {

// Checks the invariants; returns the number of launches.
size_t check_plan(const std::vector<int64_t>& sizes, int64_t chunk, int max_tensors, int max_blocks) {
  const auto plan = plan_multi_tensor(sizes, chunk, max_tensors, max_blocks);
  std::map<size_t, int64_t> next_chunk;  // tensor -> the chunk expected next
  for (const MultiTensorLaunch& l : plan) {
    CHECK(!l.blocks.empty());
    CHECK(static_cast<int>(l.tensors.size()) <= max_tensors);
    CHECK(static_cast<int>(l.blocks.size()) <= max_blocks);
    for (const auto& [slot, c] : l.blocks) {
      REQUIRE(slot >= 0);
      REQUIRE(static_cast<size_t>(slot) < l.tensors.size());
      const size_t t = l.tensors[static_cast<size_t>(slot)];
      CHECK(c == next_chunk[t]);
      next_chunk[t] = c + 1;
    }
  }
  for (size_t t = 0; t < sizes.size(); ++t) {
    INFO("tensor " << t << " of " << sizes[t]);
    const int64_t chunks = (sizes[t] + chunk - 1) / chunk;
    CHECK(next_chunk[t] == chunks);  // 0 for an empty tensor: never scheduled
  }
  return plan.size();
}

}  // namespace

TEST_CASE("multi-tensor plan: small lists fit one launch, empty tensors are skipped", "[nn][adam_multi]") {
  const auto plan = plan_multi_tensor({5, 0, 3}, 2, 4, 10);
  REQUIRE(plan.size() == 1);
  CHECK(plan[0].tensors == std::vector<size_t>{0, 2});
  CHECK(plan[0].blocks == std::vector<std::pair<int, int64_t>>{{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}});
  CHECK(plan_multi_tensor({0, 0}, 2, 4, 10).empty());
}

TEST_CASE("multi-tensor plan: a long tensor carries over into the next launch's first slot", "[nn][adam_multi]") {
  const auto plan = plan_multi_tensor({1, 9}, 1, 4, 4);  // chunks: 1 + 9 = 10 blocks of at most 4
  REQUIRE(plan.size() == 3);
  CHECK(plan[0].tensors == std::vector<size_t>{0, 1});
  CHECK(plan[1].tensors == std::vector<size_t>{1});
  CHECK(plan[1].blocks.front() == std::pair<int, int64_t>{0, 3});
  CHECK(plan[2].blocks.back() == std::pair<int, int64_t>{0, 8});
  CHECK(check_plan({1, 9}, 1, 4, 4) == 3);
}

TEST_CASE("multi-tensor plan: the tensor limit closes a launch after a tensor's last chunk", "[nn][adam_multi]") {
  const std::vector<int64_t> sizes(10, 3);
  CHECK(check_plan(sizes, 2, 3, 100) == 4);  // 3 + 3 + 3 + 1 tensors
}

TEST_CASE("multi-tensor plan: invariants over many size mixes", "[nn][adam_multi]") {
  uint64_t s = 12345;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<int64_t> sizes;
    const int count = 1 + static_cast<int>(s % 40);
    for (int i = 0; i < count; ++i) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      sizes.push_back(static_cast<int64_t>((s >> 33) % 50));
    }
    INFO("trial " << trial);
    check_plan(sizes, 1 + trial % 7, 1 + trial % 5, 1 + trial % 11);
  }
  XLM_CHECK_THROWS(plan_multi_tensor({1}, 0, 1, 1), Error, "must be positive");
}
