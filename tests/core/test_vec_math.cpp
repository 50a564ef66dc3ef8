// The vectorisable float exp/erf of core/vec_math.h against double std::exp /
// std::erf over dense sweeps (every 16th or 64th float of the range, plus the
// edges and special values), and the batched Philox of core/philox_batch.h
// against the scalar block function. The bounds asserted are the documented
// accuracy (docs/numerics.md): ~1 ulp, i.e. at most 1.5 ulp measured.
#include "core/philox.h"
#include "core/philox_batch.h"
#include "core/vec_math.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <utility>
#include <vector>

using namespace xlm;

namespace {

// |got - want| in units of the float spacing at want.
double ulps(float got, double want) {
  const float w = static_cast<float>(want);
  const double spacing = static_cast<double>(std::nextafter(std::fabs(w), INFINITY)) - std::fabs(w);
  return std::fabs(static_cast<double>(got) - want) / spacing;
}

}  // namespace

TEST_CASE("vec::exp is within 1.5 ulp of exp over the normal range", "[vec_math]") {
  double worst = 0;
  auto check = [&](float x) { worst = std::max(worst, ulps(vec::exp(x), std::exp(static_cast<double>(x)))); };
  for (float x = -87.3f; x < 88.7f; x += 1.0f / 8192.0f) check(x);
  for (float x = 1e-30f; x < 1e-3f; x *= 1.001f) { check(x); check(-x); }
  CHECK(worst <= 1.5);
  CHECK(vec::exp(0.0f) == 1.0f);
  CHECK(vec::exp(-1e-30f) == 1.0f);
  CHECK(vec::exp(89.0f) == INFINITY);
  CHECK(vec::exp(INFINITY) == INFINITY);
  CHECK(vec::exp(-INFINITY) == 0.0f);
  CHECK(vec::exp(-110.0f) == 0.0f);
  CHECK(std::isnan(vec::exp(std::numeric_limits<float>::quiet_NaN())));
  CHECK(std::isnan(vec::exp(-std::numeric_limits<float>::quiet_NaN())));
  // Subnormal results: absolute error far below the smallest normal.
  CHECK(std::fabs(vec::exp(-95.0f) - std::exp(-95.0)) < 1e-41);
}

TEST_CASE("vec::erf is within 1.5 ulp and 1e-7 absolute of erf", "[vec_math]") {
  double worst_ulp = 0, worst_abs = 0, worst_rel = 0;
  auto check = [&](float x) {
    const double want = std::erf(static_cast<double>(x));
    const float got = vec::erf(x);
    worst_ulp = std::max(worst_ulp, ulps(got, want));
    worst_abs = std::max(worst_abs, std::fabs(got - want));
    if (std::fabs(x) > 1e-30f) worst_rel = std::max(worst_rel, std::fabs(got - want) / std::fabs(want));
  };
  for (float x = -6.0f; x < 6.0f; x += 1.0f / 65536.0f) check(x);                // dense around the branch points
  for (float x = 1e-30f; x < 1e-3f; x *= 1.001f) { check(x); check(-x); }       // the small-x end
  CHECK(worst_ulp <= 1.5);
  CHECK(worst_abs <= 1e-7);
  CHECK(worst_rel <= 1.2e-7);
  CHECK(vec::erf(0.0f) == 0.0f);
  CHECK(vec::erf(4.0f) == 1.0f);
  CHECK(vec::erf(-30.0f) == -1.0f);
  CHECK(vec::erf(INFINITY) == 1.0f);
  CHECK(vec::erf(-INFINITY) == -1.0f);
  CHECK(std::isnan(vec::erf(std::numeric_limits<float>::quiet_NaN())));
  // Odd: erf(-x) == -erf(x) exactly.
  for (float x = 0.01f; x < 5.0f; x += 0.37f) CHECK(vec::erf(-x) == -vec::erf(x));
}

TEST_CASE("philox_batch_bits equals the scalar block function", "[vec_math][philox]") {
  // Every version this CPU can run: the portable one always, the AVX-512 one
  // where the CPU has it (philox_batch_bits itself picks one of them).
  std::vector<std::pair<const char*, void (*)(uint64_t, uint64_t, uint32_t*)>> versions = {
      {"picked", philox_batch_bits}, {"portable", philox_batch_bits_portable}};
  if (philox_batch_avx512_available()) versions.emplace_back("avx512", philox_batch_bits_avx512);
  for (const auto& [name, batch_bits] : versions) {
    INFO("version " << name);
    std::mt19937_64 gen(5);
    for (int trial = 0; trial < 20; ++trial) {
      const uint64_t seed = gen();
      // Low and high block words both exercised, including a carry into the high
      // word inside the batch (trial 1) and at the very end of the counter space
      // (trial 2). Offsets 4 * block must fit in 64 bits for philox_bits below.
      const uint64_t first = trial == 0   ? 0
                             : trial == 1 ? 0xFFFFFFF8ull
                             : trial == 2 ? (uint64_t{1} << 62) - kPhiloxBatch
                                          : gen() >> (trial % 3 == 0 ? 2 : 30);
      uint32_t bits[4 * kPhiloxBatch];
      batch_bits(seed, first, bits);
      for (int j = 0; j < kPhiloxBatch; ++j) {
        const uint64_t block = first + static_cast<uint64_t>(j);
        const Philox4 r = philox4x32_10(static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0u, 0u,
                                        static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
        for (int w = 0; w < 4; ++w) REQUIRE(bits[4 * j + w] == r.v[w]);
        for (int w = 0; w < 4; ++w)
          REQUIRE(bits[4 * j + w] == philox_bits(seed, 4 * block + static_cast<uint64_t>(w)));
      }
    }
  }
}

TEST_CASE("philox_keep_from turns the float keep test into an integer one", "[vec_math][philox]") {
  for (float t : {0.0f, 1e-12f, 0.1f, 0.25f, 0.5f, 0.7f, 0.999f, std::nextafter(1.0f, 0.0f)}) {
    const uint64_t from = philox_keep_from(t);
    REQUIRE(from <= UINT32_MAX);
    CHECK(philox_uniform_from_bits(static_cast<uint32_t>(from)) > t);
    if (from > 0) CHECK_FALSE(philox_uniform_from_bits(static_cast<uint32_t>(from - 1)) > t);
  }
  CHECK(philox_keep_from(-1.0f) == 0);                    // everything kept
  CHECK(philox_keep_from(1.0f) == (uint64_t{1} << 32));   // nothing kept: u <= 1 always
}
