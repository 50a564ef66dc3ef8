// Collectives between the ranks of a data-parallel job, behind one interface
// so that the trainer never knows which transport it runs on: a trivial
// single-rank communicator (no MPI, no NCCL: one process needs neither), MPI
// for CPU tensors, NCCL for CUDA tensors. The public calls are non-virtual:
// they check arguments once, in one wording ("rank R: all_reduce: ..."), and
// hand the transport a validated, contiguous buffer.
//
// Every rank must make the same calls in the same order with tensors of the
// same shape and dtype, as with MPI and NCCL themselves. Collectives are
// blocking on the CPU; on the GPU they are enqueued on the device's stream
// (CudaContext::get(d).stream), ordered after the kernels that produced the
// data and before the ones that use it.
#pragma once

#include "core/device.h"
#include "core/launch_env.h"
#include "core/tensor.h"

#include <memory>
#include <string>

namespace xlm {

enum class ReduceOp { sum, mean, max };
const char* reduce_op_name(ReduceOp op);

class Communicator {
 public:
  virtual ~Communicator() = default;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  int local_rank() const { return local_rank_; }  // -1 when the launcher did not say
  Device device() const { return device_; }
  virtual const char* backend() const = 0;        // "single", "mpi", "nccl"

  // In place: every rank ends with op over the ranks' `t`. mean = sum / world_size.
  // Floating dtypes (the transport decides which); i32/i64 for sum and max.
  void all_reduce(Tensor& t, ReduceOp op = ReduceOp::sum);
  // input (world_size * n, ...), output (n, ...): rank r receives rows
  // [r*n, (r+1)*n) of op over the ranks' inputs.
  // `output` is written in place (a handle: a slice of a larger buffer will do).
  void reduce_scatter(const Tensor& input, const Tensor& output, ReduceOp op = ReduceOp::sum);
  // input (n, ...), output (world_size * n, ...): rows [r*n, (r+1)*n) are rank r's input.
  void all_gather(const Tensor& input, const Tensor& output);
  // In place: every rank ends with rank `root`'s `t` (any dtype).
  void broadcast(Tensor& t, int root = 0);
  // Returns when every rank has called it (and, on the GPU, the stream is drained).
  void barrier();

  // Overlapped all-reduce (data-parallel gradient buckets): starts reducing
  // `t` in place and returns; `t` must stay untouched until
  // finish_all_reduces(), which completes every started one. MPI:
  // MPI_Iallreduce, waited in finish. NCCL: enqueued on the communicator's
  // own stream after an event on the device stream, so it overlaps the
  // kernels queued after it; finish makes the device stream wait for it
  // (the host does not block). Others: the blocking all_reduce.
  void start_all_reduce(Tensor& t, ReduceOp op = ReduceOp::sum);
  void finish_all_reduces();
  // Failure handling for a watchdog: waits (polling, never blocking
  // forever) until the work enqueued so far has completed; returns "" or the
  // cause (a transport error, or "not done after S s"). CPU transports are
  // blocking: "" at once. NCCL: cudaStreamQuery plus ncclCommGetAsyncError.
  virtual std::string wait_idle(double timeout_s);
  // Tears the transport down so that no collective waits any longer (NCCL:
  // ncclCommAbort; may be called from another thread). The communicator is
  // unusable afterwards. No-op for transports that cannot do it.
  virtual void abort() {}

 protected:
  Communicator(int rank, int world_size, int local_rank, Device device)
      : rank_(rank), world_size_(world_size), local_rank_(local_rank), device_(device) {}
  // Validated: defined, on device(), same dtype/shape rules as documented above.
  virtual void do_all_reduce(Tensor& t, ReduceOp op) = 0;
  virtual void do_reduce_scatter(const Tensor& input, const Tensor& output, ReduceOp op) = 0;
  virtual void do_all_gather(const Tensor& input, const Tensor& output) = 0;
  virtual void do_broadcast(Tensor& t, int root) = 0;
  virtual void do_barrier() = 0;
  virtual void do_start_all_reduce(Tensor& t, ReduceOp op) { do_all_reduce(t, op); }
  virtual void do_finish_all_reduces() {}
  // Whether the transport can reduce this dtype (reductions only).
  virtual bool can_reduce(DType dtype) const = 0;
  // "rank R: <call>: " — the prefix of every error a communicator throws.
  std::string where(const char* call) const;

 private:
  void check_tensor(const Tensor& t, const char* call, const char* arg) const;
  void check_reducible(const Tensor& t, ReduceOp op, const char* call) const;
  int rank_;
  int world_size_;
  int local_rank_;
  Device device_;
};

// The communicator for tensors on `device`, ranks from the launcher's
// environment (process_env()): world size 1 -> single rank; CPU -> MPI
// (ConfigError in a build without MPI, or when launched by torchrun, which
// gives no MPI); CUDA -> NCCL on `device` (one GPU per process: pass
// cuda:<local_rank>), its unique id sent over MPI (mpirun, srun) or over TCP
// from rank 0 at MASTER_ADDR:MASTER_PORT (torchrun). ConfigError when the
// transport is not built in or the launcher cannot provide it.
std::unique_ptr<Communicator> make_communicator(Device device);
std::unique_ptr<Communicator> make_communicator(Device device, const LaunchEnv& launch);

// The single-rank communicator (every collective is the identity).
std::unique_ptr<Communicator> make_single_communicator(Device device);

}  // namespace xlm
