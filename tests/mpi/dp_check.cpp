// Data-parallel `xlm train` under mpirun (CTest: dp_check_np2, dp_check_np3
// and the failure cases). Like mpi_check it only means something as several
// ranks, so it is a program of its own; each rank counts its failures and
// the counts are summed so that every rank exits alike.
//
//   xlm_dp_check          the checks below (exit 0 when all pass)
//   xlm_dp_check hang     the last rank never joins a collective: the others
//                         must stop through the watchdog (--comm_timeout)
//   xlm_dp_check kill     the last rank SIGKILLs itself: mpirun must end the
//                         others, with an error, instead of letting them hang
//
// The equivalence checks train a tiny CLM (dropout 0) on the real corpus
// sample: N ranks with batch b against one rank with batch N*b on the same
// data (StreamDataset's rank shards are the rows of the one-rank batch), and
// ZeRO-1 against plain data parallelism. f32 on the CPU: the ranks' losses
// and gradients are summed in another order than one process sums them, so
// the parameters agree to a stated tolerance, not bit for bit. Mixed
// precision: an overflow on one rank skips the step on all of them.
#include "core/communicator.h"
#include "core/error.h"
#include "pretrain_fixture.h"
#include "tasks/pretrain/comm_watchdog.h"
#include "tasks/pretrain/trainer.h"
#include "tasks/pretrain/weight_hash.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace xlm;

namespace {

namespace fs = std::filesystem;

int g_failures = 0;
int g_rank = 0;

void expect(bool ok, const std::string& what) {
  if (!ok) {
    ++g_failures;
    fmt::print(stderr, "rank {}: FAIL: {}\n", g_rank, what);
  }
}

// Largest |a - b| over every trained tensor of two trainers.
double max_difference(const nn::NamedTensors& a, const nn::NamedTensors& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const std::vector<double> x = a[i].second.to_doubles(), y = b[i].second.to_doubles();
    for (size_t k = 0; k < x.size(); ++k) worst = std::max(worst, std::abs(x[k] - y[k]));
  }
  return worst;
}

tasks::TrainConfig tiny_clm(const std::string& dump, const std::string& id, int64_t batch_size, int64_t updates,
                            int64_t world) {
  tasks::TrainConfig c;
  c.dump_path = dump;
  c.exp_name = "dp";
  c.exp_id = id;
  c.data_path = test::pretrain_data_dir();
  c.lgs = "en-fr";
  c.clm_steps = "fr";
  c.emb_dim = 16;
  c.n_layers = 1;
  c.n_heads = 2;
  c.bptt = 16;
  c.batch_size = batch_size;
  c.epoch_size = updates * batch_size * world;  // sentences of all ranks
  c.max_epoch = 1;
  c.optimizer = "adam,lr=0.01";
  c.clip_grad_norm = 1.0;
  c.device = "cpu";
  c.log_every = 1000;
  c.bucket_mb = 0.004;  // a few kB: several buckets even for this tiny model
  c.comm_timeout = 60;
  c.check_weights_every = 1;
  return c;
}

// N ranks with batch b == one rank with batch N*b (same data, dropout 0).
// SGD keeps the last-bit differences of the summation order at their size;
// Adam divides by sqrt(v), which magnifies them where a gradient is near 0.
void check_equals_big_batch(const std::shared_ptr<Communicator>& comm, const std::string& dump,
                            const std::string& optimizer, double tolerance, int64_t accumulate = 1) {
  const int w = comm->world_size(), r = comm->rank();
  const int64_t b = 2, updates = 4;
  const std::string id = fmt::format("dp-{}-{}", optimizer.substr(0, optimizer.find(',')), accumulate);
  auto parallel_config = tiny_clm(dump, id, b, updates, w);
  auto single_config = tiny_clm(dump, fmt::format("{}-single-{}", id, r), b * w, updates, 1);
  parallel_config.optimizer = single_config.optimizer = optimizer;
  parallel_config.accumulate_gradients = single_config.accumulate_gradients = accumulate;
  tasks::Trainer parallel(parallel_config, comm);
  parallel.run();
  expect(parallel.n_total_iter() == updates, fmt::format("{} iterations, want {}", parallel.n_total_iter(), updates));
  const auto* reducer = parallel.data_parallel().reducer();
  expect(reducer != nullptr && reducer->buckets().size() > 2,
         fmt::format("{} buckets", reducer ? reducer->buckets().size() : 0));
  expect(reducer != nullptr && reducer->started_during_backward() > 0,
         "no bucket was reduced during backward (the grad-ready hook did not fire)");

  tasks::Trainer single(single_config, make_single_communicator(Device::cpu()));
  single.run();
  const double diff = max_difference(parallel.trained_parameters(), single.trained_parameters());
  expect(diff <= tolerance,
         fmt::format("{}, accumulate {}: {} ranks x batch {} vs 1 rank x batch {}: parameters differ by {}", optimizer,
                     accumulate, w, b, b * w, diff));
  // The mean of the ranks' losses is the big batch's loss (CLM: every rank predicts as many tokens).
  const std::vector<float>& mine = parallel.loss_history().at("clm_fr");
  const std::vector<float>& big = single.loss_history().at("clm_fr");
  Tensor losses = Tensor::from_vector(std::vector<double>(mine.begin(), mine.end()), {updates});
  comm->all_reduce(losses, ReduceOp::mean);
  const std::vector<double> mean = losses.to_vector<double>();
  for (int64_t k = 0; k < updates; ++k)
    expect(std::abs(mean[k] - big[k]) <= 1e-5,
           fmt::format("step {}: mean rank loss {} vs big-batch loss {}", k, mean[k], big[k]));
  if (r == 0)
    fmt::print("dp_check: {}, accumulate {}: {} ranks vs one rank with batch {}: max |diff| {:.3g}; {} of {} buckets "
               "started during backward\n",
               optimizer, accumulate, w, b * w, diff, reducer ? reducer->started_during_backward() : 0,
               reducer ? reducer->buckets().size() : 0);

  // Only rank 0 wrote the run folder, and every rank's state is in its checkpoint.
  const fs::path run = fs::path(dump) / "dp" / id;
  expect(fs::exists(run / "train.log"), "rank 0 wrote no train.log");
  if (r == 0) {
    std::ifstream in(run / "checkpoints" / "checkpoint-0000000004" / "trainer.json");
    const auto state = nlohmann::json::parse(in);
    expect(state.at("ranks").size() == static_cast<size_t>(w), "the checkpoint lacks some ranks' states");
  }
}

// ZeRO-1 reaches plain data parallelism's parameters; its checkpoint resumes a plain run.
void check_zero1(const std::shared_ptr<Communicator>& comm, const std::string& dump) {
  const int w = comm->world_size();
  auto plain_config = tiny_clm(dump, "plain", 2, 4, w);
  auto zero_config = tiny_clm(dump, "zero1", 2, 4, w);
  zero_config.zero1 = true;
  // The plain run finds its ranks in the launcher's environment, as `xlm train` does.
  tasks::Trainer plain(plain_config), zero(zero_config, comm);
  expect(plain.data_parallel().world_size() == w && std::string(plain.data_parallel().comm().backend()) == "mpi",
         "the trainer did not find the mpirun ranks in its environment");
  plain.run();
  zero.run();
  const double diff = max_difference(plain.trained_parameters(), zero.trained_parameters());
  expect(diff <= 1e-6, fmt::format("ZeRO-1 vs plain data parallelism: parameters differ by {}", diff));
  if (comm->rank() == 0) fmt::print("dp_check: ZeRO-1 vs plain on {} ranks: max |diff| {:.3g}\n", w, diff);
}

// A run stopped after an epoch and resumed by all ranks continues exactly.
void check_resume(const std::shared_ptr<Communicator>& comm, const std::string& dump) {
  const int w = comm->world_size();
  auto straight_config = tiny_clm(dump, "straight", 2, 3, w);
  straight_config.max_epoch = 2;
  straight_config.mlm_steps = "en";  // masking draws from each rank's own stream
  tasks::Trainer straight(straight_config, comm);
  straight.run();
  auto split_config = straight_config;
  split_config.exp_id = "split";
  split_config.max_epoch = 1;
  { tasks::Trainer first(split_config, comm); first.run(); }
  split_config.max_epoch = 2;
  tasks::Trainer resumed(split_config, comm);
  expect(resumed.epoch() == 1, fmt::format("resumed at epoch {}", resumed.epoch()));
  resumed.run();
  expect(max_difference(straight.trained_parameters(), resumed.trained_parameters()) == 0.0,
         "a resumed multi-rank run differs from the uninterrupted one");
  auto wrong = split_config;
  wrong.max_epoch = 3;
  if (w > 1 && comm->rank() == 0) {  // one process: the others would race on the same run folder
    try {
      tasks::Trainer alone(wrong, make_single_communicator(Device::cpu()));
      expect(false, "a one-rank resume of a multi-rank checkpoint was accepted");
    } catch (const ConfigError& e) {
      expect(std::string(e.what()).find(fmt::format("written by {} rank(s), this run has 1", w)) != std::string::npos,
             std::string("message: ") + e.what());
    }
  }
}

// Mixed precision in its CPU test mode (f32 model, f64 masters, dynamic loss
// scaling): an overflow on the last rank alone makes every rank skip that
// step and back off the scale, and the weights stay identical (the weight
// hash runs after every update).
void check_mixed_precision_skip(const std::shared_ptr<Communicator>& comm, const std::string& dump) {
  auto config = tiny_clm(dump, "mixed", 2, 5, comm->world_size());
  config.precision_test = "f32_f64";
  config.init_loss_scale = 1024;
  config.loss_scale_window = 3;
  tasks::Trainer trainer(config, comm);
  if (comm->rank() == comm->world_size() - 1) trainer.precision().inject_inf_at(2);
  trainer.run();
  const nn::LossScaler& scaler = trainer.precision().scaler();
  expect(scaler.skipped_steps() == 1 && scaler.overflows() == 1,
         fmt::format("skipped {} and overflows {}, want 1 and 1", scaler.skipped_steps(), scaler.overflows()));
  expect(trainer.optimizer().n_updates() == 4, fmt::format("{} updates, want 4", trainer.optimizer().n_updates()));
  expect(scaler.scale() == 1024, fmt::format("scale {}, want 1024 (halved, then doubled after 3 good steps)",
                                             scaler.scale()));
  try {
    tasks::check_weights_agree(*comm, trainer.trained_parameters(), trainer.optimizer().n_updates());
  } catch (const Error& e) {
    expect(false, std::string("after a skipped step: ") + e.what());
  }
}

void check_overlapped_all_reduce(Communicator& c) {
  const int r = c.rank(), w = c.world_size();
  Tensor a = Tensor::from_vector(std::vector<float>{static_cast<float>(r), 1.0f}, {2});
  Tensor b = Tensor::from_vector(std::vector<double>{2.0 * r, 4.0, 8.0}, {3});
  c.start_all_reduce(a, ReduceOp::sum);
  c.start_all_reduce(b, ReduceOp::mean);
  c.finish_all_reduces();
  expect(a.to_vector<float>() == std::vector<float>{static_cast<float>(w * (w - 1) / 2), static_cast<float>(w)},
         "start_all_reduce sum");
  expect(b.to_vector<double>() == std::vector<double>{static_cast<double>(w - 1), 4.0, 8.0}, "start_all_reduce mean");
}

void check_weight_hash(Communicator& c) {
  Tensor t = Tensor::from_vector(std::vector<float>{1.0f, 2.0f, 3.0f}, {3});
  nn::NamedTensors params{{"w", t}};
  try {
    tasks::check_weights_agree(c, params, 7);
  } catch (const Error& e) {
    expect(false, std::string("equal weights reported as different: ") + e.what());
  }
  if (c.world_size() == 1) return;
  const int odd = c.world_size() - 1;
  if (c.rank() == odd) t.data<float>()[1] += 1e-6f;
  try {
    tasks::check_weights_agree(c, params, 7);
    expect(false, "a perturbed rank went unnoticed");
  } catch (const Error& e) {
    const std::string m = e.what();
    const bool names_odd = m.find(fmt::format("rank {} has", odd)) != std::string::npos;
    const bool names_only_odd = odd == 1 || m.find("rank 1 has") == std::string::npos;
    expect(m.find("after update 7") != std::string::npos && names_odd && names_only_odd, "message: " + m);
  }
}

// A trainer whose last rank's weights were perturbed stops at the first
// weight-hash comparison, on every rank, naming that rank.
void check_training_divergence(const std::shared_ptr<Communicator>& comm, const std::string& dump) {
  const int last = comm->world_size() - 1;
  tasks::Trainer trainer(tiny_clm(dump, "diverge", 2, 4, comm->world_size()), comm);
  if (comm->rank() == last) trainer.trained_parameters().front().second.data<float>()[0] += 1e-3f;
  try {
    trainer.run();
    expect(false, "training went on with different weights on one rank");
  } catch (const Error& e) {
    const std::string m = e.what();
    expect(m.find("weights differ between ranks after update 1") != std::string::npos &&
               m.find(fmt::format("rank {} has", last)) != std::string::npos,
           "message: " + m);
  }
}

// The last rank stays out of the collective; the others stop through the watchdog.
int run_hang(Communicator& c) {
  const int last = c.world_size() - 1;
  if (c.rank() == last) {
    std::this_thread::sleep_for(std::chrono::seconds(60));
    return 0;
  }
  tasks::CommWatchdog watchdog(c, 2.0);
  Tensor t = Tensor::zeros({4}, DType::f32);
  {
    tasks::CommWatchdog::Scope scope(watchdog, "test all_reduce");
    c.all_reduce(t);
  }
  fmt::print(stderr, "rank {}: the all_reduce returned without rank {}\n", c.rank(), last);
  return 0;
}

// The last rank dies (SIGKILL, no cleanup); the others wait in a collective.
int run_kill(Communicator& c) {
  c.barrier();
  if (c.rank() == c.world_size() - 1) raise(SIGKILL);
  tasks::CommWatchdog watchdog(c, 120.0);  // far longer than the test allows: mpirun must end us
  Tensor t = Tensor::zeros({4}, DType::f32);
  tasks::CommWatchdog::Scope scope(watchdog, "test all_reduce");
  c.all_reduce(t);
  c.all_reduce(t);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    std::shared_ptr<Communicator> comm = make_communicator(Device::cpu());
    g_rank = comm->rank();
    if (mode == "hang") return run_hang(*comm);
    if (mode == "kill") return run_kill(*comm);

    // One scratch folder shared by the ranks (they share a file system, as a dump path must).
    Tensor id = Tensor::from_vector(std::vector<int64_t>{static_cast<int64_t>(::getpid())}, {1});
    comm->broadcast(id, 0);
    const std::string dump =
        (fs::temp_directory_path() / fmt::format("xlm-dp-check-{}", static_cast<int64_t>(id.item()))).string();
    if (comm->rank() == 0) fs::create_directories(dump);
    comm->barrier();

    check_overlapped_all_reduce(*comm);
    check_weight_hash(*comm);
    check_equals_big_batch(comm, dump, "sgd,lr=0.5", 1e-6);
    check_equals_big_batch(comm, dump, "adam,lr=0.01", 1e-4);
    check_equals_big_batch(comm, dump, "sgd,lr=0.5", 1e-6, 2);  // reduced on every 2nd backward only
    check_zero1(comm, dump);
    check_resume(comm, dump);
    check_mixed_precision_skip(comm, dump);
    if (comm->world_size() > 1) check_training_divergence(comm, dump);
    comm->barrier();
    if (comm->rank() == 0) fs::remove_all(dump);

    Tensor failures = Tensor::from_vector(std::vector<int64_t>{g_failures}, {1});
    comm->all_reduce(failures);
    const auto total = static_cast<int64_t>(failures.item());
    if (comm->rank() == 0) fmt::print("xlm_dp_check: {} ranks, {} failed checks\n", comm->world_size(), total);
    return total == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "rank {}: xlm_dp_check: {}\n", g_rank, e.what());
    return 2;
  }
}
