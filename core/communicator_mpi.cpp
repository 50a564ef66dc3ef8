// The MPI transport: CPU tensors between processes started by mpirun or
// srun, and the channel NCCL's unique id travels on under those launchers.
// MPI is initialised on first use and finalised at process exit (only if we
// initialised it), so one process may hold several communicators. Each
// communicator duplicates MPI_COMM_WORLD, so its traffic never matches a
// message of another library, and sets MPI_ERRORS_RETURN so that failures
// come back as BackendError instead of aborting the job.
//
// Reduction order (and so the last bits of a floating sum) is MPI's
// choice; Open MPI picks its algorithm from the message size and the
// number of ranks, the same on every rank, so all ranks receive identical
// bits, but a sum over 2 ranks need not equal the same numbers summed in
// another order by a single process. Counts above INT_MAX elements are sent
// in pieces (all_reduce, broadcast) or rejected (reduce_scatter, all_gather).
#include "core/communicator_impl.h"

#if XLM_WITH_MPI

#include "core/error.h"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <vector>

#define XLM_MPI_CHECK(expr)                                                                      \
  do {                                                                                           \
    int xlm_code_ = (expr);                                                                      \
    if (xlm_code_ != MPI_SUCCESS)                                                                \
      ::xlm::detail::throw_check_failure("MPI", #expr, __FILE__, __LINE__, mpi_error_string(xlm_code_)); \
  } while (0)

namespace xlm::detail {
namespace {

std::string mpi_error_string(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return fmt::format("error code {}", code);
  return std::string(text, static_cast<size_t>(length));
}

// Initialises MPI once per process; finalises at exit if it was ours.
class MpiRuntime {
 public:
  static void ensure() { static MpiRuntime runtime; }
  ~MpiRuntime() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owned_ && !finalized) MPI_Finalize();
  }

 private:
  MpiRuntime() {
    int initialized = 0;
    XLM_MPI_CHECK(MPI_Initialized(&initialized));
    if (!initialized) {
      int provided = 0;  // collectives are called from one thread at a time
      XLM_MPI_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided));
      owned_ = true;
    }
  }
  bool owned_ = false;
};

MPI_Datatype mpi_type(DType dtype) {
  switch (dtype) {
    case DType::f32: return MPI_FLOAT;
    case DType::f64: return MPI_DOUBLE;
    case DType::i32: return MPI_INT32_T;
    case DType::i64: return MPI_INT64_T;
    case DType::u8: return MPI_UINT8_T;
    case DType::bf16:
    case DType::f16: return MPI_UINT16_T;  // moved, never reduced
  }
  return MPI_BYTE;
}

MPI_Op mpi_op(ReduceOp op) { return op == ReduceOp::max ? MPI_MAX : MPI_SUM; }

// Divides every element by n (mean = sum / n), in the tensor's own precision.
void divide(const Tensor& t, int n) {
  if (t.dtype() == DType::f32) {
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] /= static_cast<float>(n);
  } else {
    double* p = t.data<double>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] /= static_cast<double>(n);
  }
}

bool overlaps(const Tensor& a, const Tensor& b) {
  auto* a0 = static_cast<const char*>(a.data_ptr());
  auto* b0 = static_cast<const char*>(b.data_ptr());
  return a0 < b0 + b.nbytes() && b0 < a0 + a.nbytes();
}

int checked_count(int64_t n, const char* what) {
  if (n > INT_MAX)
    throw ShapeError(fmt::format("{} of {} elements is more than MPI's int count allows", what, n));
  return static_cast<int>(n);
}

constexpr int64_t kPiece = int64_t{1} << 30;  // elements per call when a count exceeds INT_MAX

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator(int rank, int world, int local_rank, MPI_Comm comm)
      : Communicator(rank, world, local_rank, Device::cpu()), comm_(comm) {}
  ~MpiCommunicator() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Comm_free(&comm_);
  }
  const char* backend() const override { return "mpi"; }

 protected:
  bool can_reduce(DType d) const override {
    return d == DType::f32 || d == DType::f64 || d == DType::i32 || d == DType::i64;
  }

  void do_all_reduce(Tensor& t, ReduceOp op) override {
    const size_t elem = dtype_size(t.dtype());
    auto* base = static_cast<char*>(t.data_ptr());
    for (int64_t done = 0; done < t.numel(); done += kPiece) {
      const int count = static_cast<int>(std::min(kPiece, t.numel() - done));
      XLM_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, base + done * elem, count, mpi_type(t.dtype()), mpi_op(op), comm_));
    }
    if (op == ReduceOp::mean) divide(t, world_size());
  }

  void do_reduce_scatter(const Tensor& input, const Tensor& output, ReduceOp op) override {
    const Tensor source = overlaps(input, output) ? input.clone() : input;
    const int count = checked_count(output.numel(), "reduce_scatter");
    XLM_MPI_CHECK(MPI_Reduce_scatter_block(source.data_ptr(), output.data_ptr(), count, mpi_type(input.dtype()),
                                           mpi_op(op), comm_));
    if (op == ReduceOp::mean) divide(output, world_size());
  }

  void do_all_gather(const Tensor& input, const Tensor& output) override {
    const Tensor source = overlaps(input, output) ? input.clone() : input;
    const int count = checked_count(input.numel(), "all_gather");
    const MPI_Datatype type = mpi_type(input.dtype());
    XLM_MPI_CHECK(MPI_Allgather(source.data_ptr(), count, type, output.data_ptr(), count, type, comm_));
  }

  void do_broadcast(Tensor& t, int root) override {
    const size_t elem = dtype_size(t.dtype());
    auto* base = static_cast<char*>(t.data_ptr());
    for (int64_t done = 0; done < t.numel(); done += kPiece) {
      const int count = static_cast<int>(std::min(kPiece, t.numel() - done));
      XLM_MPI_CHECK(MPI_Bcast(base + done * elem, count, mpi_type(t.dtype()), root, comm_));
    }
  }

  void do_barrier() override { XLM_MPI_CHECK(MPI_Barrier(comm_)); }

  // MPI_Iallreduce per piece; Open MPI progresses it inside later MPI calls
  // (and in MPI_Waitall), so on CPU ranks the overlap is partial.
  void do_start_all_reduce(Tensor& t, ReduceOp op) override {
    const size_t elem = dtype_size(t.dtype());
    auto* base = static_cast<char*>(t.data_ptr());
    for (int64_t done = 0; done < t.numel(); done += kPiece) {
      const int count = static_cast<int>(std::min(kPiece, t.numel() - done));
      MPI_Request request = MPI_REQUEST_NULL;
      XLM_MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, base + done * elem, count, mpi_type(t.dtype()), mpi_op(op), comm_,
                                   &request));
      requests_.push_back(request);
    }
    started_.push_back({t, op});
  }

  void do_finish_all_reduces() override {
    std::vector<MPI_Request> requests;
    std::vector<Started> started;
    requests.swap(requests_);
    started.swap(started_);
    if (!requests.empty())
      XLM_MPI_CHECK(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE));
    for (const Started& s : started)
      if (s.op == ReduceOp::mean) divide(s.tensor, world_size());
  }

 private:
  struct Started {
    Tensor tensor;
    ReduceOp op;
  };
  MPI_Comm comm_;
  std::vector<MPI_Request> requests_;  // in flight since start_all_reduce
  std::vector<Started> started_;
};

}  // namespace

std::unique_ptr<Communicator> make_mpi_communicator(const LaunchEnv& launch) {
  MpiRuntime::ensure();
  MPI_Comm comm = MPI_COMM_NULL;
  XLM_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &comm));
  XLM_MPI_CHECK(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN));
  int rank = 0, size = 0;
  XLM_MPI_CHECK(MPI_Comm_rank(comm, &rank));
  XLM_MPI_CHECK(MPI_Comm_size(comm, &size));
  auto communicator = std::make_unique<MpiCommunicator>(rank, size, launch.local_rank, comm);
  if (rank != launch.rank || size != launch.world_size)
    throw ConfigError(fmt::format("MPI says rank {} of {}, the launcher's environment says rank {} of {} ({})", rank,
                                  size, launch.rank, launch.world_size, launch.source));
  return communicator;
}

void mpi_broadcast_bytes(void* data, size_t bytes, int root) {
  MpiRuntime::ensure();
  XLM_MPI_CHECK(MPI_Bcast(data, checked_count(static_cast<int64_t>(bytes), "broadcast"), MPI_BYTE, root,
                          MPI_COMM_WORLD));
}

}  // namespace xlm::detail

#endif  // XLM_WITH_MPI
