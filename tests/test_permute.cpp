// permute beyond the harness (which feeds floating inputs only): integer and
// byte dtypes moved exactly, negative dims, and the errors for dims that are
// not a permutation or a rank above the supported six.
#include "core/error.h"
#include "kernels/permute/permute.h"
#include "support.h"

#include <numeric>

using namespace xlm;

TEST_CASE("permute: moves elements of every width exactly", "[permute][cpu]") {
  std::vector<int64_t> iota(24);
  std::iota(iota.begin(), iota.end(), int64_t{0});
  const Tensor x = Tensor::from_vector(iota, {2, 3, 4});  // x[i, j, k] = 12 i + 4 j + k
  const Tensor y = permute(x, {2, 0, -2});                // y[k, i, j]
  REQUIRE(y.shape() == Shape{4, 2, 3});
  const auto v = y.to_vector<int64_t>();
  for (int64_t k = 0; k < 4; ++k)
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 3; ++j) CHECK(v[static_cast<size_t>((k * 2 + i) * 3 + j)] == 12 * i + 4 * j + k);

  std::vector<uint8_t> bytes(24);
  for (size_t i = 0; i < 24; ++i) bytes[i] = static_cast<uint8_t>(i);
  const auto vb = permute(Tensor::from_vector(bytes, {2, 3, 4}), {2, 0, 1}).to_vector<uint8_t>();
  for (size_t i = 0; i < 24; ++i) CHECK(static_cast<int64_t>(vb[i]) == v[i]);

  const Tensor h = Tensor::from_doubles({1, 2, 3, 4, 5, 6}, {2, 3}, DType::bf16);
  CHECK(permute(h, {1, 0}).to_doubles() == std::vector<double>{1, 4, 2, 5, 3, 6});
  const Tensor s = Tensor::from_vector(std::vector<int32_t>{7}, {});
  CHECK(permute(s, {}).to_vector<int32_t>() == std::vector<int32_t>{7});
}

TEST_CASE("permute: rejects dims that are not a permutation", "[permute][cpu]") {
  const Tensor x = Tensor::zeros({2, 3, 4}, DType::f32);
  CHECK_THROWS_AS(permute(x, {0, 1}), ShapeError);
  CHECK_THROWS_AS(permute(x, {0, 1, 1}), ShapeError);
  CHECK_THROWS_AS(permute(x, {0, 1, 3}), ShapeError);
  CHECK_THROWS_AS(permute(x, {0, 1, -4}), ShapeError);
  CHECK_THROWS_AS(permute(Tensor::zeros({1, 1, 1, 1, 1, 1, 1}, DType::f32), {0, 1, 2, 3, 4, 5, 6}), ShapeError);
  CHECK_NOTHROW(permute(Tensor::zeros({1, 2, 1, 3, 1, 2}, DType::f32), {5, 4, 3, 2, 1, 0}));
  try {
    permute(x, {0, 0, 1});
    FAIL("no error");
  } catch (const ShapeError& e) {
    CHECK(std::string(e.what()).find("[2, 3, 4]") != std::string::npos);
  }
}

TEST_CASE("permute: CUDA matches the CPU for every element width up to rank 6", "[permute][cuda]") {
  XLM_REQUIRE_GPU_OR_STANDIN();
  const Shape shape{2, 3, 1, 5, 4, 3};
  const std::vector<std::vector<int64_t>> perms = {{5, 4, 3, 2, 1, 0}, {0, 2, 1, 3, 5, 4}, {3, 0, 5, 1, 4, 2}};
  std::vector<double> values(static_cast<size_t>(shape_numel(shape)));
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i % 251);
  for (DType dtype : {DType::u8, DType::bf16, DType::i32, DType::f32, DType::i64, DType::f64}) {
    const Tensor x = Tensor::from_doubles(values, shape, dtype);
    for (const auto& dims : perms) {
      INFO(dtype_name(dtype) << " dims " << shape_str(dims));
      const Tensor want = permute(x, dims);
      const Tensor got = permute(x.to(xlm::test::gpu()), dims);
      CHECK(got.shape() == want.shape());
      CHECK(got.to_doubles() == want.to_doubles());
    }
    // rank 5: [B, T, H, D] style with a trailing split
    const Tensor x5 = x.reshape({6, 5, 4, 3, 1});
    CHECK(permute(x5.to(xlm::test::gpu()), {0, 2, 1, 3, 4}).to_doubles() == permute(x5, {0, 2, 1, 3, 4}).to_doubles());
  }
}
