// Helpers shared by tests: the GPU skip convention and value comparisons.
// A [cuda] test starts with XLM_REQUIRE_GPU(); without a GPU it prints
// "XLM-SKIP: ..." (ctest's SKIP_REGULAR_EXPRESSION marks it skipped) and returns.
// On a GPU machine a skip would hide a GPU that CUDA cannot use (a driver and
// runtime that disagree, CUDA_VISIBLE_DEVICES empty): there XLM_EXPECT_GPU=1
// (scripts/gpu-check sets it) turns the skip into a failure.
#pragma once

#include "core/device.h"
#include "core/tensor.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#define XLM_REQUIRE_GPU()                                                         \
  do {                                                                            \
    if (!::xlm::cuda_available()) {                                               \
      if (::xlm::test::gpu_expected())                                            \
        FAIL("XLM_EXPECT_GPU is set, but no GPU is visible to this process");     \
      std::printf("XLM-SKIP: no GPU visible, skipping this [cuda] test\n");       \
      return;                                                                     \
    }                                                                             \
  } while (0)

// A [cuda] test whose body uses only the public API (GPU results against the
// CPU reference) runs, without a GPU and with XLM_TEST_GPU_STANDIN=1, on the
// CPU stand-in accelerator cpu:1 (core/device.h) in place of cuda:0: its
// kernels are the CPU twins, so it checks the test's own host side (every
// tensor placed on the device it needs, nothing read where it should not
// be) before a GPU ever runs it (ctest "cuda_tests_on_standin_device").
// Otherwise it skips or fails as XLM_REQUIRE_GPU does.
#define XLM_REQUIRE_GPU_OR_STANDIN()                                              \
  do {                                                                            \
    if (!::xlm::cuda_available() && !::xlm::test::standin_requested()) XLM_REQUIRE_GPU(); \
  } while (0)

namespace xlm::test {

// XLM_TEST_GPU_STANDIN set to anything but "" or "0" (see XLM_REQUIRE_GPU_OR_STANDIN).
inline bool standin_requested() {
  const char* v = std::getenv("XLM_TEST_GPU_STANDIN");
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

// Whether the [cuda] test's device computes in `dtype`: a GPU in every dtype,
// the stand-in only where the CPU twins do (f32, f64).
inline bool gpu_runs(DType dtype) {
  return ::xlm::cuda_available() || dtype == DType::f32 || dtype == DType::f64;
}

// The device of a [cuda] test: cuda:0, or cpu:1 where no GPU is visible
// (reached only through XLM_REQUIRE_GPU_OR_STANDIN).
inline Device gpu() { return ::xlm::cuda_available() ? Device::cuda(0) : Device::parse("cpu:1"); }

// The --device of the task tests that run a model ("cpu" by default):
// XLM_TEST_DEVICE=cpu:1 runs them on the CPU stand-in accelerator
// (core/device.h), where a tensor left on the host throws and every copy
// back counts, as on a GPU (ctest "tasks on the stand-in device cpu:1").
inline std::string task_device() {
  const char* v = std::getenv("XLM_TEST_DEVICE");
  return v != nullptr && *v != '\0' ? std::string(v) : std::string("cpu");
}

// XLM_EXPECT_GPU set to anything but "" or "0": a [cuda] test without a GPU fails.
inline bool gpu_expected() {
  const char* v = std::getenv("XLM_EXPECT_GPU");
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

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

// atol relative to the reference's own scale, never above the given one: a
// tensor whose values all sit below atol (a 1000-wide softmax row, g / C, a
// layer norm's gradient on rows of magnitude 1e4) would otherwise pass as all
// zeros. The floor keeps all-zero references comparable.
inline double scaled_atol(const std::vector<double>& want, double atol) {
  double m = 0;
  for (double x : want) m = std::max(m, std::fabs(x));
  return atol * std::min(1.0, std::max(m, 1e-3));
}

// Catch2 v2 matcher: the exception's message contains every given substring.
template <typename E>
struct MessageHas : Catch::MatcherBase<E> {
  explicit MessageHas(std::vector<std::string> parts) : parts_(std::move(parts)) {}
  bool match(const E& e) const override {
    const std::string what = e.what();
    for (const auto& p : parts_)
      if (what.find(p) == std::string::npos) return false;
    return true;
  }
  std::string describe() const override {
    std::string d = "message contains";
    for (const auto& p : parts_) d += " \"" + p + "\"";
    return d;
  }
  std::vector<std::string> parts_;
};

// Path to a file under the source tree (fixtures).
inline std::string source_path(const std::string& rel) { return std::string(XLM_SOURCE_DIR) + "/" + rel; }

// Runs `xlm ARGS 2>&1` (ARGS may redirect stdin) and returns its exit status and output.
inline std::pair<int, std::string> capture_xlm(const std::string& args) {
  const std::string cmd = std::string(XLM_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WEXITSTATUS(status), out};
}

}  // namespace xlm::test

// XLM_CHECK_THROWS(expr, ErrorType, "part of the message", ...)
#define XLM_CHECK_THROWS(expr, ErrorType, ...) \
  CHECK_THROWS_MATCHES(expr, ErrorType, ::xlm::test::MessageHas<ErrorType>({__VA_ARGS__}))

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
