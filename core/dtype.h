// Element types. f64 exists for the CPU reference and finite-difference
// gradient checks; bf16/f16 are storage types on the CPU (converted here,
// bit-exact with CUDA's __float2bfloat16_rn / __float2half_rn for every
// non-NaN value; NaN payloads may differ, kernels/cast canonicalises them)
// and compute types on the GPU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace xlm {

enum class DType : uint8_t { f32, f64, bf16, f16, i32, i64, u8 };

size_t dtype_size(DType t);
const char* dtype_name(DType t);           // "f32", "bf16", ...
DType parse_dtype(const std::string& s);   // inverse of dtype_name; throws DTypeError
bool is_floating(DType t);

// Round-to-nearest-even conversions, NaN preserved (quiet).
inline uint16_t float_to_bf16_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);
  uint32_t rounding = 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>((u + rounding) >> 16);
}
inline float bf16_bits_to_float(uint16_t b) {
  uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
uint16_t float_to_f16_bits(float f);
float f16_bits_to_float(uint16_t h);

}  // namespace xlm
