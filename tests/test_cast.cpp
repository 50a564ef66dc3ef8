// cast beyond the harness: exact bit patterns of the CPU conversions (ties to
// even, subnormals, overflow, inf/NaN, no double rounding from f64), the
// integer rules (truncate, saturate, wrap), round trips over every pair, the
// gradient, and on a GPU bit identity of CUDA with the CPU on every pair over
// many values (all 16-bit and 8-bit patterns, ties and specials, random bits).
#include "core/autograd.h"
#include "kernels/cast/cast.h"
#include "support.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace xlm;

namespace {

const DType kAll[] = {DType::f32, DType::f64, DType::bf16, DType::f16, DType::i32, DType::i64, DType::u8};

// A CPU tensor holding exactly these elements (T's bytes reinterpreted as `dtype`).
template <typename T>
Tensor from_raw(const std::vector<T>& values, DType dtype) {
  REQUIRE(sizeof(T) == dtype_size(dtype));
  Tensor t = Tensor::empty({static_cast<int64_t>(values.size())}, dtype);
  std::memcpy(t.data_ptr(), values.data(), t.nbytes());
  return t;
}

template <typename T>
std::vector<T> raw(const Tensor& t) {
  REQUIRE(sizeof(T) == dtype_size(t.dtype()));
  Tensor host = t.to(Device::cpu());
  std::vector<T> out(static_cast<size_t>(t.numel()));
  std::memcpy(out.data(), host.data_ptr(), host.nbytes());
  return out;
}

float f32_of(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

struct Case16 {
  uint32_t f32_bits;
  uint16_t want;
  const char* what;
};

void check_f32_to_16(DType to, const std::vector<Case16>& cases) {
  std::vector<uint32_t> in;
  for (const Case16& c : cases) in.push_back(c.f32_bits);
  const auto got = raw<uint16_t>(cast(from_raw(in, DType::f32), to));
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO(dtype_name(to) << ": " << cases[i].what << " (f32 bits " << std::hex << cases[i].f32_bits << ")");
    CHECK(fmt::format("{:#06x}", got[i]) == fmt::format("{:#06x}", cases[i].want));
  }
}

}  // namespace

TEST_CASE("cast: f32 -> bf16 rounds to nearest even, bit for bit", "[cast][cpu]") {
  check_f32_to_16(DType::bf16, {
                                   {0x3f800000u, 0x3f80, "1.0"},
                                   {0x3f808000u, 0x3f80, "tie rounds down to even"},
                                   {0x3f818000u, 0x3f82, "tie rounds up to even"},
                                   {0x3f808001u, 0x3f81, "just above a tie"},
                                   {0x3f807fffu, 0x3f80, "just below a tie"},
                                   {0xbf808000u, 0xbf80, "negative tie"},
                                   {0x80000000u, 0x8000, "-0"},
                                   {0x00008000u, 0x0000, "subnormal tie to zero"},
                                   {0x00018000u, 0x0002, "subnormal tie up to even"},
                                   {0x00008001u, 0x0001, "smallest bf16 subnormal"},
                                   {0x007fffffu, 0x0080, "largest f32 subnormal rounds to the smallest normal"},
                                   {0x7f7f7fffu, 0x7f7f, "largest finite bf16"},
                                   {0x7f7f8000u, 0x7f80, "tie above the largest finite overflows"},
                                   {0x7f7fffffu, 0x7f80, "FLT_MAX overflows to inf"},
                                   {0x7f800000u, 0x7f80, "inf"},
                                   {0xff800000u, 0xff80, "-inf"},
                                   {0x7fc00000u, 0x7fc0, "quiet NaN"},
                                   {0xffc00000u, 0xffc0, "negative NaN keeps its sign"},
                                   {0x7f800001u, 0x7fc0, "signalling NaN becomes the canonical quiet NaN"},
                                   {0x7fffffffu, 0x7fc0, "NaN payload is dropped"},
                               });
}

TEST_CASE("cast: f32 -> f16 rounds to nearest even, bit for bit", "[cast][cpu]") {
  check_f32_to_16(DType::f16, {
                                  {0x3f800000u, 0x3c00, "1.0"},
                                  {0x3f801000u, 0x3c00, "tie rounds down to even"},
                                  {0x3f803000u, 0x3c02, "tie rounds up to even"},
                                  {0x3f801001u, 0x3c01, "just above a tie"},
                                  {0x477fe000u, 0x7bff, "65504, the largest finite"},
                                  {0x477fefffu, 0x7bff, "just below the overflow tie"},
                                  {0x477ff000u, 0x7c00, "65520 ties to inf"},
                                  {0xc77ff000u, 0xfc00, "-65520 ties to -inf"},
                                  {0x38800000u, 0x0400, "2^-14, the smallest normal"},
                                  {0x387fe000u, 0x0400, "1023.5 * 2^-24 ties up to the smallest normal"},
                                  {0x33800000u, 0x0001, "2^-24, the smallest subnormal"},
                                  {0x33000000u, 0x0000, "2^-25 ties to zero"},
                                  {0x33000001u, 0x0001, "just above 2^-25"},
                                  {0x33c00000u, 0x0002, "1.5 * 2^-24 ties up to even"},
                                  {0x34200000u, 0x0002, "2.5 * 2^-24 ties down to even"},
                                  {0x322bcc77u, 0x0000, "1e-8 underflows"},
                                  {0x80000000u, 0x8000, "-0"},
                                  {0x7f800000u, 0x7c00, "inf"},
                                  {0x7fc00000u, 0x7e00, "NaN"},
                                  {0xffc00001u, 0xfe00, "negative NaN keeps its sign"},
                              });
}

TEST_CASE("cast: f64 -> bf16/f16/f32 rounds once, without double rounding through f32", "[cast][cpu]") {
  const double p40 = std::ldexp(1.0, -40), p30 = std::ldexp(1.0, -30);
  const std::vector<double> in = {
      1 + std::ldexp(1.0, -8) + p40,      // above a bf16 tie, which f32 would round onto the tie
      1 + std::ldexp(1.0, -8),            // exact tie: to even
      1 + 3 * std::ldexp(1.0, -8) - p30,  // below a tie that f32 would round onto, then up to even
      1 + std::ldexp(1.0, -11) + p40,     // above an f16 tie
      1e39,                               // beyond f32
      -1e-300,                            // below every subnormal
  };
  const Tensor x = Tensor::from_vector(in, {static_cast<int64_t>(in.size())});
  CHECK(raw<uint16_t>(cast(x, DType::bf16)) == std::vector<uint16_t>{0x3f81, 0x3f80, 0x3f81, 0x3f80, 0x7f80, 0x8000});
  CHECK(raw<uint16_t>(cast(x, DType::f16)) == std::vector<uint16_t>{0x3c04, 0x3c04, 0x3c0c, 0x3c01, 0x7c00, 0x8000});
  const std::vector<double> tiny = {std::ldexp(1.0, -149), std::ldexp(1.0, -150), 3 * std::ldexp(1.0, -150), 1e39,
                                    std::numeric_limits<double>::quiet_NaN()};
  CHECK(raw<uint32_t>(cast(Tensor::from_vector(tiny, {5}), DType::f32)) ==
        std::vector<uint32_t>{0x00000001u, 0x00000000u, 0x00000002u, 0x7f800000u, 0x7fc00000u});
}

TEST_CASE("cast: bf16 and f16 widen exactly, matching core/dtype.h on every pattern", "[cast][cpu]") {
  std::vector<uint16_t> all(65536);
  for (uint32_t i = 0; i < 65536; ++i) all[i] = static_cast<uint16_t>(i);
  for (DType from : {DType::bf16, DType::f16}) {
    const auto wide = raw<uint32_t>(cast(from_raw(all, from), DType::f32));
    long bad = -1;
    for (uint32_t i = 0; i < 65536 && bad < 0; ++i) {
      const float want = from == DType::bf16 ? bf16_bits_to_float(all[i]) : f16_bits_to_float(all[i]);
      uint32_t want_bits;
      std::memcpy(&want_bits, &want, 4);
      if (std::isnan(want)) want_bits = (want_bits & 0x80000000u) | 0x7fc00000u;  // canonical NaN
      if (wide[i] != want_bits) bad = static_cast<long>(i);
    }
    INFO(dtype_name(from) << " first mismatch at pattern " << bad);
    CHECK(bad == -1);
    // and narrowing back is the identity except for NaN payloads
    const auto back = raw<uint16_t>(cast(cast(from_raw(all, from), DType::f32), from));
    long changed = 0;
    for (uint32_t i = 0; i < 65536; ++i) {
      const bool nan =
          from == DType::bf16 ? std::isnan(bf16_bits_to_float(all[i])) : std::isnan(f16_bits_to_float(all[i]));
      if (!nan && back[i] != all[i]) ++changed;
    }
    CHECK(changed == 0);
  }
}

TEST_CASE("cast: floating -> integer truncates toward zero and saturates, NaN -> 0", "[cast][cpu]") {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const Tensor f = Tensor::from_vector(
      std::vector<float>{2.7f, -2.7f, 0.999f, -0.999f, nan, 3e9f, -3e9f, inf, -inf, 2147483520.0f, 255.9f, 256.0f},
      {12});
  CHECK(cast(f, DType::i32).to_vector<int32_t>() ==
        std::vector<int32_t>{2, -2, 0, 0, 0, INT32_MAX, INT32_MIN, INT32_MAX, INT32_MIN, 2147483520, 255, 256});
  CHECK(cast(f, DType::u8).to_vector<uint8_t>() == std::vector<uint8_t>{2, 0, 0, 0, 0, 255, 0, 255, 0, 255, 255, 255});
  CHECK(cast(f, DType::i64).to_vector<int64_t>() ==
        std::vector<int64_t>{2, -2, 0, 0, 0, 3000000000LL, -3000000000LL, INT64_MAX, INT64_MIN, 2147483520, 255, 256});
  const Tensor d =
      Tensor::from_vector(std::vector<double>{9.3e18, -9.3e18, -9223372036854775808.0, 9007199254740993.0}, {4});
  CHECK(cast(d, DType::i64).to_vector<int64_t>() ==
        std::vector<int64_t>{INT64_MAX, INT64_MIN, INT64_MIN, 9007199254740992LL});
  CHECK(cast(from_raw(std::vector<uint16_t>{0x7f80, 0xff80, 0x4049, 0xc049}, DType::bf16), DType::i32)
            .to_vector<int32_t>() == std::vector<int32_t>{INT32_MAX, INT32_MIN, 3, -3});  // inf, -inf, 3.14, -3.14
}

TEST_CASE("cast: integer -> integer wraps, integer -> floating rounds to nearest even", "[cast][cpu]") {
  const Tensor i64 = Tensor::from_vector(std::vector<int64_t>{(1LL << 32) + 5, -1, 1LL << 31}, {3});
  CHECK(cast(i64, DType::i32).to_vector<int32_t>() == std::vector<int32_t>{5, -1, INT32_MIN});
  const Tensor i32 = Tensor::from_vector(std::vector<int32_t>{-1, 263, 255}, {3});
  CHECK(cast(i32, DType::u8).to_vector<uint8_t>() == std::vector<uint8_t>{255, 7, 255});
  const Tensor u8 = Tensor::from_vector(std::vector<uint8_t>{200, 0, 255}, {3});
  CHECK(cast(u8, DType::i32).to_vector<int32_t>() == std::vector<int32_t>{200, 0, 255});
  CHECK(cast(u8, DType::i64).to_vector<int64_t>() == std::vector<int64_t>{200, 0, 255});

  const Tensor big =
      Tensor::from_vector(std::vector<int32_t>{16777217, 16777219, 257, 259, 2049, 2051, 70000, -70000}, {8});
  CHECK(cast(big, DType::f32).to_vector<float>() ==
        std::vector<float>{16777216.f, 16777220.f, 257.f, 259.f, 2049.f, 2051.f, 70000.f, -70000.f});
  CHECK(raw<uint16_t>(cast(big, DType::bf16)) ==
        std::vector<uint16_t>{0x4b80, 0x4b80, 0x4380, 0x4382, 0x4500, 0x4500, 0x4789, 0xc789});
  CHECK(raw<uint16_t>(cast(big, DType::f16)) ==
        std::vector<uint16_t>{0x7c00, 0x7c00, 0x5c04, 0x5c0c, 0x6800, 0x6802, 0x7c00, 0xfc00});
  const Tensor huge = Tensor::from_vector(std::vector<int64_t>{(1LL << 53) + 1, INT64_MIN}, {2});
  CHECK(cast(huge, DType::f64).to_vector<double>() == std::vector<double>{9007199254740992.0, -9223372036854775808.0});
}

TEST_CASE("cast: every pair round-trips exact values, same dtype is a copy", "[cast][cpu]") {
  const std::vector<double> values = {0, 1, 2, 5, 100, 127};
  for (DType from : kAll) {
    const Tensor x = Tensor::from_doubles(values, {6}, from);
    for (DType to : kAll) {
      INFO(dtype_name(from) << " -> " << dtype_name(to));
      const Tensor y = cast(x, to);
      CHECK(y.dtype() == to);
      CHECK(y.shape() == x.shape());
      CHECK(y.to_doubles() == values);
      CHECK(cast(y, from).to_doubles() == values);
      if (from == to) CHECK_FALSE(y.same_data(x));
    }
  }
}

TEST_CASE("cast: the gradient comes back in the input dtype, integers carry none", "[cast][grad]") {
  Tensor x = Tensor::from_vector(std::vector<float>{1.5f, -2.f, 3.25f}, {3});
  x.set_requires_grad(true);
  Tensor y = cast(x, DType::f64);
  REQUIRE(y.requires_grad());
  y.backward(Tensor::from_vector(std::vector<double>{0.5, 2.0, -1.0}, {3}));
  REQUIRE(x.grad().dtype() == DType::f32);
  CHECK(x.grad().to_vector<float>() == std::vector<float>{0.5f, 2.f, -1.f});

  x.zero_grad();
  Tensor h = cast(x, DType::bf16);
  h.backward(Tensor::from_doubles({1.0, 0.25, 4.0}, {3}, DType::bf16));
  CHECK(x.grad().to_vector<float>() == std::vector<float>{1.f, 0.25f, 4.f});

  CHECK_FALSE(cast(x, DType::i32).requires_grad());
}

TEST_CASE("cast: CUDA is bit-identical with the CPU on every pair", "[cast][cuda]") {
  XLM_REQUIRE_GPU_OR_STANDIN();
  std::mt19937_64 rng(2024);
  std::vector<Tensor> sources;
  {  // f32: specials, values straddling bf16 and f16 ties at every exponent, random patterns
    std::vector<uint32_t> v = {0u,          0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u,
                               0xffc00001u, 0x7f800001u, 0x7f7fffffu, 0x00000001u, 0x007fffffu,
                               0x477ff000u, 0x477fefffu, 0x33000000u};
    for (uint32_t exp = 0; exp < 256; ++exp)
      for (uint32_t low : {0x0000u, 0x0fffu, 0x1000u, 0x1001u, 0x3000u, 0x7fffu, 0x8000u, 0x8001u, 0x18000u})
        for (uint32_t sign : {0u, 0x80000000u})
          v.push_back(sign | (exp << 23) | ((static_cast<uint32_t>(rng()) & 0x7e0000u) | low));
    for (int i = 0; i < 200000; ++i) v.push_back(static_cast<uint32_t>(rng()));
    for (int i = 0; i < 100000; ++i) {  // integers' range, around the saturation bounds
      const double r = std::ldexp(static_cast<double>(rng() % 2000000) / 1000000.0 - 1.0, static_cast<int>(rng() % 66));
      const float f = static_cast<float>(r);
      uint32_t b;
      std::memcpy(&b, &f, 4);
      v.push_back(b);
    }
    sources.push_back(from_raw(v, DType::f32));
  }
  {  // f64: specials, near-ties of f32/bf16/f16 at every scale, integer-range values, random patterns
    std::vector<double> v = {0.0,
                             -0.0,
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(),
                             std::numeric_limits<double>::quiet_NaN(),
                             -std::numeric_limits<double>::quiet_NaN(),
                             1e39,
                             -1e39,
                             1e-300,
                             std::ldexp(1.0, -150),
                             3 * std::ldexp(1.0, -150),
                             9223372036854775808.0,
                             -9223372036854775808.0,
                             2147483648.0,
                             -2147483649.0,
                             255.999,
                             256.0,
                             -0.5};
    for (int i = 0; i < 100000; ++i) {
      const float f = f32_of(static_cast<uint32_t>(rng()) & 0xffff8000u | 0x8000u);  // a bf16 tie
      const float g = f32_of(static_cast<uint32_t>(rng()) & 0xffffe000u | 0x1000u);  // an f16 tie
      for (double base : {static_cast<double>(f), static_cast<double>(g)})
        for (double rel : {0.0, 1e-12, -1e-12, 1e-9, -1e-9}) v.push_back(base * (1.0 + rel));
    }
    for (int i = 0; i < 100000; ++i) {
      uint64_t b = rng();
      double d;
      std::memcpy(&d, &b, 8);
      v.push_back(d);
      v.push_back(std::ldexp(static_cast<double>(rng() % 2000000) / 1000000.0 - 1.0, static_cast<int>(rng() % 66)));
    }
    sources.push_back(Tensor::from_vector(v, {static_cast<int64_t>(v.size())}));
  }
  {  // bf16 and f16: every pattern
    std::vector<uint16_t> all(65536);
    for (uint32_t i = 0; i < 65536; ++i) all[i] = static_cast<uint16_t>(i);
    sources.push_back(from_raw(all, DType::bf16));
    sources.push_back(from_raw(all, DType::f16));
  }
  {  // integers: extremes, float ties, random bits, every u8
    std::vector<int32_t> i32 = {0,   -1,  1,    INT32_MIN, INT32_MAX, 16777217, 16777219,
                                257, 259, 2049, 2051,      65520,     -65520};
    std::vector<int64_t> i64 = {0,        -1, INT64_MIN, INT64_MAX, (1LL << 53) + 1, (1LL << 53) + 3, (1LL << 32) + 5,
                                1LL << 31};
    for (int i = 0; i < 100000; ++i) {
      i32.push_back(static_cast<int32_t>(rng()));
      i32.push_back(static_cast<int32_t>(rng() % 200000) - 100000);
      i64.push_back(static_cast<int64_t>(rng()));
      i64.push_back(static_cast<int64_t>(rng() >> (rng() % 64)) * (rng() % 2 ? 1 : -1));
    }
    std::vector<uint8_t> u8(256);
    for (int i = 0; i < 256; ++i) u8[static_cast<size_t>(i)] = static_cast<uint8_t>(i);
    sources.push_back(Tensor::from_vector(i32, {static_cast<int64_t>(i32.size())}));
    sources.push_back(Tensor::from_vector(i64, {static_cast<int64_t>(i64.size())}));
    sources.push_back(Tensor::from_vector(u8, {256}));
  }
  for (const Tensor& x : sources) {
    const Tensor xg = x.to(xlm::test::gpu());
    for (DType to : kAll) {
      const Tensor want = cast(x, to);
      const Tensor got = cast(xg, to).to(Device::cpu());
      const size_t elem = dtype_size(to);
      const auto* pw = static_cast<const unsigned char*>(want.data_ptr());
      const auto* pg = static_cast<const unsigned char*>(got.data_ptr());
      long bad = -1, count = 0;
      for (int64_t i = 0; i < x.numel(); ++i) {
        if (std::memcmp(pw + i * elem, pg + i * elem, elem) != 0) {
          if (bad < 0) bad = static_cast<long>(i);
          ++count;
        }
      }
      INFO(dtype_name(x.dtype()) << " -> " << dtype_name(to) << ": " << count << " of " << x.numel()
                                 << " differ, first at " << bad << " (source "
                                 << (bad >= 0 ? x.to_doubles()[static_cast<size_t>(bad)] : 0.0) << ", cpu "
                                 << (bad >= 0 ? want.to_doubles()[static_cast<size_t>(bad)] : 0.0) << ", cuda "
                                 << (bad >= 0 ? got.to_doubles()[static_cast<size_t>(bad)] : 0.0) << ")");
      CHECK(count == 0);
    }
  }
}
