// `xlm bench train`: a training-step benchmark (tasks/bench/). --shape picks
// a preset; every model or batch flag, spelled as `xlm train` spells it,
// overrides the preset only when given, so `--shape enfr --batch_size 32`
// means "enfr with half the batch". The options are bound to a scratch
// config and copied over the preset in the callback, after CLI11 has said
// which ones were given. `bench` is a group: `xlm bench allreduce` sits
// beside it (the communicator's bandwidth, nccl-tests' definitions). Under a
// launcher with several ranks every rank runs the same command line and
// only rank 0 prints (the others' stdout goes nowhere; errors still reach
// stderr) and writes --json.
#include "core/atomic_file.h"
#include "core/launch_env.h"
#include "tasks/bench/allreduce_bench.h"
#include "tasks/bench/bench_communicator.h"
#include "tasks/bench/train_bench.h"
#include "tasks/pretrain/data_parallel.h"
#include "tasks/pretrain/train_config.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <vector>

namespace xlm::tools {

namespace {

// Copies a scratch field over the preset when its flag was given.
using Override = std::function<void(tasks::TrainBenchConfig& preset)>;

template <typename T>
void add_override(CLI::App* cmd, std::vector<Override>& overrides, const std::shared_ptr<tasks::TrainBenchConfig>& scratch,
                  const std::string& flag, T tasks::TrainBenchConfig::*field, const std::string& help) {
  CLI::Option* opt = cmd->add_option(flag, (*scratch).*field, help);
  overrides.push_back([opt, scratch, field](tasks::TrainBenchConfig& preset) {
    if (opt->count() > 0) preset.*field = (*scratch).*field;
  });
}

// Rank 0 of the launcher's job (or the only process) prints; the others are quiet.
bool is_rank0() { return parse_launch_env(process_env()).rank == 0; }

void write_json(const std::string& path, const nlohmann::json& j) {
  write_file_atomically(path, [&](std::ostream& os) { os << j.dump(2) << '\n'; });
}

void add_allreduce_command(CLI::App* bench) {
  CLI::App* cmd = bench->add_subcommand(
      "allreduce", "All-reduce bandwidth of the communicator (algbw, busbw as nccl-tests defines them), checked");
  auto config = std::make_shared<tasks::AllReduceBenchConfig>();
  auto json = std::make_shared<std::string>();
  cmd->add_option("--device", config->device, "cpu (MPI ranks) or cuda (NCCL; default when a GPU is visible)");
  cmd->add_option("--backend", config->backend,
                  "auto (the trainer's choice; one rank: no transport), or mpi / nccl, also with one rank")
      ->capture_default_str();
  cmd->add_option("--dtype", config->dtype, "f32, bf16 or f16 (bf16/f16: NCCL only)")->capture_default_str();
  cmd->add_option("--min_bytes", config->min_bytes, "smallest message per rank, bytes")->capture_default_str();
  cmd->add_option("--max_bytes", config->max_bytes, "largest message per rank, bytes")->capture_default_str();
  cmd->add_option("--factor", config->factor, "each size is the previous one times this")->capture_default_str();
  cmd->add_option("--iters", config->iters, "timed operations per size (the median is reported)")
      ->capture_default_str();
  cmd->add_option("--warmup", config->warmup, "untimed operations per size first")->capture_default_str();
  cmd->add_option("--op", config->op, "sum or mean")->capture_default_str();
  cmd->add_flag("--overlapped", config->overlapped,
                "reduce in buckets of --bucket_mb through start_all_reduce/finish_all_reduces, as the trainer");
  cmd->add_option("--bucket_mb", config->bucket_mb, "bucket size of --overlapped, MiB")->capture_default_str();
  cmd->add_option("--json", *json, "also write the table as JSON to this file (rank 0)");
  cmd->callback([config, json] {
    config->validate();
    std::optional<tasks::QuietStdout> quiet;
    if (!is_rank0()) quiet.emplace();
    Device device = Device::parse(tasks::resolve_device(config->device));
    const std::shared_ptr<Communicator> comm = tasks::make_bench_communicator(device, config->backend);
    const tasks::AllReduceBenchResult result = tasks::run_allreduce_bench(*config, *comm, &std::cout);
    if (!json->empty() && comm->rank() == 0) write_json(*json, tasks::allreduce_bench_json(result));
  });
}

}  // namespace

void add_bench_command(CLI::App& app) {
  CLI::App* bench = app.add_subcommand("bench", "Benchmarks of the engine");
  bench->require_subcommand(1);
  CLI::App* cmd = bench->add_subcommand(
      "train", "Time training steps (MLM/TLM on random tokens) and print tokens/s, ms/step, MFU, peak memory");
  auto shape = std::make_shared<std::string>("tiny");
  auto scratch = std::make_shared<tasks::TrainBenchConfig>();
  auto overrides = std::make_shared<std::vector<Override>>();
  auto& o = *overrides;
  using C = tasks::TrainBenchConfig;
  cmd->add_option("--shape", *shape, "preset: enfr, xnli15 or tiny (see docs/performance.md)")->capture_default_str();
  add_override(cmd, o, scratch, "--device", &C::device, "cpu or cuda (default: cuda when a GPU is visible)");
  add_override(cmd, o, scratch, "--precision", &C::precision, "fp32, bf16 or fp16 (default: the device's)");
  add_override(cmd, o, scratch, "--n_words", &C::n_words, "vocabulary size of the random data and the model");
  add_override(cmd, o, scratch, "--n_langs", &C::n_langs, "languages of the model");
  add_override(cmd, o, scratch, "--emb_dim", &C::emb_dim, "embedding and hidden size");
  add_override(cmd, o, scratch, "--n_layers", &C::n_layers, "number of Transformer layers");
  add_override(cmd, o, scratch, "--n_heads", &C::n_heads, "number of attention heads");
  add_override(cmd, o, scratch, "--dropout", &C::dropout, "dropout");
  add_override(cmd, o, scratch, "--attention_dropout", &C::attention_dropout, "dropout on the attention weights");
  add_override(cmd, o, scratch, "--gelu_activation", &C::gelu_activation, "GELU in the FFN (false: ReLU)");
  add_override(cmd, o, scratch, "--use_lang_emb", &C::use_lang_emb, "add language embeddings");
  add_override(cmd, o, scratch, "--batch_size", &C::batch_size, "streams (MLM) or sentence pairs (TLM) per step");
  add_override(cmd, o, scratch, "--bptt", &C::bptt, "tokens per stream (a TLM pair: two halves)");
  add_override(cmd, o, scratch, "--tlm", &C::tlm, "alternate MLM and TLM steps (needs 2+ languages)");
  add_override(cmd, o, scratch, "--word_pred", &C::word_pred, "fraction of words to predict");
  add_override(cmd, o, scratch, "--word_mask_keep_rand", &C::word_mask_keep_rand,
               "probabilities of masking, keeping, randomizing a predicted word");
  add_override(cmd, o, scratch, "--optimizer", &C::optimizer, "optimizer and schedule, XLM syntax");
  add_override(cmd, o, scratch, "--clip_grad_norm", &C::clip_grad_norm, "clip gradients to this norm (0 = off)");
  add_override(cmd, o, scratch, "--steps", &C::steps, "timed steps (default 10)");
  add_override(cmd, o, scratch, "--warmup", &C::warmup, "untimed steps first (default 3)");
  add_override(cmd, o, scratch, "--seed", &C::seed, "seed of the model, the data and the masks");
  add_override(cmd, o, scratch, "--dump_start", &C::dump_start,
               "write the initial model and the batches to this directory (safetensors), for the peer");
  add_override(cmd, o, scratch, "--profile", &C::profile,
               "after the timed steps, profile this many more and print where a step's time goes");
  CLI::Option* overlap = cmd->add_flag(
      "--overlap", scratch->overlap,
      "several ranks: also time the steps without the gradient reduction and the reduction alone, and print the "
      "overlap");
  o.push_back([overlap, scratch](C& preset) {
    if (overlap->count() > 0) preset.overlap = scratch->overlap;
  });
  add_override(cmd, o, scratch, "--bucket_mb", &C::bucket_mb, "gradient bucket size with --overlap, MiB (default 25)");
  auto json = std::make_shared<std::string>();
  cmd->add_option("--json", *json, "also write every figure as JSON to this file (rank 0)");
  cmd->callback([shape, overrides, json] {
    tasks::TrainBenchConfig config = tasks::train_bench_preset(*shape);
    for (const Override& apply : *overrides) apply(config);
    std::optional<tasks::QuietStdout> quiet;
    const bool rank0 = is_rank0();
    if (!rank0) quiet.emplace();
    const tasks::TrainBenchResult result = tasks::run_train_bench(config, &std::cout);
    std::cout << fmt::format("{} steps in {:.3f} s ({:.3f} s of CPU time) on {}; {:.4g} FLOP/step "
                             "(docs/performance.md), peak {:.4g} FLOP/s, last loss {:.4f}\n",
                             result.steps, result.seconds, result.cpu_seconds, result.device_name,
                             result.flops_per_step, result.peak_flops, result.last_loss)
              << tasks::format_train_bench(result) << tasks::format_overlap(result)
              << tasks::format_profile(result) << std::flush;
    if (!json->empty() && rank0) write_json(*json, tasks::train_bench_json(config, result));
  });
  add_allreduce_command(bench);
}

}  // namespace xlm::tools
