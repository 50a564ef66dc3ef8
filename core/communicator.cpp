// Argument checks shared by every transport, the single-rank communicator
// and the factory that picks a transport from the device and the launcher.
// The single-rank communicator copies nothing: with one rank every
// collective is the identity (reduce_scatter and all_gather copy input to
// output when they are different buffers).
#include "core/communicator.h"

#include "core/communicator_impl.h"
#include "core/error.h"
#include "core/storage.h"

namespace xlm {

const char* reduce_op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return "sum";
    case ReduceOp::mean: return "mean";
    case ReduceOp::max: return "max";
  }
  return "?";
}

std::string Communicator::where(const char* call) const {
  return fmt::format("rank {} of {} ({}): {}: ", rank_, world_size_, backend(), call);
}

void Communicator::check_tensor(const Tensor& t, const char* call, const char* arg) const {
  if (!t.defined()) throw ShapeError(where(call) + fmt::format("{} is undefined", arg));
  if (t.device() != device_)
    throw DeviceError(where(call) + fmt::format("{} is {}, this communicator works on {}", arg, t.describe(),
                                                device_.str()));
}

void Communicator::check_reducible(const Tensor& t, ReduceOp op, const char* call) const {
  if (!can_reduce(t.dtype()))
    throw DTypeError(where(call) + fmt::format("cannot reduce {}", t.describe()));
  if (op == ReduceOp::mean && !is_floating(t.dtype()))
    throw DTypeError(where(call) + fmt::format("mean of integers ({})", t.describe()));
}

namespace {
// Transport failures come back as BackendError without a rank; prefix it here, once.
template <class F>
void with_rank(const std::string& where, F&& f) {
  try {
    f();
  } catch (const BackendError& e) {
    throw BackendError(where + e.what());
  }
}

// a is (k * n, rest...) and b is (n, rest...) for k = world size.
bool rows_times(const Tensor& big, const Tensor& small, int k) {
  if (big.dim() < 1 || big.dim() != small.dim()) return false;
  if (big.size(0) != k * small.size(0)) return false;
  for (int64_t d = 1; d < big.dim(); ++d)
    if (big.size(d) != small.size(d)) return false;
  return true;
}
}  // namespace

void Communicator::all_reduce(Tensor& t, ReduceOp op) {
  check_tensor(t, "all_reduce", "tensor");
  check_reducible(t, op, "all_reduce");
  if (t.numel() > 0) with_rank(where("all_reduce"), [&] { do_all_reduce(t, op); });
}

void Communicator::reduce_scatter(const Tensor& input, const Tensor& output, ReduceOp op) {
  check_tensor(input, "reduce_scatter", "input");
  check_tensor(output, "reduce_scatter", "output");
  check_reducible(input, op, "reduce_scatter");
  if (input.dtype() != output.dtype() || !rows_times(input, output, world_size_))
    throw ShapeError(where("reduce_scatter") + fmt::format("input {} must be {} x the rows of output {}",
                                                           input.describe(), world_size_, output.describe()));
  if (output.numel() > 0)
    with_rank(where("reduce_scatter"), [&] { do_reduce_scatter(input, output, op); });
}

void Communicator::all_gather(const Tensor& input, const Tensor& output) {
  check_tensor(input, "all_gather", "input");
  check_tensor(output, "all_gather", "output");
  if (input.dtype() != output.dtype() || !rows_times(output, input, world_size_))
    throw ShapeError(where("all_gather") + fmt::format("output {} must be {} x the rows of input {}",
                                                       output.describe(), world_size_, input.describe()));
  if (input.numel() > 0) with_rank(where("all_gather"), [&] { do_all_gather(input, output); });
}

void Communicator::broadcast(Tensor& t, int root) {
  check_tensor(t, "broadcast", "tensor");
  if (root < 0 || root >= world_size_)
    throw ConfigError(where("broadcast") + fmt::format("root {} is not a rank (0..{})", root, world_size_ - 1));
  if (t.numel() > 0) with_rank(where("broadcast"), [&] { do_broadcast(t, root); });
}

void Communicator::barrier() {
  with_rank(where("barrier"), [&] { do_barrier(); });
}

void Communicator::start_all_reduce(Tensor& t, ReduceOp op) {
  check_tensor(t, "start_all_reduce", "tensor");
  check_reducible(t, op, "start_all_reduce");
  if (t.numel() > 0) with_rank(where("start_all_reduce"), [&] { do_start_all_reduce(t, op); });
}

void Communicator::finish_all_reduces() {
  with_rank(where("finish_all_reduces"), [&] { do_finish_all_reduces(); });
}

std::string Communicator::wait_idle(double) { return ""; }

namespace {

class SingleCommunicator final : public Communicator {
 public:
  explicit SingleCommunicator(Device device) : Communicator(0, 1, 0, device) {}
  const char* backend() const override { return "single"; }

 protected:
  void do_all_reduce(Tensor&, ReduceOp) override {}
  void do_reduce_scatter(const Tensor& input, const Tensor& output, ReduceOp) override { copy(input, output); }
  void do_all_gather(const Tensor& input, const Tensor& output) override { copy(input, output); }
  void do_broadcast(Tensor&, int) override {}
  void do_barrier() override { synchronize(device()); }
  bool can_reduce(DType dtype) const override { return dtype != DType::u8; }

 private:
  static void copy(const Tensor& from, const Tensor& to) {
    if (from.data_ptr() != to.data_ptr())
      copy_bytes(to.data_ptr(), to.device(), from.data_ptr(), from.device(), from.nbytes());
  }
};

}  // namespace

std::unique_ptr<Communicator> make_single_communicator(Device device) {
  return std::make_unique<SingleCommunicator>(device);
}

std::unique_ptr<Communicator> make_communicator(Device device) {
  return make_communicator(device, parse_launch_env(process_env()));
}

std::unique_ptr<Communicator> make_communicator(Device device, const LaunchEnv& launch) {
  if (launch.world_size == 1) return make_single_communicator(device);
  const std::string who = fmt::format("rank {} of {} ({})", launch.rank, launch.world_size, launch.source);
  if (device.is_cpu()) {
#if XLM_WITH_MPI
    if (launch.launcher == Launcher::torchrun)
      throw ConfigError(who + ": CPU ranks communicate through MPI: launch with mpirun or srun, not torchrun");
    return detail::make_mpi_communicator(launch);
#else
    throw ConfigError(who + ": CPU ranks need MPI, and this build has none (install Open MPI and rebuild)");
#endif
  }
#if XLM_WITH_CUDA && XLM_WITH_NCCL
  return detail::make_nccl_communicator(device, launch);
#else
  throw ConfigError(who + fmt::format(": {} tensors need NCCL, and this build has none", device.str()));
#endif
}

}  // namespace xlm
