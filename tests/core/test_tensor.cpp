// Tensor handles: creation, views that share data, host copies of every
// dtype, and the wording of shape errors.
#include "core/error.h"
#include "core/host_reads.h"
#include "core/tensor.h"
#include "kernels/add/add.h"
#include "support.h"

using namespace xlm;

TEST_CASE("tensor: creation, properties and host round trips", "[core]") {
  Tensor t = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(t.shape() == Shape{2, 3});
  CHECK(t.numel() == 6);
  CHECK(t.size(-1) == 3);
  CHECK(t.dtype() == DType::f32);
  CHECK(t.device().is_cpu());
  CHECK(t.describe() == "f32[2, 3] on cpu");
  CHECK(t.to_vector<float>() == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(Tensor::zeros({4}, DType::i64).to_vector<int64_t>() == std::vector<int64_t>(4, 0));
  CHECK(Tensor::full({2}, 2.5, DType::f64).to_vector<double>() == std::vector<double>{2.5, 2.5});
  for (DType d : {DType::f32, DType::f64, DType::bf16, DType::f16, DType::i32, DType::i64, DType::u8}) {
    INFO(dtype_name(d));
    Tensor x = Tensor::from_doubles({0, 1, 2, 100}, {4}, d);
    CHECK(x.to_doubles() == std::vector<double>{0, 1, 2, 100});
    CHECK(x.nbytes() == 4 * dtype_size(d));
  }
  CHECK(Tensor::from_doubles({1.0}, {}, DType::f32).item() == 1.0);
}

TEST_CASE("tensor: reshape and slice are views of the same data", "[core]") {
  Tensor t = Tensor::from_vector<int32_t>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {4, 3});
  Tensor r = t.reshape({2, -1});
  CHECK(r.shape() == Shape{2, 6});
  CHECK(r.same_data(t));
  Tensor s = t.slice(1, 3);  // rows 1 and 2
  CHECK(s.shape() == Shape{2, 3});
  CHECK(s.to_vector<int32_t>() == std::vector<int32_t>{3, 4, 5, 6, 7, 8});
  s.data<int32_t>()[0] = 42;
  CHECK(t.to_vector<int32_t>()[3] == 42);
  Tensor c = t.clone();
  c.data<int32_t>()[0] = -1;
  CHECK(t.to_vector<int32_t>()[0] == 0);
  CHECK(t.slice(4, 4).numel() == 0);
}

TEST_CASE("tensor: bad shapes and dtypes raise errors that say what was wrong", "[core][errors]") {
  Tensor t = Tensor::zeros({4, 3}, DType::f32);
  XLM_CHECK_THROWS(t.reshape({5, -1}), ShapeError, "reshape f32[4, 3] on cpu to [5, -1]");
  XLM_CHECK_THROWS(t.reshape({2, 2}), ShapeError, "element counts differ");
  XLM_CHECK_THROWS(t.slice(2, 5), IndexError, "slice [2, 5) out of range for f32[4, 3]");
  XLM_CHECK_THROWS(t.data<double>(), DTypeError, "data<f64>() on f32[4, 3]");
  XLM_CHECK_THROWS(Tensor::from_vector<float>({1, 2, 3}, {2, 2}), ShapeError,
                       "3 values for shape [2, 2]");
  XLM_CHECK_THROWS(Tensor::zeros({2}, DType::i64).set_requires_grad(true), DTypeError,
                       "only floating tensors");
  XLM_CHECK_THROWS(Tensor().shape(), Error, "undefined tensor");
  XLM_CHECK_THROWS(Device::parse("gpu0"), DeviceError, "invalid device 'gpu0'");
  XLM_CHECK_THROWS(parse_dtype("f8"), DTypeError, "unknown dtype 'f8'");
}

TEST_CASE("tensor: device names parse and print", "[core]") {
  CHECK(Device::parse("cpu").is_cpu());
  CHECK(Device::parse("cuda").str() == "cuda:0");
  CHECK(Device::parse("cuda:3").index == 3);
  if (!cuda_available()) {
    CHECK_THROWS_AS(Tensor::zeros({2}, DType::f32, Device::cuda(0)), Error);
  }
  // cpu:1, the CPU stand-in accelerator: host memory, but a device of its own.
  const Device standin = Device::parse("cpu:1");
  CHECK(standin.is_cpu());
  CHECK(standin.str() == "cpu:1");
  CHECK(standin != Device::cpu());
  CHECK(Device::parse("cpu:0") == Device::cpu());
  CHECK_THROWS_AS(Device::parse("cpu:2"), Error);
}

TEST_CASE("tensor: the stand-in device cpu:1 is a device of its own", "[core]") {
  const Device standin = Device::parse("cpu:1");
  const Tensor host = Tensor::from_doubles({1, 2, 3}, {3}, DType::f32);
  const Tensor moved = host.to(standin);
  CHECK(moved.device() == standin);
  CHECK_FALSE(moved.same_data(host));  // a copy, as to a GPU
  XLM_CHECK_THROWS(add(host, moved), DeviceError, "");
  // A read back to the host counts as the blocking transfer it would be on a GPU...
  const std::vector<double> want = host.to_doubles();
  const int64_t before = host_transfer_count();
  CHECK(moved.to(Device::cpu()).to_doubles() == want);
  CHECK(host_transfer_count() == before + 2);  // the copy back, then to_doubles' modelled read of a host tensor
  // ... but a CPU twin reading its own inputs does not.
  const Tensor ids = Tensor::from_vector(std::vector<int64_t>{4, 5}, {2}, standin);
  const int64_t twin = host_transfer_count();
  CHECK(kernel_int64_values(ids) == std::vector<int64_t>{4, 5});
  CHECK(host_transfer_count() == twin);
}

TEST_CASE("tensor: host <-> GPU copies preserve every dtype", "[core][cuda]") {
  XLM_REQUIRE_GPU_OR_STANDIN();
  for (DType d : {DType::f32, DType::f64, DType::bf16, DType::f16, DType::i32, DType::i64, DType::u8}) {
    INFO(dtype_name(d));
    Tensor x = Tensor::from_doubles({0, 1, 2, 100, 7}, {5}, d);
    Tensor g = x.to(xlm::test::gpu());
    CHECK(g.device() == xlm::test::gpu());
    CHECK(g.to(Device::cpu()).to_doubles() == x.to_doubles());
    CHECK(Tensor::zeros({3}, d, xlm::test::gpu()).to_doubles() == std::vector<double>(3, 0.0));
  }
}
