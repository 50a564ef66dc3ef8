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
// precision: an overflow on one rank skips the step on all of them, with and
// without ZeRO-1. Evaluation is sharded and must give the one-rank figures;
// a checkpoint save that fails on rank 0 stops every rank at once.
#include "core/communicator.h"
#include "core/error.h"
#include "core/host_reads.h"
#include "pretrain_fixture.h"
#include "tasks/pretrain/comm_watchdog.h"
#include "tasks/pretrain/trainer.h"
#include "tasks/pretrain/weight_hash.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
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

// Both trainers' master weights in mixed precision: the plain path's replicas
// or ZeRO-1's slices gathered (a collective).
nn::NamedTensors masters_of(tasks::Trainer& t) {
  if (t.data_parallel().zero1()) return t.data_parallel().zero1_optimizer().gather_masters();
  return t.precision().optimizer_params();
}

nlohmann::json optimizer_json(tasks::Trainer& t) {
  return t.data_parallel().zero1() ? t.data_parallel().zero1_optimizer().state_json() : t.optimizer().state_json();
}

tasks::TrainConfig tiny_mixed(const std::string& dump, const std::string& id, int64_t updates, int64_t world) {
  auto c = tiny_clm(dump, id, 2, updates, world);
  c.precision_test = "f32_f64";  // f32 model, f64 masters, dynamic loss scaling: fp16's machinery on the CPU
  c.init_loss_scale = 1024;
  c.loss_scale_window = 3;
  return c;
}

// ZeRO-1 in mixed precision (masters sharded with the moments) equals plain
// data parallelism in the same mode after k steps, and an inf injected on the
// last rank alone is skipped identically: same scale, same counters, same
// number of updates, same masters and moments.
void check_zero1_mixed(const std::shared_ptr<Communicator>& comm, const std::string& dump) {
  const int w = comm->world_size();
  auto plain_config = tiny_mixed(dump, "mixed-plain", 5, w);
  auto zero_config = tiny_mixed(dump, "mixed-zero1", 5, w);
  zero_config.zero1 = true;
  tasks::Trainer plain(plain_config, comm), zero(zero_config, comm);
  if (comm->rank() == w - 1) {
    plain.precision().inject_inf_at(2);
    zero.precision().inject_inf_at(2);
  }
  plain.run();
  zero.run();
  const double diff = max_difference(plain.trained_parameters(), zero.trained_parameters());
  expect(diff <= 1e-6, fmt::format("mixed ZeRO-1 vs plain: parameters differ by {}", diff));
  const double master_diff = max_difference(masters_of(plain), masters_of(zero));
  expect(master_diff <= 1e-6, fmt::format("mixed ZeRO-1 vs plain: master weights differ by {}", master_diff));
  const nn::LossScaler &a = plain.precision().scaler(), &b = zero.precision().scaler();
  expect(b.skipped_steps() == 1 && b.overflows() == 1 && a.skipped_steps() == 1,
         fmt::format("ZeRO-1 skipped {} (overflows {}), plain skipped {}; want 1", b.skipped_steps(), b.overflows(),
                     a.skipped_steps()));
  expect(a.scale() == b.scale() && a.growth_tracker() == b.growth_tracker() && b.scale() == 1024,
         fmt::format("scales {} and {} (trackers {} and {}), want 1024", a.scale(), b.scale(), a.growth_tracker(),
                     b.growth_tracker()));
  const int64_t updates = zero.data_parallel().zero1_optimizer().n_updates();
  expect(updates == 4 && plain.optimizer().n_updates() == 4, fmt::format("{} ZeRO-1 updates, want 4", updates));
  expect(optimizer_json(plain) == optimizer_json(zero),
         fmt::format("optimizer counters differ: {} vs {}", optimizer_json(plain).dump(), optimizer_json(zero).dump()));
  const nn::NamedTensors zero_moments = zero.data_parallel().zero1_optimizer().state();
  const double moment_diff = max_difference(plain.optimizer().state(), zero_moments);
  expect(moment_diff <= 1e-6, fmt::format("mixed ZeRO-1 vs plain: Adam moments differ by {}", moment_diff));
  if (comm->rank() == 0)
    fmt::print("dp_check: mixed-precision ZeRO-1 vs plain on {} ranks (inf injected at step 2 on rank {}): max |diff| "
               "parameters {:.3g}, masters {:.3g}, moments {:.3g}\n",
               w, w - 1, diff, master_diff, moment_diff);
}

// A ZeRO-1 mixed-precision run stopped after an epoch and resumed by all
// ranks continues exactly (the masters' and moments' shards come back from
// the checkpoint's master.safetensors and optimizer.safetensors).
void check_zero1_mixed_resume(const std::shared_ptr<Communicator>& comm, const std::string& dump) {
  auto straight_config = tiny_mixed(dump, "zm-straight", 3, comm->world_size());
  straight_config.zero1 = true;
  straight_config.max_epoch = 2;
  straight_config.loss_scale_window = 2;  // the scale grows within the run, and must resume grown
  tasks::Trainer straight(straight_config, comm);
  straight.run();
  auto split_config = straight_config;
  split_config.exp_id = "zm-split";
  split_config.max_epoch = 1;
  { tasks::Trainer first(split_config, comm); first.run(); }
  split_config.max_epoch = 2;
  tasks::Trainer resumed(split_config, comm);
  expect(resumed.epoch() == 1, fmt::format("resumed at epoch {}", resumed.epoch()));
  resumed.run();
  expect(max_difference(straight.trained_parameters(), resumed.trained_parameters()) == 0.0 &&
             max_difference(masters_of(straight), masters_of(resumed)) == 0.0,
         "a resumed mixed-precision ZeRO-1 run differs from the uninterrupted one");
  expect(straight.precision().scaler().scale() == resumed.precision().scaler().scale() &&
             straight.precision().scaler().scale() > straight_config.init_loss_scale,
         fmt::format("loss scales {} (straight) and {} (resumed)", straight.precision().scaler().scale(),
                     resumed.precision().scaler().scale()));
}

// Parameters without a gradient in an update (the decoder during the MLM
// step of an encoder-decoder run, updated after every step) are skipped by
// both paths alike: same parameters, same per-parameter step counts.
// A ZeRO-1 MLM step without a log line makes no blocking device-to-host
// transfer (docs/performance.md): two runs 3 updates apart, each step's loss
// read once at the epoch end. The count is per rank (core/host_reads.h).
void check_zero1_transfers(const std::shared_ptr<Communicator>& comm, const std::string& dump) {
  const int w = comm->world_size();
  const auto transfers = [&](int64_t updates) {
    auto c = tiny_clm(dump, fmt::format("zero1-transfers-{}", updates), 2, updates, w);
    c.clm_steps = "";
    c.mlm_steps = "en";
    c.zero1 = true;
    c.check_weights_every = 0;  // the weight hash reads its hashes back on purpose
    tasks::Trainer t(c, comm);
    const int64_t before = host_transfer_count();
    t.run();
    return host_transfer_count() - before;
  };
  const int64_t short_run = transfers(2);
  const int64_t long_run = transfers(5);
  const int64_t per_step = (long_run - short_run) / 3 - 1;
  expect(per_step == 0, fmt::format("rank {}: a ZeRO-1 step made {} blocking transfers ({} and {} in the runs)",
                                    comm->rank(), per_step, short_run, long_run));
  if (comm->rank() == 0)
    fmt::print("dp_check: ZeRO-1 on {} ranks: {} blocking transfers per step ({} and {} in runs 3 steps apart)\n", w,
               per_step, short_run, long_run);
}

void check_zero1_no_gradient(const std::shared_ptr<Communicator>& comm, const std::string& dump) {
  const int w = comm->world_size();
  auto plain_config = tiny_clm(dump, "nograd-plain", 2, 4, w);
  plain_config.clm_steps = "";
  plain_config.mlm_steps = "en";
  plain_config.encoder_only = false;
  plain_config.mt_steps = "en-fr";
  auto zero_config = plain_config;
  zero_config.exp_id = "nograd-zero1";
  zero_config.zero1 = true;
  tasks::Trainer plain(plain_config, comm), zero(zero_config, comm);
  plain.run();
  zero.run();
  const nlohmann::json steps = optimizer_json(plain).at("param_steps");
  const int64_t encoder_steps = steps.at("encoder.embeddings.weight").get<int64_t>();
  const int64_t decoder_steps = steps.at("decoder.embeddings.weight").get<int64_t>();
  expect(decoder_steps < encoder_steps,
         fmt::format("the decoder took {} steps, the encoder {}: no update left the decoder without a gradient",
                     decoder_steps, encoder_steps));
  expect(optimizer_json(plain) == optimizer_json(zero),
         fmt::format("per-parameter step counts differ: {} vs {}", optimizer_json(plain).dump(),
                     optimizer_json(zero).dump()));
  const double diff = max_difference(plain.trained_parameters(), zero.trained_parameters());
  expect(diff <= 1e-6, fmt::format("no-gradient parameters: ZeRO-1 vs plain differ by {}", diff));
  if (comm->rank() == 0)
    fmt::print("dp_check: parameters without a gradient (decoder {} of {} updates), ZeRO-1 vs plain on {} ranks: "
               "max |diff| {:.3g}\n",
               decoder_steps, encoder_steps, w, diff);
}

// Sharded evaluation (batch i on rank i mod N, sums all-reduced, BLEU
// hypotheses gathered in order) gives every rank the one-rank scores: LM
// steps (CLM, MLM, TLM) and an encoder-decoder's MT perplexity, accuracy, BLEU.
void check_sharded_evaluation(const std::shared_ptr<Communicator>& comm, const std::string& dump) {
  const int w = comm->world_size(), r = comm->rank();
  auto lm = tiny_clm(dump, "eval-lm", 2, 2, w);
  lm.mlm_steps = "en,en-fr";
  auto mt = tiny_clm(dump, "eval-mt", 2, 2, w);
  mt.clm_steps = "";
  mt.mlm_steps = "en";
  mt.encoder_only = false;
  mt.mt_steps = "en-fr";
  mt.eval_bleu = true;
  for (const auto* config : {&lm, &mt}) {
    tasks::Trainer sharded(*config, comm);
    sharded.run();  // a trained model, so that BLEU is not 0 for every order of the hypotheses
    const tasks::Scores mine = sharded.evaluate();
    // The same weights on one rank (every rank checks the figures it got).
    auto single_config = *config;
    single_config.exp_id = fmt::format("{}-single-{}", config->exp_id, r);
    tasks::Trainer single(single_config, make_single_communicator(Device::cpu()));
    for (size_t i = 0; i < single.trained_parameters().size(); ++i) {
      const Tensor& src = sharded.trained_parameters()[i].second;
      Tensor dst = single.trained_parameters()[i].second;
      std::copy(src.data<float>(), src.data<float>() + src.numel(), dst.data<float>());
    }
    const tasks::Scores want = single.evaluate();
    expect(mine.size() == want.size() && !want.empty(),
           fmt::format("{}: {} scores sharded, {} on one rank", config->exp_id, mine.size(), want.size()));
    double worst = 0;
    for (const auto& [name, value] : want) {
      auto it = mine.find(name);
      expect(it != mine.end(), fmt::format("{}: no sharded {}", config->exp_id, name));
      if (it == mine.end()) continue;
      const double rel = std::abs(it->second - value) / std::max(1.0, std::abs(value));
      worst = std::max(worst, rel);
      expect(rel <= 1e-6, fmt::format("{}: {} is {} sharded over {} ranks, {} on one rank", config->exp_id, name,
                                      it->second, w, value));
    }
    if (r == 0) {
      const auto bleu = want.find("valid_en-fr_mt_bleu");
      fmt::print("dp_check: sharded evaluation ({}) on {} ranks vs one rank: {} scores, max relative diff {:.3g}{}\n",
                 config->exp_id, w, want.size(), worst,
                 bleu == want.end() ? std::string() : fmt::format(", valid BLEU {:.3f}", bleu->second));
    }
  }
}

// A file-size limit (ulimit -f) for this process while it lives: writes past
// it fail with EFBIG (SIGXFSZ ignored, as xlm's main does).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    previous_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit lowered = saved_;
    lowered.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &lowered);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, previous_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
  void (*previous_)(int) = nullptr;
};

// Rank 0's checkpoint save fails (EFBIG): rank 0 reports its own error, and
// every other rank stops at once (not after --comm_timeout 60 s) with a line
// naming rank 0 and the cause.
void check_rank0_save_failure(const std::shared_ptr<Communicator>& comm, const std::string& dump) {
  const int w = comm->world_size(), r = comm->rank();
  tasks::Trainer trainer(tiny_clm(dump, "save-fails", 2, 2, w), comm);
  std::optional<FileSizeLimit> limit;
  if (r == 0) limit.emplace(16 * 1024);  // the model file alone is larger
  const auto start = std::chrono::steady_clock::now();
  std::string message;
  try {
    trainer.run();
  } catch (const Error& e) {
    message = e.what();
  }
  limit.reset();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const bool names_cause = message.find("file-size limit") != std::string::npos;
  const bool names_rank0 =
      message.find(fmt::format("rank 0 of {} failed while saving the checkpoint of iteration 2", w)) != std::string::npos;
  expect(names_cause && (r == 0 || names_rank0), fmt::format("rank {} after rank 0's failed save: \"{}\"", r, message));
  expect(seconds < 20, fmt::format("rank {} took {:.1f} s to learn of rank 0's failed save", r, seconds));
  if (r == w - 1) fmt::print(stderr, "dp_check: rank {} stopped {:.2f} s into the run: {}\n", r, seconds, message);
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
    // Adam at lr 0.01 turns last-bit differences into up to ~1e-4 (measured 0.67e-4 with
    // libm's expf in the attention softmax, 1.07e-4 with core/vec_math.h's; both are rounding
    // noise). The gradient averaging itself is held to 1e-6 by the SGD checks around it.
    check_equals_big_batch(comm, dump, "adam,lr=0.01", 3e-4);
    check_equals_big_batch(comm, dump, "sgd,lr=0.5", 1e-6, 2);  // reduced on every 2nd backward only
    check_zero1(comm, dump);
    check_resume(comm, dump);
    check_mixed_precision_skip(comm, dump);
    check_zero1_mixed(comm, dump);
    check_zero1_mixed_resume(comm, dump);
    check_zero1_no_gradient(comm, dump);
    check_zero1_transfers(comm, dump);
    check_sharded_evaluation(comm, dump);
    check_rank0_save_failure(comm, dump);
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
