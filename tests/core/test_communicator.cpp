// The single-rank communicator and the factory's choices. Multi-rank MPI is
// tested by tests/mpi/mpi_check.cpp under mpirun (CTest mpi_check_np2/np3).
#include "core/communicator.h"
#include "core/error.h"
#include "support.h"
#include "xlm/config.h"

using namespace xlm;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

TEST_CASE("communicator: one rank is the identity for every collective", "[core][comm]") {
  auto c = make_communicator(Device::cpu(), LaunchEnv{});
  CHECK(std::string(c->backend()) == "single");
  CHECK((c->rank() == 0 && c->world_size() == 1 && c->local_rank() == 0));
  Tensor t = Tensor::from_vector(std::vector<float>{1.5f, -2.0f}, {2});
  c->all_reduce(t);
  c->all_reduce(t, ReduceOp::mean);
  c->all_reduce(t, ReduceOp::max);
  CHECK(t.to_vector<float>() == std::vector<float>{1.5f, -2.0f});
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{7, 8}, {2});
  c->broadcast(ids, 0);
  CHECK(ids.to_vector<int64_t>() == std::vector<int64_t>{7, 8});

  Tensor out = Tensor::zeros({2}, DType::f32);
  c->reduce_scatter(t, out);
  CHECK(out.to_vector<float>() == std::vector<float>{1.5f, -2.0f});
  Tensor gathered = Tensor::zeros({2, 1}, DType::f64);
  c->all_gather(Tensor::from_vector(std::vector<double>{3.0, 4.0}, {2, 1}), gathered);
  CHECK(gathered.to_vector<double>() == std::vector<double>{3.0, 4.0});
  c->barrier();
}

TEST_CASE("communicator: argument errors name the rank and the call", "[core][comm]") {
  auto c = make_single_communicator(Device::cpu());
  Tensor ints = Tensor::zeros({2}, DType::i64);
  CHECK_THROWS_WITH(c->all_reduce(ints, ReduceOp::mean), StartsWith("rank 0 of 1 (single): all_reduce: "));
  Tensor bytes = Tensor::zeros({2}, DType::u8);
  CHECK_THROWS_AS(c->all_reduce(bytes), DTypeError);
  Tensor out = Tensor::zeros({3}, DType::f32);
  CHECK_THROWS_AS(c->reduce_scatter(Tensor::zeros({2}, DType::f32), out), ShapeError);
  CHECK_THROWS_AS(c->reduce_scatter(Tensor::zeros({3}, DType::f64), out), ShapeError);
  CHECK_THROWS_WITH(c->all_gather(Tensor::zeros({2, 2}, DType::f32), Tensor::zeros({2, 3}, DType::f32)),
                    StartsWith("rank 0 of 1 (single): all_gather: "));
  Tensor t = Tensor::zeros({1}, DType::f32);
  CHECK_THROWS_AS(c->broadcast(t, 1), ConfigError);
  Tensor undefined;
  CHECK_THROWS_AS(c->all_reduce(undefined), ShapeError);
}

TEST_CASE("communicator: the factory refuses transports it cannot provide", "[core][comm]") {
  LaunchEnv torch;
  torch.launcher = Launcher::torchrun;
  torch.rank = 0;
  torch.world_size = 2;
  torch.master_addr = "127.0.0.1";
  torch.master_port = 29500;
  torch.source = "RANK=0, WORLD_SIZE=2";
  // CPU ranks talk MPI, which torchrun does not start (or the build lacks).
  CHECK_THROWS_WITH(make_communicator(Device::cpu(), torch), Contains("rank 0 of 2") && Contains("MPI"));
#if !(XLM_WITH_CUDA && XLM_WITH_NCCL)
  CHECK_THROWS_WITH(make_communicator(Device::cuda(0), torch), Contains("NCCL"));
#endif
}
