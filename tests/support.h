// Helpers shared by tests: the GPU skip convention and value comparisons.
// A [cuda] test starts with XLM_REQUIRE_GPU(); without a GPU it prints
// "XLM-SKIP: ..." (ctest's SKIP_REGULAR_EXPRESSION marks it skipped) and returns.
#pragma once

#include "core/device.h"
#include "core/tensor.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#define XLM_REQUIRE_GPU()                                                         \
  do {                                                                            \
    if (!::xlm::cuda_available()) {                                               \
      std::printf("XLM-SKIP: no GPU visible, skipping this [cuda] test\n");       \
      return;                                                                     \
    }                                                                             \
  } while (0)

namespace xlm::test {

// Index of the first element violating |got - want| <= atol + rtol*|want|, or -1.
inline long first_mismatch(const std::vector<double>& got, const std::vector<double>& want, double atol,
                           double rtol) {
  if (got.size() != want.size()) return 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double diff = std::fabs(got[i] - want[i]);
    if (!(diff <= atol + rtol * std::fabs(want[i]))) return static_cast<long>(i);
  }
  return -1;
}

// Path to a file under the source tree (fixtures).
inline std::string source_path(const std::string& rel) { return std::string(XLM_SOURCE_DIR) + "/" + rel; }

}  // namespace xlm::test

#define XLM_CHECK_CLOSE(got_vec, want_vec, atol, rtol)                                                   \
  do {                                                                                                   \
    const auto& g_ = (got_vec);                                                                          \
    const auto& w_ = (want_vec);                                                                         \
    REQUIRE(g_.size() == w_.size());                                                                     \
    const long bad_ = ::xlm::test::first_mismatch(g_, w_, (atol), (rtol));                               \
    INFO("first mismatch at " << bad_ << ": got " << (bad_ >= 0 ? g_[bad_] : 0.0) << " want "            \
                              << (bad_ >= 0 ? w_[bad_] : 0.0));                                          \
    CHECK(bad_ == -1);                                                                                   \
  } while (0)
