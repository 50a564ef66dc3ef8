// NCCL with one rank on one GPU: the only NCCL run a single-GPU machine can
// do. With one rank every collective is the identity, so wrong wiring (a
// dtype mapped to the wrong ncclDataType_t, bytes passed as element counts,
// the wrong in-place form) shows as changed values or out-of-bounds writes.
// The factory gives one rank the trivial communicator, so the test asks the
// NCCL constructor directly. Tagged [cuda]; exists only in NCCL builds.
#include "xlm/config.h"

#if XLM_WITH_CUDA && XLM_WITH_NCCL

#include "core/communicator_impl.h"
#include "support.h"

using namespace xlm;

TEST_CASE("communicator: NCCL with one rank leaves every collective's data intact", "[core][comm][cuda]") {
  XLM_REQUIRE_GPU();
  const Device gpu = Device::cuda(0);
  LaunchEnv one;
  one.launcher = Launcher::torchrun;  // world size 1: the id needs no exchange
  auto c = detail::make_nccl_communicator(gpu, one);
  CHECK(std::string(c->backend()) == "nccl");
  CHECK((c->rank() == 0 && c->world_size() == 1));

  const std::vector<double> values{1.5, -2.0, 3.25, 1024.0, -0.125};
  for (DType dtype : {DType::f32, DType::f64, DType::bf16, DType::f16}) {
    INFO(dtype_name(dtype));
    for (ReduceOp op : {ReduceOp::sum, ReduceOp::mean, ReduceOp::max}) {
      Tensor t = Tensor::from_doubles(values, {5}, dtype, gpu);
      c->all_reduce(t, op);
      CHECK(t.to_doubles() == values);
    }
    Tensor out = Tensor::zeros({5}, dtype, gpu);
    c->reduce_scatter(Tensor::from_doubles(values, {5}, dtype, gpu), out);
    CHECK(out.to_doubles() == values);
    Tensor gathered = Tensor::zeros({5, 1}, dtype, gpu);
    c->all_gather(Tensor::from_doubles(values, {5, 1}, dtype, gpu), gathered);
    CHECK(gathered.to_doubles() == values);
  }
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{int64_t{1} << 40, -7}, {2}, gpu);
  c->broadcast(ids, 0);
  c->all_reduce(ids, ReduceOp::max);
  CHECK(ids.to_vector<int64_t>() == std::vector<int64_t>{int64_t{1} << 40, -7});
  Tensor flat = Tensor::from_doubles(values, {5}, DType::f32, gpu);
  c->reduce_scatter(flat, flat);  // NCCL's in-place form with one rank
  CHECK(flat.to_doubles() == values);
  c->barrier();
}

TEST_CASE("communicator: NCCL overlapped all-reduce, wait_idle and abort with one rank", "[core][comm][cuda]") {
  XLM_REQUIRE_GPU();
  const Device gpu = Device::cuda(0);
  LaunchEnv one;
  one.launcher = Launcher::torchrun;
  auto c = detail::make_nccl_communicator(gpu, one);
  const std::vector<double> values{1.5, -2.0, 3.25};
  Tensor a = Tensor::from_doubles(values, {3}, DType::f32, gpu);
  Tensor b = Tensor::from_doubles(values, {3}, DType::bf16, gpu);
  c->start_all_reduce(a, ReduceOp::mean);  // on the communicator's own stream
  c->start_all_reduce(b, ReduceOp::sum);
  c->finish_all_reduces();                 // the device stream waits; reads below are ordered after
  CHECK(a.to_doubles() == values);
  CHECK(b.to_doubles() == values);
  CHECK(c->wait_idle(10.0).empty());
  c->abort();
  CHECK(c->wait_idle(1.0) == "the communicator was aborted");
}

#endif
