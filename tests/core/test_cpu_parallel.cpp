// parallel_for must cover [0, n) exactly once in chunks of at least `grain`
// items, whatever the thread count, and fall back to one chunk on the caller
// when the loop is too short or already inside a parallel region: the ops
// rely on this for results that do not depend on the number of threads.
#include <catch2/catch.hpp>

#include "core/cpu_parallel.h"

#include <atomic>
#include <mutex>
#include <utility>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace {

std::vector<std::pair<int64_t, int64_t>> chunks_of(int64_t n, int64_t grain) {
  std::mutex lock;
  std::vector<std::pair<int64_t, int64_t>> chunks;
  xlm::parallel_for(n, grain, [&](int64_t begin, int64_t end) {
    std::lock_guard<std::mutex> hold(lock);
    chunks.emplace_back(begin, end);
  });
  std::sort(chunks.begin(), chunks.end());
  return chunks;
}

}  // namespace

TEST_CASE("parallel_for covers the range once in chunks of at least grain", "[core][parallel]") {
  for (int64_t n : {1, 7, 100, 1000, 4097}) {
    for (int64_t grain : {1, 3, 64, 5000}) {
      const auto chunks = chunks_of(n, grain);
      REQUIRE(!chunks.empty());
      CHECK(chunks.front().first == 0);
      CHECK(chunks.back().second == n);
      for (size_t c = 0; c < chunks.size(); ++c) {
        if (c > 0) CHECK(chunks[c].first == chunks[c - 1].second);
        if (chunks.size() > 1) CHECK(chunks[c].second - chunks[c].first >= grain);
      }
      CHECK(static_cast<int>(chunks.size()) <= xlm::cpu_threads());
    }
  }
  CHECK(chunks_of(0, 1).empty());
}

TEST_CASE("parallel_for splits long loops over the threads and never nests", "[core][parallel]") {
#if defined(_OPENMP)
  const int saved = omp_get_max_threads();
  omp_set_num_threads(3);
  CHECK(xlm::cpu_threads() == 3);
  CHECK(chunks_of(3000, 10).size() == 3);
  CHECK(chunks_of(25, 10).size() == 2);  // 25 / 10: two chunks of at least 10
  CHECK(chunks_of(19, 10).size() == 1);
  std::atomic<int> inner_chunks{0};
  xlm::parallel_for(3000, 10, [&](int64_t, int64_t) {
    xlm::parallel_for(3000, 10, [&](int64_t begin, int64_t end) {
      CHECK(begin == 0);
      CHECK(end == 3000);
      ++inner_chunks;
    });
  });
  CHECK(inner_chunks == 3);  // one whole inner loop per outer chunk, run on its own thread
  omp_set_num_threads(1);
  CHECK(chunks_of(3000, 10).size() == 1);
  omp_set_num_threads(saved);
#else
  CHECK(xlm::cpu_threads() == 1);
  CHECK(chunks_of(3000, 10).size() == 1);
#endif
}
