// Host half/bfloat16 conversions: exhaustive round trips over all 16-bit
// patterns and the rounding rules (ties to even, overflow, subnormals).
#include "core/dtype.h"
#include "support.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace xlm;

namespace {
float bits_to_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
}  // namespace

TEST_CASE("dtype: f16 round-trips every finite pattern and rounds to nearest even", "[core][dtype]") {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = f16_bits_to_float(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      CHECK(std::isnan(f16_bits_to_float(float_to_f16_bits(f))));
      continue;
    }
    if (float_to_f16_bits(f) != h) FAIL("pattern " << h << " did not round-trip");
  }
  CHECK(f16_bits_to_float(0x3c00) == 1.0f);
  CHECK(f16_bits_to_float(0x0001) == std::ldexp(1.0f, -24));  // smallest subnormal
  CHECK(float_to_f16_bits(65504.0f) == 0x7bff);                 // max finite
  CHECK(float_to_f16_bits(65520.0f) == 0x7c00);                 // halfway to 2^16 rounds to inf
  CHECK(float_to_f16_bits(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);        // tie -> even (down)
  CHECK(float_to_f16_bits(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);    // tie -> even (up)
  CHECK(float_to_f16_bits(std::ldexp(1.0f, -25)) == 0x0000);               // half of min subnormal -> 0
  CHECK(float_to_f16_bits(std::ldexp(3.0f, -26)) == 0x0001);               // above the tie -> min subnormal
  CHECK(float_to_f16_bits(-0.0f) == 0x8000);
  CHECK(float_to_f16_bits(std::numeric_limits<float>::infinity()) == 0x7c00);
}

TEST_CASE("dtype: bf16 round-trips every finite pattern and rounds to nearest even", "[core][dtype]") {
  for (uint32_t b = 0; b < 65536; ++b) {
    const float f = bf16_bits_to_float(static_cast<uint16_t>(b));
    if (std::isnan(f)) continue;
    if (float_to_bf16_bits(f) != b) FAIL("pattern " << b << " did not round-trip");
  }
  CHECK(float_to_bf16_bits(bits_to_float(0x3f808000u)) == 0x3f80);  // tie, even below
  CHECK(float_to_bf16_bits(bits_to_float(0x3f818000u)) == 0x3f82);  // tie, even above
  CHECK(float_to_bf16_bits(bits_to_float(0x3f808001u)) == 0x3f81);  // above the tie
  CHECK(std::isnan(bf16_bits_to_float(float_to_bf16_bits(std::nanf("")))));
  CHECK(float_to_bf16_bits(bits_to_float(0x7f7fffffu)) == 0x7f80);  // max float rounds to inf
}

TEST_CASE("dtype: names and sizes", "[core][dtype]") {
  CHECK(dtype_size(DType::bf16) == 2);
  CHECK(dtype_size(DType::i64) == 8);
  for (DType d : {DType::f32, DType::f64, DType::bf16, DType::f16, DType::i32, DType::i64, DType::u8})
    CHECK(parse_dtype(dtype_name(d)) == d);
  CHECK(is_floating(DType::bf16));
  CHECK_FALSE(is_floating(DType::i32));
}
