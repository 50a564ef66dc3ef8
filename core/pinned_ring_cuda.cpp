// The CUDA half of the staging ring: one pinned block per device, real events
// behind PinnedRingPlan's sequence numbers, and a mutex per device (the batch
// prefetch thread may upload while the training thread does). A copy memcpys
// into a free range, queues cudaMemcpyAsync on the compute stream and records
// an event after it, so the host never waits for the device unless the ring
// has wrapped onto a range the device has not consumed yet (then it waits on
// that range's event alone) or must grow (then it waits for the newest busy
// range, since the old block is freed; growth doubles, so it happens a few
// times at the start of a run). Copies larger than kMaxStagedBytes (model
// loading) skip the ring: cudaMemcpyAsync from pageable memory returns once
// the runtime has staged the source, which is as safe and keeps the pinned
// block small. The rings live until the process ends and are never freed:
// static destructors run after the CUDA runtime may be gone.
#include "core/pinned_ring_cuda.h"

#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/pinned_ring.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace xlm {

namespace {

constexpr size_t kInitialBytes = size_t{1} << 20;    // 1 MiB: a few batches of ids
constexpr size_t kMaxStagedBytes = size_t{64} << 20;  // 64 MiB

struct Ring {
  std::mutex mutex;
  PinnedRingPlan plan{0, kMaxStagedBytes};
  char* block = nullptr;                            // (plan.capacity(),) pinned bytes
  std::unordered_map<uint64_t, cudaEvent_t> events;  // busy range seq -> its event
  std::vector<cudaEvent_t> spare;                   // completed events, reused

  cudaEvent_t take_event() {
    if (!spare.empty()) {
      cudaEvent_t e = spare.back();
      spare.pop_back();
      return e;
    }
    cudaEvent_t e = nullptr;
    XLM_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
    return e;
  }
  void release(uint64_t seq) {
    auto it = events.find(seq);
    if (it == events.end()) return;
    spare.push_back(it->second);
    events.erase(it);
  }
  // The host waited for `seq`: it and every older range are free.
  void waited_for(uint64_t seq) {
    for (const PinnedRingPlan::Range& r : plan.busy())
      if (r.seq <= seq) release(r.seq);
    plan.completed_up_to(seq);
  }
};

Ring& ring_for(int device) {
  static std::mutex mutex;
  static std::unordered_map<int, Ring*> rings;  // never freed (see the file comment)
  std::lock_guard<std::mutex> lock(mutex);
  Ring*& ring = rings[device];
  if (ring == nullptr) ring = new Ring();
  return *ring;
}

}  // namespace

void pinned_ring_upload(void* dst, const void* src, size_t bytes, CudaContext& ctx) {
  if (bytes == 0) return;
  if (bytes > kMaxStagedBytes) {
    XLM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, ctx.stream));
    return;
  }
  Ring& ring = ring_for(ctx.device);
  std::lock_guard<std::mutex> lock(ring.mutex);
  ring.plan.retire([&ring](uint64_t seq) {
    const cudaError_t status = cudaEventQuery(ring.events.at(seq));
    if (status == cudaErrorNotReady) return false;
    XLM_CUDA_CHECK(status);
    ring.release(seq);
    return true;
  });
  PinnedRingPlan::Step step = ring.plan.plan(bytes);
  while (step.kind != PinnedRingPlan::Step::Kind::place) {
    if (step.wait_seq != 0) {
      XLM_CUDA_CHECK(cudaEventSynchronize(ring.events.at(step.wait_seq)));
      ring.waited_for(step.wait_seq);
    }
    if (step.kind == PinnedRingPlan::Step::Kind::grow) {
      if (ring.block != nullptr) XLM_CUDA_CHECK(cudaFreeHost(ring.block));
      ring.block = nullptr;
      const size_t capacity = std::min(std::max(step.new_capacity, kInitialBytes), kMaxStagedBytes);
      XLM_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&ring.block), capacity));
      ring.plan.grown(capacity);
    }
    step = ring.plan.plan(bytes);
  }
  char* staged = ring.block + step.offset;
  std::memcpy(staged, src, bytes);
  XLM_CUDA_CHECK(cudaMemcpyAsync(dst, staged, bytes, cudaMemcpyHostToDevice, ctx.stream));
  const uint64_t seq = ring.plan.commit(step.offset, bytes);
  cudaEvent_t event = ring.take_event();
  XLM_CUDA_CHECK(cudaEventRecord(event, ctx.stream));
  ring.events[seq] = event;
}

}  // namespace xlm
