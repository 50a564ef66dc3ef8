// Data-parallel gradient averaging in buckets, as PyTorch's DDP does it:
// parameters are grouped, in reverse order (the order backward finishes
// them: the output layer first, the embeddings last), into buckets of about
// --bucket_mb megabytes of one dtype; during the backward pass that ends an
// accumulation (the k-th of --accumulate_gradients k), autograd's
// grad-ready hook marks each parameter whose gradient is final, and a
// bucket whose parameters are all final is copied into its flat buffer and
// its all-reduce (mean) started at once (Communicator::start_all_reduce:
// NCCL on its own stream, overlapping the rest of backward; MPI
// MPI_Iallreduce). finish() starts what the hook did not (parameters that
// received no gradient in this pass, zero-filled in the buffer and left
// without a gradient), waits for every bucket under the watchdog and copies
// the means back into the .grad tensors, before clipping and the update.
//
// Assumes, as every data-parallel trainer does, that all ranks run the same
// steps, so the same parameters receive gradients on every rank.
#pragma once

#include "core/communicator.h"
#include "core/grad_ready.h"
#include "nn/named_tensors.h"
#include "tasks/pretrain/comm_watchdog.h"

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace xlm::tasks {

class GradReducer {
 public:
  struct Bucket {
    std::vector<size_t> params;   // indices into the parameter list, reverse order
    std::vector<int64_t> offsets; // element offset of each in `flat`
    Tensor flat;                  // (n) of the bucket's dtype, on the parameters' device
    int64_t ready = 0;            // parameters final in this pass
    bool started = false;
  };

  // params: the trained tensors (leaves with requires_grad), all on one device.
  GradReducer(Communicator& comm, CommWatchdog& watchdog, const nn::NamedTensors& params, double bucket_mb);

  // Hooks this thread's backward passes for the scope's lifetime: create it
  // around the backward that ends an accumulation, then call finish().
  std::unique_ptr<autograd::GradReadyScope> hook();
  // Starts the buckets the hook did not, waits for all, writes the means into .grad.
  void finish();

  const std::vector<Bucket>& buckets() const { return buckets_; }
  // Buckets started from the hook, during backward, in the last finish()ed pass.
  int64_t started_during_backward() const { return started_during_backward_; }

 private:
  void on_ready(const Tensor& leaf);
  void start(Bucket& bucket);

  Communicator& comm_;
  CommWatchdog& watchdog_;
  nn::NamedTensors params_;
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_;  // parameter index -> bucket index
  std::vector<bool> ready_;        // parameter index -> final in this pass
  std::unordered_map<const TensorImpl*, size_t> index_;
  int64_t started_now_ = 0;
  int64_t started_during_backward_ = 0;
};

}  // namespace xlm::tasks
