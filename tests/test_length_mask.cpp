// length_mask on the CPU (the harness compares the CUDA twin with it) and the
// CPU half of the length range check: values for i32 and i64 lengths, a
// decoder-cache start, and the caller's error with an empty suffix.
#include "core/error.h"
#include "kernels/length_mask/length_check.h"
#include "kernels/length_mask/length_mask.h"
#include "support.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace xlm;

TEST_CASE("length_mask: 1 inside each sentence, 0 on padding", "[length_mask]") {
  const Tensor keep = length_mask(Tensor::from_vector<int64_t>({3, 1, 4}, {3}), 4, 0, DType::f32);  // (3, 4)
  CHECK(keep.shape() == Shape{3, 4});
  CHECK(keep.to_vector<float>() == std::vector<float>{1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1});
  // With a cache of 2 positions, column t is absolute position 2 + t.
  const Tensor cached = length_mask(Tensor::from_vector<int32_t>({3, 5}, {2}), 3, 2, DType::f64);  // (2, 3)
  CHECK(cached.to_vector<double>() == std::vector<double>{1, 0, 0, 1, 1, 1});
  CHECK(length_mask(Tensor::from_vector<int64_t>({}, {0}), 5, 0, DType::f32).numel() == 0);
  CHECK_THROWS_AS(length_mask(Tensor::from_vector<float>({1}, {1}), 2, 0, DType::f32), DTypeError);
  CHECK_THROWS_AS(length_mask(Tensor::from_vector<int64_t>({1}, {1}), 2, 0, DType::i64), DTypeError);
  CHECK_THROWS_AS(length_mask(Tensor::from_vector<int64_t>({1, 1}, {1, 2}), 2, 0, DType::f32), ShapeError);
}

TEST_CASE("length check: CPU lengths raise the caller's error at once, without a suffix", "[length_mask][errors]") {
  std::vector<std::string> seen;
  const LengthErrorThrower thrower = [&seen](int64_t b, int64_t v, const std::string& suffix) {
    seen.push_back(std::to_string(b) + "=" + std::to_string(v) + "|" + suffix);
    throw ShapeError("bad length");
  };
  CHECK_NOTHROW(check_lengths_in_range(Tensor::from_vector<int64_t>({1, 4, 2}, {3}), 1, 4, thrower));
  CHECK_THROWS_AS(check_lengths_in_range(Tensor::from_vector<int32_t>({1, 5, 0}, {3}), 1, 4, thrower), ShapeError);
  CHECK_THROWS_AS(check_lengths_in_range(Tensor::from_vector<int64_t>({-1}, {1}), 0, 4, thrower), ShapeError);
  CHECK(seen == std::vector<std::string>{"1=5|", "0=-1|"});  // the first bad row only
}
