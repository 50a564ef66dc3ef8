// The trainer's step without host synchronisation (issue 9): the batch
// prefetch thread changes nothing (parameters, losses and metrics.jsonl bit
// for bit with it off), losses read lazily give the log lines they gave when
// read every step (a log line every 3 iterations averages exactly the
// per-iteration ones), and a step that writes no log line makes no
// device-to-host scalar read in fp32 or in the f32_f64 test mode without loss
// scaling, and exactly one (the finite flag) with dynamic loss scaling; nor
// any blocking transfer at all (lengths, indices and norms stay on the device).
// The same runs on cpu:1, the CPU stand-in accelerator (core/device.h), where
// the batch really is moved to another device and every copy back counts.
#include "core/host_reads.h"
#include "mt_fixture.h"
#include "pretrain_fixture.h"
#include "run_helpers.h"
#include "support.h"
#include "tasks/pretrain/trainer.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

using xlm::test::train_records;

xlm::tasks::TrainConfig sync_config(const std::string& name) {
  xlm::tasks::TrainConfig c;
  c.dump_path = xlm::test::scratch_dir(name);
  c.exp_name = "sync";
  c.exp_id = "run";
  c.data_path = xlm::test::pretrain_data_dir();
  c.lgs = "en-fr";
  c.clm_steps = "fr";
  c.mlm_steps = "en,en-fr";  // three steps an iteration: prefetch within and across iterations
  c.emb_dim = 32;
  c.n_layers = 1;
  c.n_heads = 4;
  c.bptt = 32;
  c.batch_size = 4;
  c.epoch_size = 4 * 3 * 3;  // 3 iterations an epoch
  c.max_epoch = 2;           // the prefetch must stop at the epoch end (checkpoint, evaluation)
  c.optimizer = "adam_inverse_sqrt,lr=0.005,warmup_updates=20";
  c.clip_grad_norm = 0.5;  // small enough to clip
  c.device = xlm::test::task_device();
  return c;
}

std::vector<std::vector<double>> parameter_values(xlm::tasks::Trainer& trainer) {
  std::vector<std::vector<double>> out;
  for (const auto& [name, p] : trainer.trained_parameters()) out.push_back(p.to_doubles());
  return out;
}

struct Counts {
  int64_t reads = 0;      // scalar reads (item, flags)
  int64_t transfers = 0;  // every blocking device-to-host transfer
};

// Host reads and transfers of a whole run with `epoch_size` sentences (one epoch, no log line inside it).
Counts run_counts(xlm::tasks::TrainConfig c, int64_t epoch_size) {
  c.mlm_steps = "en";
  c.clm_steps = "";
  c.epoch_size = epoch_size;
  c.max_epoch = 1;
  c.log_every = 1000;
  c.exp_id = "run-" + std::to_string(epoch_size);  // a fresh run, not a resume of the other
  xlm::tasks::Trainer trainer(c);
  const int64_t reads = xlm::host_read_count();
  const int64_t transfers = xlm::host_transfer_count();
  trainer.run();
  return {xlm::host_read_count() - reads, xlm::host_transfer_count() - transfers};
}

int64_t run_reads(const xlm::tasks::TrainConfig& c, int64_t epoch_size) { return run_counts(c, epoch_size).reads; }

}  // namespace

TEST_CASE("xlm train: the batch prefetch thread changes nothing", "[tasks][train]") {
  auto on_config = sync_config("sync-prefetch-on");
  on_config.log_every = 2;
  auto off_config = sync_config("sync-prefetch-off");
  off_config.log_every = 2;
  off_config.prefetch_batches = false;
  xlm::tasks::Trainer on(on_config), off(off_config);
  on.run();
  off.run();
  CHECK(on.n_total_iter() == 6);
  CHECK(on.loss_history() == off.loss_history());
  CHECK(on.loss_history().at("mlm_en-fr").size() == 6);
  CHECK(parameter_values(on) == parameter_values(off));
  const auto records = train_records(on.run_dir());
  CHECK(records.size() == 3);
  CHECK(records == train_records(off.run_dir()));
}

TEST_CASE("xlm train: losses and norms read at the log line are those of every step", "[tasks][train]") {
  auto every_config = sync_config("sync-log-1");
  every_config.log_every = 1;
  every_config.max_epoch = 1;
  every_config.epoch_size = 4 * 3 * 6;  // 6 iterations
  auto third_config = every_config;
  third_config.dump_path = xlm::test::scratch_dir("sync-log-3");
  third_config.log_every = 3;
  xlm::tasks::Trainer every(every_config), third(third_config);
  every.run();
  third.run();
  const auto fine = train_records(every.run_dir());
  const auto coarse = train_records(third.run_dir());
  REQUIRE(fine.size() == 6);
  REQUIRE(coarse.size() == 2);
  for (size_t k = 0; k < coarse.size(); ++k) {
    INFO("log line " << k);
    const auto& last = fine[3 * k + 2];
    CHECK(coarse[k].at("step") == last.at("step"));
    CHECK(coarse[k].at("gnorm").get<double>() == last.at("gnorm").get<double>());
    CHECK(coarse[k].at("lr").get<double>() == last.at("lr").get<double>());
    CHECK(coarse[k].at("gnorm").get<double>() > 0.5);  // the norm before clipping
    for (const char* name : {"mlm_en", "mlm_en-fr", "clm_fr"}) {
      // Each fine record holds one float loss (in double); the coarse one their mean, summed in the same order.
      double sum = 0;
      for (size_t i = 3 * k; i < 3 * k + 3; ++i) sum += fine[i].at(name).get<double>();
      CHECK(coarse[k].at(name).get<double>() == sum / 3.0);
    }
  }
  CHECK(every.loss_history() == third.loss_history());
}

TEST_CASE("xlm train: a step without a log line reads nothing back, fp16 scaling reads its flag once",
          "[tasks][train][precision]") {
  // Two runs that differ only by 3 steps: the same evaluation, 3 more steps,
  // and each step's loss read once at the epoch end.
  const auto per_step = [](xlm::tasks::TrainConfig c) {
    const int64_t short_run = run_reads(c, 4 * 2);
    const int64_t long_run = run_reads(c, 4 * 5);
    return (long_run - short_run) / 3 - 1;  // minus the loss read at the epoch end
  };
  auto fp32 = sync_config("sync-reads-fp32");
  CHECK(per_step(fp32) == 0);
  auto unscaled = sync_config("sync-reads-f32_f64-off");
  unscaled.precision_test = "f32_f64";
  unscaled.loss_scale = "off";
  CHECK(per_step(unscaled) == 0);
  auto scaled = sync_config("sync-reads-f32_f64-dynamic");
  scaled.precision_test = "f32_f64";
  CHECK(per_step(scaled) == 1);
}

TEST_CASE("xlm train: a step without a log line makes no blocking device-to-host transfer",
          "[tasks][train][precision]") {
  // As above, for every transfer (bulk copies of lengths and indices, norms)
  // rather than scalar reads only: two runs 3 steps apart, minus the loss each
  // step has read (one transfer each) at the epoch end.
  const auto per_step = [](xlm::tasks::TrainConfig c) {
    const Counts short_run = run_counts(c, 4 * 2);
    const Counts long_run = run_counts(c, 4 * 5);
    return (long_run.transfers - short_run.transfers) / 3 - 1;
  };
  auto fp32 = sync_config("sync-transfers-fp32");
  CHECK(per_step(fp32) == 0);
  auto unscaled = sync_config("sync-transfers-f32_f64-off");
  unscaled.precision_test = "f32_f64";
  unscaled.loss_scale = "off";
  CHECK(per_step(unscaled) == 0);
  auto scaled = sync_config("sync-transfers-f32_f64-dynamic");
  scaled.precision_test = "f32_f64";
  CHECK(per_step(scaled) == 1);  // the finite flag, as a GPU copies it back
}

TEST_CASE("xlm train on the stand-in device cpu:1: no blocking transfer in a step, and the losses of --device cpu",
          "[tasks][train][precision]") {
  // On cpu:1 a tensor left on the host and combined with the model's throws,
  // and every copy back to the host counts: the placement of a --device cuda
  // run checked without a GPU. (Found: the trainer moved each batch to the
  // device before lm_loss, whose target scan then read them back.)
  const auto per_step = [](xlm::tasks::TrainConfig c) {
    const Counts short_run = run_counts(c, 4 * 2);
    const Counts long_run = run_counts(c, 4 * 5);
    return Counts{(long_run.reads - short_run.reads) / 3 - 1, (long_run.transfers - short_run.transfers) / 3 - 1};
  };
  auto fp32 = sync_config("sync-standin-fp32");
  fp32.device = "cpu:1";
  const Counts plain = per_step(fp32);
  CHECK(plain.reads == 0);
  CHECK(plain.transfers == 0);
  auto scaled = sync_config("sync-standin-f32_f64-dynamic");
  scaled.device = "cpu:1";
  scaled.precision_test = "f32_f64";
  const Counts guarded = per_step(scaled);
  CHECK(guarded.reads == 1);
  CHECK(guarded.transfers == 1);  // the finite flag

  auto host_config = sync_config("sync-standin-host");
  auto standin_config = sync_config("sync-standin-device");
  standin_config.device = "cpu:1";
  xlm::tasks::Trainer host(host_config), standin(standin_config);
  host.run();
  standin.run();
  CHECK(host.loss_history() == standin.loss_history());
  CHECK(parameter_values(host) == parameter_values(standin));
  CHECK(train_records(host.run_dir()).size() == train_records(standin.run_dir()).size());
}

TEST_CASE("xlm train on cpu:1: an MT or denoising step makes no blocking transfer, back-translation reads its words",
          "[tasks][train][mt]") {
  // The encoder-decoder steps on the stand-in device: two runs 3 steps apart,
  // minus the loss each step has read at the epoch end. The MT and
  // auto-encoder batches are built on the host (host_values, uncounted there),
  // as the LM batches are; back-translation copies each generated position's
  // candidates back by design (decode_topk's values and ids, one transfer).
  const auto per_step = [](const std::string& tag, const char* mt, const char* ae, const char* bt) {
    const auto counts = [&](int64_t sentences) {
      xlm::tasks::TrainConfig c =
          xlm::test::mt_train_config(xlm::test::scratch_dir("sync-encdec-" + tag + "-" + std::to_string(sentences)));
      c.batch_size = 2;
      c.device = "cpu:1";
      c.max_epoch = 1;
      c.epoch_size = sentences;
      c.mt_steps = mt;
      c.ae_steps = ae;
      c.bt_steps = bt;
      if (*ae != '\0') {
        c.word_shuffle = 3;
        c.word_dropout = 0.1;
        c.word_blank = 0.1;
      }
      xlm::tasks::Trainer trainer(c);
      const int64_t reads = xlm::host_read_count(), transfers = xlm::host_transfer_count();
      trainer.run();
      return Counts{xlm::host_read_count() - reads, xlm::host_transfer_count() - transfers};
    };
    const Counts short_run = counts(2 * 2), long_run = counts(2 * 5);
    return Counts{(long_run.reads - short_run.reads) / 3 - 1, (long_run.transfers - short_run.transfers) / 3 - 1};
  };
  const Counts mt = per_step("mt", "en-fr", "", "");
  CHECK(mt.reads == 0);
  CHECK(mt.transfers == 0);
  const Counts ae = per_step("ae", "", "en", "");
  CHECK(ae.reads == 0);
  CHECK(ae.transfers == 0);
  const Counts bt = per_step("bt", "", "", "fr-en-fr");
  CHECK(bt.reads == 0);
  CHECK(bt.transfers >= 1);  // at least one generated position: its values and ids together
}
