// See data_parallel.h. Strings and JSON travel as u8 tensors (lengths first,
// as i64), so any transport that moves bytes carries them; on NCCL they go
// through device memory like every other collective.
#include "tasks/pretrain/data_parallel.h"

#include "core/device.h"
#include "core/error.h"
#include "core/storage.h"
#include "tasks/pretrain/weight_hash.h"

#include <fmt/format.h>

#include <algorithm>
#include <exception>

namespace xlm::tasks {

namespace {

Tensor bytes_tensor(const std::string& text, int64_t size, Device device) {
  Tensor host = Tensor::zeros({size}, DType::u8);  // (size)
  std::copy(text.begin(), text.end(), host.data<uint8_t>());
  return host.to(device);
}

}  // namespace

std::shared_ptr<Communicator> make_training_communicator(Device& device) {
  const LaunchEnv launch = parse_launch_env(process_env());
  if (launch.world_size > 1 && device.is_cuda()) {
    XLM_CHECK(launch.local_rank >= 0, ConfigError,
              "{} rank {} of {}: the launcher did not give the local rank, so the GPU to use is unknown (set "
              "LOCAL_RANK, or start with mpirun/srun)",
              launcher_name(launch.launcher), launch.rank, launch.world_size);
    // One GPU visible to this process (srun --gpus-per-task=1 binds each task
    // to its own GPU, as does a per-rank CUDA_VISIBLE_DEVICES): it is ours,
    // whatever the local rank. Several visible: the local rank picks one.
    const int visible = cuda_device_count();
    XLM_CHECK(visible == 1 || launch.local_rank < visible, ConfigError,
              "{} rank {} of {}: local rank {} but this process sees {} CUDA device(s) (one GPU per process: start "
              "at most that many ranks per node, or give each rank one GPU with CUDA_VISIBLE_DEVICES)",
              launcher_name(launch.launcher), launch.rank, launch.world_size, launch.local_rank, visible);
    device = Device::cuda(visible == 1 ? 0 : launch.local_rank);
  }
  return make_communicator(device, launch);
}

DataParallel::DataParallel(std::shared_ptr<Communicator> comm, const DataParallelOptions& options)
    : comm_(std::move(comm)), options_(options) {
  watchdog_ = std::make_unique<CommWatchdog>(*comm_, comm_->world_size() > 1 ? options_.comm_timeout_s : 0.0);
}

void DataParallel::broadcast(const nn::NamedTensors& tensors) {
  if (world_size() == 1) return;
  CommWatchdog::Scope scope(*watchdog_, "broadcast of rank 0's weights");
  for (const auto& [name, t] : tensors) {
    Tensor handle = t;
    comm_->broadcast(handle, 0);
  }
}

void DataParallel::attach(const nn::NamedTensors& params, const nn::OptimizerSpec& spec,
                          const std::vector<int>& clip_group, std::optional<DType> master_dtype) {
  if (options_.zero1) {
    zero1_ = std::make_unique<Zero1Optimizer>(*comm_, *watchdog_, spec, params, clip_group, master_dtype);
  } else if (world_size() > 1) {
    reducer_ = std::make_unique<GradReducer>(*comm_, *watchdog_, params, options_.bucket_mb);
  }
}

std::unique_ptr<autograd::GradReadyScope> DataParallel::backward_hook(bool ends_accumulation) {
  if (!ends_accumulation || !reducer_) return nullptr;
  return reducer_->hook();
}

void DataParallel::average_gradients() {
  if (reducer_) reducer_->finish();
}

void DataParallel::after_update(const nn::NamedTensors& params, int64_t n_updates) {
  if (world_size() == 1) return;
  watchdog_->drain("training step");
  if (options_.check_weights_every > 0 && n_updates % options_.check_weights_every == 0) {
    CommWatchdog::Scope scope(*watchdog_, "weight hash comparison");
    check_weights_agree(*comm_, params, n_updates);
  }
}

EvalRanks DataParallel::eval_ranks() {
  EvalRanks ranks;
  if (world_size() == 1) return ranks;
  ranks.rank = rank();
  ranks.world_size = world_size();
  ranks.sum = [this](std::vector<double>& values) {
    CommWatchdog::Scope scope(*watchdog_, "evaluation sums");
    Tensor t = Tensor::from_vector(values, {static_cast<int64_t>(values.size())}).to(comm_->device());  // (n) f64
    comm_->all_reduce(t, ReduceOp::sum);
    values = t.to(Device::cpu()).to_vector<double>();
  };
  ranks.all_gather = [this](const nlohmann::json& mine) { return all_gather_json(mine); };
  return ranks;
}

nlohmann::json DataParallel::all_gather_json(const nlohmann::json& mine) {
  if (world_size() == 1) return nlohmann::json::array({mine});
  CommWatchdog::Scope scope(*watchdog_, "gathering the ranks' states");
  const std::string text = mine.dump();
  const Device device = comm_->device();
  Tensor length = Tensor::from_vector(std::vector<int64_t>{static_cast<int64_t>(text.size())}, {1}, device);
  Tensor lengths = Tensor::zeros({world_size()}, DType::i64, device);  // (world_size)
  comm_->all_gather(length, lengths);
  const std::vector<int64_t> sizes = lengths.to_vector<int64_t>();
  const int64_t longest = *std::max_element(sizes.begin(), sizes.end());
  Tensor all = Tensor::zeros({world_size() * longest}, DType::u8, device);  // (world_size * longest)
  comm_->all_gather(bytes_tensor(text, longest, device), all);
  const std::vector<uint8_t> bytes = all.to_vector<uint8_t>();
  nlohmann::json out = nlohmann::json::array();
  for (int r = 0; r < world_size(); ++r) {
    const auto* begin = reinterpret_cast<const char*>(bytes.data()) + r * longest;
    out.push_back(nlohmann::json::parse(std::string(begin, static_cast<size_t>(sizes[r]))));
  }
  return out;
}

std::string DataParallel::broadcast_string(const std::string& text) {
  if (world_size() == 1) return text;
  CommWatchdog::Scope scope(*watchdog_, "broadcast from rank 0");
  const Device device = comm_->device();
  Tensor length = Tensor::from_vector(std::vector<int64_t>{static_cast<int64_t>(text.size())}, {1}, device);
  comm_->broadcast(length, 0);
  const int64_t size = length.to_vector<int64_t>()[0];
  if (size == 0) return "";
  Tensor bytes = bytes_tensor(rank() == 0 ? text : std::string(), size, device);
  comm_->broadcast(bytes, 0);
  const std::vector<uint8_t> host = bytes.to_vector<uint8_t>();
  return std::string(host.begin(), host.end());
}

void DataParallel::run_on_rank0(const std::string& what, const std::function<void()>& work) {
  std::exception_ptr failure;
  std::string cause;
  if (rank() == 0) {
    try {
      work();
    } catch (const std::exception& e) {
      failure = std::current_exception();
      cause = e.what();
    } catch (...) {
      failure = std::current_exception();
      cause = "unknown error";
    }
    if (cause.empty() && failure) cause = "error without a message";
  }
  cause = broadcast_string(cause);  // empty: rank 0 succeeded
  if (failure) std::rethrow_exception(failure);
  if (!cause.empty()) throw Error(fmt::format("rank 0 of {} failed while {}: {}", world_size(), what, cause));
}

void DataParallel::barrier() {
  if (world_size() == 1) return;
  CommWatchdog::Scope scope(*watchdog_, "barrier");
  comm_->barrier();
}

bool DataParallel::all_ranks_finite(const std::function<bool()>& local_finite) {
  if (world_size() == 1) return local_finite();
  // On a GPU the local check's read would wait, unwatched, for the gradient
  // all-reduce or reduce_scatter just enqueued: wait for them here instead.
  watchdog_->drain("gradient reduction");
  const bool finite = local_finite();
  Tensor flag = Tensor::full({1}, finite ? 0.0 : 1.0, DType::f32, comm_->device());  // (1) 1: this rank overflowed
  CommWatchdog::Scope scope(*watchdog_, "overflow agreement");
  comm_->all_reduce(flag, ReduceOp::max);
  return flag.item() == 0.0;  // the read is what waits for the all-reduce: keep it watched
}

}  // namespace xlm::tasks
