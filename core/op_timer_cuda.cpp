// See op_timer.h: CUDA events, a pair per operation, recorded on the stream
// every op of the device runs on (CudaContext), so an event pair brackets
// exactly the work enqueued between start() and stop(), collectives
// included (the communicator orders them on that stream, or makes it wait
// for its own). The events are created as needed and read once, at
// seconds(), after synchronising on the last one. Unvalidated on a GPU so
// far (docs/gpu-ledger.md).
#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/error.h"
#include "core/op_timer.h"

#include <cuda_runtime.h>

#include <utility>
#include <vector>

namespace xlm {

namespace {

class CudaOpTimer final : public OpTimer {
 public:
  explicit CudaOpTimer(int device) : ctx_(CudaContext::get(device)) {}
  ~CudaOpTimer() override {
    for (auto& [begin, end] : pairs_) {
      cudaEventDestroy(begin);
      cudaEventDestroy(end);
    }
  }
  CudaOpTimer(const CudaOpTimer&) = delete;
  CudaOpTimer& operator=(const CudaOpTimer&) = delete;

  void start() override {
    XLM_CHECK(!open_, Error, "OpTimer: start() twice without stop()");
    cudaEvent_t begin = nullptr, end = nullptr;
    XLM_CUDA_CHECK(cudaEventCreate(&begin));
    XLM_CUDA_CHECK(cudaEventCreate(&end));
    pairs_.emplace_back(begin, end);
    XLM_CUDA_CHECK(cudaEventRecord(begin, ctx_.stream));
    open_ = true;
  }

  void stop() override {
    XLM_CHECK(open_, Error, "OpTimer: stop() without start()");
    XLM_CUDA_CHECK(cudaEventRecord(pairs_.back().second, ctx_.stream));
    open_ = false;
  }

  std::vector<double> seconds() override {
    std::vector<double> out;
    if (pairs_.empty()) return out;
    XLM_CUDA_CHECK(cudaEventSynchronize(pairs_.back().second));
    for (const auto& [begin, end] : pairs_) {
      float ms = 0;
      XLM_CUDA_CHECK(cudaEventElapsedTime(&ms, begin, end));
      out.push_back(static_cast<double>(ms) * 1e-3);
    }
    return out;
  }

 private:
  CudaContext& ctx_;
  std::vector<std::pair<cudaEvent_t, cudaEvent_t>> pairs_;  // (start, stop) per operation
  bool open_ = false;
};

}  // namespace

std::unique_ptr<OpTimer> make_cuda_op_timer(int device) { return std::make_unique<CudaOpTimer>(device); }

}  // namespace xlm
