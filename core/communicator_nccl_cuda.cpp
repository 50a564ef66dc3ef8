// The NCCL transport: one process per GPU, collectives enqueued on the
// device's stream from CudaContext (the stream every kernel of ours runs
// on), so a collective is ordered after the backward kernels that produced
// its input and before the optimizer kernels that read its output, without
// host synchronisation. Rank 0 draws the unique id; it reaches the other
// ranks over MPI when an MPI launcher started us (mpirun, srun) and over TCP
// from MASTER_ADDR:MASTER_PORT for torchrun-style launches. Reduction order
// is NCCL's (ring or tree by size and topology) and identical on every rank,
// so all ranks hold identical bits after an all_reduce. mean is ncclAvg.
#include "core/communicator_impl.h"

#if XLM_WITH_NCCL

#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/error.h"
#include "core/tcp_rendezvous.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace xlm::detail {
namespace {

// How long the TCP id exchange waits for every rank to show up.
constexpr std::chrono::minutes kRendezvousTimeout{5};

ncclDataType_t nccl_type(DType dtype) {
  switch (dtype) {
    case DType::f32: return ncclFloat32;
    case DType::f64: return ncclFloat64;
    case DType::bf16: return ncclBfloat16;
    case DType::f16: return ncclFloat16;
    case DType::i32: return ncclInt32;
    case DType::i64: return ncclInt64;
    case DType::u8: return ncclUint8;
  }
  return ncclUint8;
}

ncclRedOp_t nccl_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return ncclSum;
    case ReduceOp::mean: return ncclAvg;
    case ReduceOp::max: return ncclMax;
  }
  return ncclSum;
}

const char* bytes_of(const Tensor& t) { return static_cast<const char*>(t.data_ptr()); }

bool overlaps(const Tensor& a, const Tensor& b) {
  return bytes_of(a) < bytes_of(b) + b.nbytes() && bytes_of(b) < bytes_of(a) + a.nbytes();
}

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(Device device, const LaunchEnv& launch, ncclComm_t comm)
      : Communicator(launch.rank, launch.world_size, launch.local_rank, device),
        comm_(comm),
        stream_(CudaContext::get(device.index).stream),
        scratch_(Tensor::zeros({1}, DType::f32, device)) {
    // High priority, so that a bucket's all-reduce starts while the backward
    // kernels queued after it still fill the GPU.
    int least = 0, greatest = 0;
    XLM_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(&least, &greatest));
    XLM_CUDA_CHECK(cudaStreamCreateWithPriority(&comm_stream_, cudaStreamNonBlocking, greatest));
    XLM_CUDA_CHECK(cudaEventCreateWithFlags(&inputs_ready_, cudaEventDisableTiming));
    XLM_CUDA_CHECK(cudaEventCreateWithFlags(&reduced_, cudaEventDisableTiming));
  }
  ~NcclCommunicator() override {  // never throws
    if (comm_ != nullptr) ncclCommDestroy(comm_);  // waits for enqueued work
    cudaEventDestroy(reduced_);
    cudaEventDestroy(inputs_ready_);
    cudaStreamDestroy(comm_stream_);
  }
  const char* backend() const override { return "nccl"; }

  // NCCL's documented pattern for bounded waits: poll the streams and the
  // communicator's asynchronous error instead of a blocking synchronize.
  std::string wait_idle(double timeout_s) override {
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      ncclResult_t async = ncclSuccess;
      ncclResult_t polled = ncclSuccess;
      {
        // abort() (the watchdog's thread) must not free the communicator while it is polled here.
        std::lock_guard<std::mutex> lock(abort_mutex_);
        if (comm_ == nullptr) return "the communicator was aborted";
        polled = ncclCommGetAsyncError(comm_, &async);
      }
      if (polled != ncclSuccess) return fmt::format("ncclCommGetAsyncError: {}", ncclGetErrorString(polled));
      if (async != ncclSuccess) return fmt::format("NCCL asynchronous error: {}", ncclGetErrorString(async));
      const cudaError_t compute = cudaStreamQuery(stream_);
      const cudaError_t collectives = cudaStreamQuery(comm_stream_);
      for (cudaError_t e : {compute, collectives})
        if (e != cudaSuccess && e != cudaErrorNotReady) return fmt::format("CUDA error: {}", cudaGetErrorString(e));
      if (compute == cudaSuccess && collectives == cudaSuccess) return "";
      const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (timeout_s > 0 && waited > timeout_s)
        return fmt::format("the device's work (collectives included) was not done after {:.0f} s", timeout_s);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  void abort() override {
    ncclComm_t comm = nullptr;
    {
      std::lock_guard<std::mutex> lock(abort_mutex_);
      comm = comm_.exchange(nullptr);
    }
    if (comm != nullptr) ncclCommAbort(comm);
  }

 protected:
  bool can_reduce(DType d) const override { return d != DType::u8; }

  // The device stream's work so far (the bucket's gradient copies) happens
  // before the reduction, which runs on comm_stream_ while later backward
  // kernels run on the device stream.
  void do_start_all_reduce(Tensor& t, ReduceOp op) override {
    XLM_CUDA_CHECK(cudaEventRecord(inputs_ready_, stream_));
    XLM_CUDA_CHECK(cudaStreamWaitEvent(comm_stream_, inputs_ready_, 0));
    XLM_NCCL_CHECK(ncclAllReduce(t.data_ptr(), t.data_ptr(), static_cast<size_t>(t.numel()), nccl_type(t.dtype()),
                                 nccl_op(op), comm_, comm_stream_));
    started_.push_back(t);
  }

  // The device stream waits for every started reduction; the host does not.
  // The tensors stay referenced until then, and their memory is released in
  // device-stream order, after the wait.
  void do_finish_all_reduces() override {
    if (started_.empty()) return;
    XLM_CUDA_CHECK(cudaEventRecord(reduced_, comm_stream_));
    XLM_CUDA_CHECK(cudaStreamWaitEvent(stream_, reduced_, 0));
    started_.clear();
  }

  void do_all_reduce(Tensor& t, ReduceOp op) override {
    XLM_NCCL_CHECK(ncclAllReduce(t.data_ptr(), t.data_ptr(), static_cast<size_t>(t.numel()), nccl_type(t.dtype()),
                                 nccl_op(op), comm_, stream_));
  }

  void do_reduce_scatter(const Tensor& input, const Tensor& output, ReduceOp op) override {
    // NCCL's in-place form is output == this rank's slice of input; any other overlap goes through a copy.
    const bool in_place = bytes_of(output) == bytes_of(input) + rank() * output.nbytes();
    const Tensor source = (!in_place && overlaps(input, output)) ? input.clone() : input;
    XLM_NCCL_CHECK(ncclReduceScatter(source.data_ptr(), output.data_ptr(), static_cast<size_t>(output.numel()),
                                     nccl_type(input.dtype()), nccl_op(op), comm_, stream_));
  }

  void do_all_gather(const Tensor& input, const Tensor& output) override {
    const bool in_place = bytes_of(input) == bytes_of(output) + rank() * input.nbytes();
    const Tensor source = (!in_place && overlaps(input, output)) ? input.clone() : input;
    XLM_NCCL_CHECK(ncclAllGather(source.data_ptr(), output.data_ptr(), static_cast<size_t>(input.numel()),
                                 nccl_type(input.dtype()), comm_, stream_));
  }

  void do_broadcast(Tensor& t, int root) override {
    XLM_NCCL_CHECK(ncclBroadcast(t.data_ptr(), t.data_ptr(), static_cast<size_t>(t.numel()), nccl_type(t.dtype()),
                                 root, comm_, stream_));
  }

  // NCCL has no barrier: a one-element all-reduce every rank must join, then drain the stream.
  void do_barrier() override {
    XLM_NCCL_CHECK(ncclAllReduce(scratch_.data_ptr(), scratch_.data_ptr(), 1, ncclFloat32, ncclSum, comm_, stream_));
    XLM_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }

 private:
  std::atomic<ncclComm_t> comm_;  // nullptr after abort() (from the watchdog's thread)
  std::mutex abort_mutex_;         // wait_idle's polling against abort()
  cudaStream_t stream_;           // the device's stream (CudaContext), where our kernels run
  cudaStream_t comm_stream_ = nullptr;  // overlapped all-reduces
  cudaEvent_t inputs_ready_ = nullptr;  // device stream -> comm_stream_
  cudaEvent_t reduced_ = nullptr;       // comm_stream_ -> device stream
  std::vector<Tensor> started_;         // buffers of the overlapped all-reduces in flight
  Tensor scratch_;  // (1,) f32 on the device, for barrier()
};

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(Device device, const LaunchEnv& launch) {
  const std::string who = fmt::format("rank {} of {} (nccl)", launch.rank, launch.world_size);
  if (!device.is_cuda()) throw DeviceError(who + fmt::format(": NCCL needs a CUDA device, got {}", device.str()));
  CudaContext::get(device.index);  // makes the device current for ncclCommInitRank
  // NCCL 2.22+ connects peers at their first collective by default, and
  // allocates its buffers then: after the first step has grown our pool
  // (which keeps its memory) to its peak, so a model that fits could fail
  // there. Connect at init instead, while the pool is small; a value the user
  // set wins.
  setenv("NCCL_RUNTIME_CONNECT", "0", /*overwrite=*/0);
  ncclUniqueId id{};
  try {
    if (launch.rank == 0) XLM_NCCL_CHECK(ncclGetUniqueId(&id));
    if (launch.launcher == Launcher::torchrun) {
      tcp_broadcast_bytes(&id, sizeof id, launch, kRendezvousTimeout);
    } else {
#if XLM_WITH_MPI
      mpi_broadcast_bytes(&id, sizeof id, 0);
#else
      throw ConfigError(who + fmt::format(": under {} NCCL's id travels over MPI, and this build has none; "
                                          "set RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT instead",
                                          launcher_name(launch.launcher)));
#endif
    }
    ncclComm_t comm = nullptr;
    XLM_NCCL_CHECK(ncclCommInitRank(&comm, launch.world_size, id, launch.rank));
    try {
      return std::make_unique<NcclCommunicator>(device, launch, comm);
    } catch (...) {
      ncclCommAbort(comm);  // the peers then fail in their first collective instead of waiting in it
      throw;
    }
  } catch (const BackendError& e) {
    throw BackendError(who + ": init: " + e.what());
  }
}

}  // namespace xlm::detail

#endif  // XLM_WITH_NCCL
