// The data-parallel parts that one process can check (the multi-rank
// behaviour is tests/mpi/dp_check.cpp under mpirun): the watchdog's
// timeout report, the bucket layout and the grad-ready driven start of the
// gradient reducer, ZeRO-1 against the plain optimizer on one rank (bit for
// bit: the same arithmetic in the same order), its checkpoint layout, and
// the new flags' validation, and the order of the fp16 agreement's waits.
#include "core/autograd.h"
#include "core/grad_ready.h"
#include "core/communicator.h"
#include "core/error.h"
#include "support.h"
#include "tasks/pretrain/comm_watchdog.h"
#include "tasks/pretrain/data_parallel.h"
#include "tasks/pretrain/grad_reducer.h"
#include "tasks/pretrain/train_config.h"
#include "tasks/pretrain/weight_hash.h"
#include "tasks/pretrain/zero1.h"
#include "nn/grad_clip.h"
#include "nn/loss_scaler.h"
#include "nn/master_weights.h"
#include "nn/optimizer.h"

#include <atomic>
#include <chrono>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <vector>

using namespace xlm;

namespace {

Tensor param(int64_t n, float start) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = start + 0.01f * static_cast<float>(i % 17);
  Tensor t = Tensor::from_vector(v, {n});
  t.set_requires_grad(true);
  return t;
}

// A scalar whose backward hands params[i] the gradient (i + 1) * 0.5, or none where skip[i].
Tensor combine(const nn::NamedTensors& params, std::vector<bool> skip) {
  Tensor y = Tensor::zeros({1}, DType::f32);
  std::vector<Tensor> inputs;
  for (const auto& [name, p] : params) inputs.push_back(p);
  autograd::record(y, "combine", inputs, [inputs, skip](const Tensor&) {
    std::vector<Tensor> grads;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const double value = 0.5 * static_cast<double>(i + 1);
      grads.push_back(skip[i] ? Tensor() : Tensor::full(inputs[i].shape(), value, DType::f32));
    }
    return grads;
  });
  return y;
}

// Two ranks seen from rank 0: every collective is the identity, and every
// call (including the watchdog's waits) is logged in order.
class RecordingCommunicator final : public Communicator {
 public:
  explicit RecordingCommunicator(std::vector<std::string>& log) : Communicator(0, 2, 0, Device::cpu()), log_(log) {}
  const char* backend() const override { return "recording"; }
  std::string wait_idle(double) override {
    log_.push_back("wait_idle");
    return "";
  }

 protected:
  void do_all_reduce(Tensor&, ReduceOp) override { log_.push_back("all_reduce"); }
  void do_reduce_scatter(const Tensor&, const Tensor&, ReduceOp) override { log_.push_back("reduce_scatter"); }
  void do_all_gather(const Tensor&, const Tensor&) override { log_.push_back("all_gather"); }
  void do_broadcast(Tensor&, int) override { log_.push_back("broadcast"); }
  void do_barrier() override { log_.push_back("barrier"); }
  bool can_reduce(DType) const override { return true; }

 private:
  std::vector<std::string>& log_;
};

}  // namespace

TEST_CASE("the fp16 agreement waits for the gradient collectives under the watchdog before the local check reads",
          "[tasks][dp]") {
  // On a GPU the local check reads a device flag, a read that waits for the
  // gradient all-reduce just enqueued: that wait must be the watchdog's
  // bounded drain (wait_idle), never the read itself.
  std::vector<std::string> log;
  tasks::DataParallel dp(std::make_shared<RecordingCommunicator>(log), tasks::DataParallelOptions{});
  CHECK(dp.all_ranks_finite([&] {
    log.push_back("local check");
    return true;
  }));
  CHECK(log == std::vector<std::string>{"wait_idle", "local check", "all_reduce"});
  log.clear();
  CHECK_FALSE(dp.all_ranks_finite([&] {
    log.push_back("local check");
    return false;  // this rank overflowed: the (identity) max over the ranks keeps it
  }));
  CHECK(log == std::vector<std::string>{"wait_idle", "local check", "all_reduce"});
}

TEST_CASE("comm watchdog reports a wait that outlives the timeout, once", "[tasks][dp]") {
  auto comm = make_single_communicator(Device::cpu());
  std::atomic<int> calls{0};
  std::string message;
  tasks::CommWatchdog dog(*comm, 0.2, [&](const std::string& m) {
    message = m;
    ++calls;
  });
  {
    tasks::CommWatchdog::Scope quick(dog, "a quick wait");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(calls == 0);  // disarmed in time
  {
    tasks::CommWatchdog::Scope slow(dog, "a slow wait");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  REQUIRE(calls == 1);
  CHECK(message == "rank 0 of 1 (single): a slow wait did not finish within --comm_timeout 0.2 s (a peer rank died, "
                   "hangs or is far slower); stopping");
  dog.drain("drain");  // the single communicator has nothing in flight
  CHECK(calls == 1);
}

TEST_CASE("gradient buckets: reverse order, size cap, started from the grad-ready hook", "[tasks][dp]") {
  auto comm = make_single_communicator(Device::cpu());
  tasks::CommWatchdog dog(*comm, 0);
  nn::NamedTensors params{{"a", param(1000, 1)}, {"b", param(1000, 2)}, {"c", param(10, 3)}};
  // 4040 bytes of c + b fit in 0.0048 MB (5033 bytes); a opens a second bucket.
  tasks::GradReducer reducer(*comm, dog, params, 0.0048);
  REQUIRE(reducer.buckets().size() == 2);
  CHECK(reducer.buckets()[0].params == std::vector<size_t>{2, 1});
  CHECK(reducer.buckets()[0].offsets == std::vector<int64_t>{0, 10});
  CHECK(reducer.buckets()[1].params == std::vector<size_t>{0});
  CHECK(reducer.buckets()[0].flat.numel() == 1010);

  {
    auto hook = reducer.hook();
    combine(params, {false, false, false}).backward();
  }
  reducer.finish();
  CHECK(reducer.started_during_backward() == 2);
  CHECK(params[0].second.grad().to_vector<float>() == std::vector<float>(1000, 0.5f));  // mean over one rank
  CHECK(params[2].second.grad().to_vector<float>() == std::vector<float>(10, 1.5f));

  // "a" gets no gradient in this pass: its bucket starts in finish() and it stays without one.
  for (auto& [name, p] : params) p.zero_grad();
  {
    auto hook = reducer.hook();
    combine(params, {true, false, false}).backward();
  }
  reducer.finish();
  CHECK(reducer.started_during_backward() == 1);
  CHECK_FALSE(params[0].second.grad().defined());
  CHECK(params[1].second.grad().to_vector<float>() == std::vector<float>(1000, 1.0f));
  XLM_CHECK_THROWS((tasks::GradReducer(*comm, dog, params, 0)), ConfigError, "--bucket_mb");
}

TEST_CASE("ZeRO-1 on one rank is the plain optimizer bit for bit and keeps its checkpoint layout", "[tasks][dp]") {
  auto comm = make_single_communicator(Device::cpu());
  tasks::CommWatchdog dog(*comm, 0);
  nn::NamedTensors plain{{"enc.w", param(7, 1)}, {"dec.w", param(5, -1)}};
  nn::NamedTensors sharded{{"enc.w", param(7, 1)}, {"dec.w", param(5, -1)}};
  const auto spec = nn::parse_optimizer_spec("adam,lr=0.1,weight_decay=0.01");
  nn::Optimizer reference(spec, plain);
  tasks::Zero1Optimizer zero(*comm, dog, spec, sharded, {0, 1});
  CHECK(zero.shard_size() == 12);
  for (int step = 0; step < 3; ++step) {
    for (auto* set : {&plain, &sharded})
      for (size_t i = 0; i < set->size(); ++i)
        (*set)[i].second.set_grad(Tensor::full((*set)[i].second.shape(), (step + 1.0) * (i + 1.0), DType::f32));
    const double enc = nn::clip_grad_norm({plain[0]}, 2.0), dec = nn::clip_grad_norm({plain[1]}, 2.0);
    reference.step();
    reference.zero_grad();
    const std::vector<double> norms = zero.step(2.0);
    zero.zero_grad();
    CHECK(norms == std::vector<double>{enc, dec});
    for (size_t i = 0; i < plain.size(); ++i)
      CHECK(plain[i].second.to_vector<float>() == sharded[i].second.to_vector<float>());
  }
  CHECK(zero.state_json() == reference.state_json());
  const nn::NamedTensors state = zero.state();
  const nn::NamedTensors want = reference.state();
  REQUIRE(state.size() == want.size());
  std::map<std::string, Tensor> saved;
  for (size_t i = 0; i < state.size(); ++i) {
    CHECK(state[i].first == want[i].first);
    CHECK(state[i].second.to_vector<float>() == want[i].second.to_vector<float>());
    saved[state[i].first] = state[i].second.clone();
  }
  // A plain checkpoint loads into ZeRO-1 and continues identically.
  nn::NamedTensors again{{"enc.w", sharded[0].second.clone()}, {"dec.w", sharded[1].second.clone()}};
  for (auto& [name, p] : again) p.set_requires_grad(true);
  tasks::Zero1Optimizer resumed(*comm, dog, spec, again, {0, 1});
  resumed.load_state(saved, reference.state_json());
  CHECK(resumed.state_json() == reference.state_json());
  for (auto* set : {&sharded, &again})
    for (auto& [name, p] : *set) p.set_grad(Tensor::full(p.shape(), 0.25, DType::f32));
  zero.step(0);
  resumed.step(0);
  for (size_t i = 0; i < again.size(); ++i)
    CHECK(again[i].second.to_vector<float>() == sharded[i].second.to_vector<float>());
}

TEST_CASE("ZeRO-1 skips a parameter without a gradient as the plain optimizer does", "[tasks][dp]") {
  auto comm = make_single_communicator(Device::cpu());
  tasks::CommWatchdog dog(*comm, 0);
  nn::NamedTensors plain{{"enc.w", param(7, 1)}, {"dec.w", param(5, -1)}};
  nn::NamedTensors sharded{{"enc.w", param(7, 1)}, {"dec.w", param(5, -1)}};
  const auto spec = nn::parse_optimizer_spec("adam,lr=0.1,weight_decay=0.01");
  nn::Optimizer reference(spec, plain);
  tasks::Zero1Optimizer zero(*comm, dog, spec, sharded, {0, 1});
  // "dec.w" gets a gradient at steps 0 and 2 only: at step 1 it must stay put (moments too).
  for (int step = 0; step < 3; ++step) {
    for (auto* set : {&plain, &sharded})
      for (size_t i = 0; i < set->size(); ++i)
        if (i == 0 || step != 1) (*set)[i].second.set_grad(Tensor::full({(*set)[i].second.numel()}, step + 1.0, DType::f32));
    const std::vector<float> dec_before = sharded[1].second.to_vector<float>();
    reference.step();
    reference.zero_grad();
    zero.step(0);
    zero.zero_grad();
    if (step == 1) CHECK(sharded[1].second.to_vector<float>() == dec_before);
    for (size_t i = 0; i < plain.size(); ++i)
      CHECK(plain[i].second.to_vector<float>() == sharded[i].second.to_vector<float>());
  }
  CHECK(zero.state_json() == reference.state_json());
  CHECK(zero.state_json().at("param_steps") == nlohmann::json{{"enc.w", 3}, {"dec.w", 2}});
  // A checkpoint whose parameters took different numbers of steps resumes under ZeRO-1.
  std::map<std::string, Tensor> saved;
  for (const auto& [name, t] : reference.state()) saved[name] = t.clone();
  nn::NamedTensors again{{"enc.w", sharded[0].second.clone()}, {"dec.w", sharded[1].second.clone()}};
  for (auto& [name, p] : again) p.set_requires_grad(true);
  tasks::Zero1Optimizer resumed(*comm, dog, spec, again, {0, 1});
  resumed.load_state(saved, reference.state_json());
  CHECK(resumed.state_json() == reference.state_json());
  for (auto* set : {&plain, &again})
    for (auto& [name, p] : *set) p.set_grad(Tensor::full(p.shape(), 0.25, DType::f32));
  reference.step();
  resumed.step(0);
  for (size_t i = 0; i < again.size(); ++i)
    CHECK(again[i].second.to_vector<float>() == plain[i].second.to_vector<float>());
}

TEST_CASE("ZeRO-1 with master weights is MasterWeights + the optimizer bit for bit, and a refused step changes nothing",
          "[tasks][dp]") {
  auto comm = make_single_communicator(Device::cpu());
  tasks::CommWatchdog dog(*comm, 0);
  nn::NamedTensors model_a{{"enc.w", param(7, 1)}, {"dec.w", param(5, -1)}};
  nn::NamedTensors model_b{{"enc.w", param(7, 1)}, {"dec.w", param(5, -1)}};
  const auto spec = nn::parse_optimizer_spec("adam,lr=0.003");
  nn::MasterWeights masters(model_a, DType::f64);
  nn::Optimizer reference(spec, masters.master());
  tasks::Zero1Optimizer zero(*comm, dog, spec, model_b, {0, 0}, DType::f64);
  CHECK(zero.has_master_weights());
  nn::LossScaleOptions options;
  options.init_scale = 8;
  nn::LossScaler scaler_a(options), scaler_b(options);
  for (int step = 0; step < 4; ++step) {
    // Scaled gradients (x8) with digits below f32's precision once unscaled into f64; step 2 overflows.
    for (auto* set : {&model_a, &model_b})
      for (size_t i = 0; i < set->size(); ++i) {
        const double g = step == 2 ? std::numeric_limits<double>::infinity() : 8.0 * (0.1 + step) * (i + 1.0);
        (*set)[i].second.set_grad(Tensor::full((*set)[i].second.shape(), g, DType::f32));
      }
    masters.copy_grads_to_master();
    const bool stepped_a = scaler_a.unscale_and_check(masters.master());
    if (stepped_a) {
      nn::clip_grad_norm(masters.master(), 1.0);
      reference.step();
      masters.copy_master_to_model();
    }
    reference.zero_grad();
    const std::vector<float> before = model_b[0].second.to_vector<float>();
    const tasks::Zero1StepResult result =
        zero.step(1.0, [&](const nn::NamedTensors& shard) { return scaler_b.unscale_and_check(shard); });
    zero.zero_grad();
    CHECK(result.stepped == stepped_a);
    CHECK(result.stepped == (step != 2));
    if (!result.stepped) CHECK(model_b[0].second.to_vector<float>() == before);
    for (size_t i = 0; i < model_a.size(); ++i)
      CHECK(model_a[i].second.to_vector<float>() == model_b[i].second.to_vector<float>());
  }
  CHECK(zero.n_updates() == 3);
  CHECK(scaler_b.scale() == scaler_a.scale());
  CHECK(zero.state_json() == reference.state_json());
  const nn::NamedTensors gathered = zero.gather_masters();
  REQUIRE(gathered.size() == 2);
  for (size_t i = 0; i < gathered.size(); ++i) {
    CHECK(gathered[i].second.dtype() == DType::f64);
    CHECK(gathered[i].second.to_vector<double>() == masters.master()[i].second.to_vector<double>());
  }
  // The masters come back from a checkpoint's tensors; a wrong dtype is refused naming the source.
  std::map<std::string, Tensor> saved;
  for (const auto& [name, m] : masters.master()) saved[name] = m.clone();
  nn::NamedTensors fresh{{"enc.w", param(7, 0)}, {"dec.w", param(5, 0)}};
  tasks::Zero1Optimizer loaded(*comm, dog, spec, fresh, {0, 0}, DType::f64);
  loaded.load_masters(saved, "ckpt/master.safetensors");
  const nn::NamedTensors back = loaded.gather_masters();
  for (size_t i = 0; i < back.size(); ++i)
    CHECK(back[i].second.to_vector<double>() == masters.master()[i].second.to_vector<double>());
  saved["dec.w"] = Tensor::zeros({5}, DType::f32);
  XLM_CHECK_THROWS(loaded.load_masters(saved, "ckpt/master.safetensors"), FormatError, "ckpt/master.safetensors",
                   "dec.w");
}

TEST_CASE("weight hash covers names and bytes and one rank always agrees", "[tasks][dp]") {
  Tensor w = Tensor::from_vector(std::vector<float>{1, 2, 3}, {3});
  const uint32_t h = tasks::weight_hash({{"w", w}});
  CHECK(h != tasks::weight_hash({{"v", w}}));
  Tensor w2 = w.clone();
  w2.data<float>()[2] = std::nextafter(3.0f, 4.0f);
  CHECK(h != tasks::weight_hash({{"w", w2}}));
  CHECK(h == tasks::weight_hash({{"w", w.clone()}}));
  auto comm = make_single_communicator(Device::cpu());
  CHECK_NOTHROW(tasks::check_weights_agree(*comm, {{"w", w}}, 1));
}

TEST_CASE("data-parallel flags are validated", "[tasks][dp]") {
  tasks::TrainConfig c;
  c.exp_name = "flags";
  c.data_path = ".";
  c.lgs = "en";
  c.clm_steps = "en";
  c.bucket_mb = 0;
  XLM_CHECK_THROWS(c.validate(), ConfigError, "--bucket_mb 0");
  c.bucket_mb = 25;
  c.comm_timeout = -1;
  XLM_CHECK_THROWS(c.validate(), ConfigError, "--comm_timeout -1");
  c.comm_timeout = 600;
  c.check_weights_every = -2;
  XLM_CHECK_THROWS(c.validate(), ConfigError, "--check_weights_every -2");
}
