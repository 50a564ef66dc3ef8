// See op_timer.h. The CPU timer is here; the CUDA one lives in
// op_timer_cuda.cpp, compiled only in CUDA builds, and is reached through
// one declaration, as core/device_figures does.
#include "core/op_timer.h"

#include "core/error.h"
#include "xlm/config.h"

#include <fmt/format.h>

#include <chrono>

namespace xlm {

#if XLM_WITH_CUDA
std::unique_ptr<OpTimer> make_cuda_op_timer(int device);  // op_timer_cuda.cpp
#endif

namespace {

class CpuOpTimer final : public OpTimer {
 public:
  void start() override { begin_ = std::chrono::steady_clock::now(); }
  void stop() override {
    times_.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - begin_).count());
  }
  std::vector<double> seconds() override { return times_; }

 private:
  std::chrono::steady_clock::time_point begin_;
  std::vector<double> times_;
};

}  // namespace

std::unique_ptr<OpTimer> make_op_timer(Device device) {
  if (device.is_cuda()) {
#if XLM_WITH_CUDA
    return make_cuda_op_timer(device.index);
#else
    throw ConfigError(fmt::format("timing on {}: this build has no CUDA backend", device.str()));
#endif
  }
  return std::make_unique<CpuOpTimer>();
}

}  // namespace xlm
