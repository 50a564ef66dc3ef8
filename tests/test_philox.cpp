// Tests of the CPU Philox4x32-10 (core/philox.h): Random123's known-answer
// vectors for the block function (tests/kat_vectors of the Random123
// distribution; cuRAND's curand_Philox4x32_10 compiled for the host gives the
// same three answers), the cuRAND stream layout (offset -> block offset/4,
// lane offset%4, key = seed), the uniform mapping and its range (0, 1], and
// determinism. Bit identity with cuRAND's own code is tests/test_philox_curand.cu.
#include "core/philox.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <set>

using namespace xlm;

namespace {
void check_block(Philox4 got, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  CHECK(got.v[0] == a);
  CHECK(got.v[1] == b);
  CHECK(got.v[2] == c);
  CHECK(got.v[3] == d);
}
}  // namespace

TEST_CASE("philox: Random123 known-answer vectors for Philox4x32-10", "[philox]") {
  check_block(philox4x32_10(0, 0, 0, 0, 0, 0), 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u);
  check_block(philox4x32_10(~0u, ~0u, ~0u, ~0u, ~0u, ~0u), 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu);
  check_block(philox4x32_10(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u),
              0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u);
}

TEST_CASE("philox: the draw at seed and offset is lane offset%4 of block offset/4 keyed by the seed", "[philox]") {
  // seed 0, offsets 0..3: the all-zero known answer, lane by lane.
  CHECK(philox_bits(0, 0) == 0x6627e8d5u);
  CHECK(philox_bits(0, 1) == 0xe169c58du);
  CHECK(philox_bits(0, 2) == 0xbc57ac4cu);
  CHECK(philox_bits(0, 3) == 0x9b00dbd8u);
  // The block index is 64 bits wide: counter words (lo, hi), seed words (lo, hi).
  const uint64_t seed = 0x0123456789abcdefULL;
  for (uint64_t offset : {uint64_t{5}, (uint64_t{1} << 34) + 6, (uint64_t{1} << 34) - 1, ~uint64_t{0}}) {
    const uint64_t block = offset / 4;
    const Philox4 r = philox4x32_10(static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0, 0,
                                    0x89abcdefu, 0x01234567u);
    INFO("offset " << offset);
    CHECK(philox_bits(seed, offset) == r.v[offset % 4]);
  }
}

TEST_CASE("philox: uniforms are float(x) * 2^-32 + 2^-33 rounded once and never 0 or above 1", "[philox]") {
  CHECK(philox_uniform_from_bits(0u) == 0x1p-33f);
  CHECK(philox_uniform_from_bits(0xffffffffu) == 1.0f);
  CHECK(philox_uniform_from_bits(0x80000000u) == 0.5f);  // 0.5 + 2^-33 rounds to 0.5
  std::mt19937 rng(11);
  for (int i = 0; i < 100000; ++i) {
    const uint32_t x = static_cast<uint32_t>(rng());
    // float(x) * 2^-32 is exact, so the double sum is exact and one rounding to float remains.
    const float want = static_cast<float>(static_cast<double>(static_cast<float>(x)) * 0x1p-32 + 0x1p-33);
    REQUIRE(philox_uniform_from_bits(x) == want);
  }
  double sum = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    const float u = philox_uniform(42, static_cast<uint64_t>(i));
    REQUIRE(u > 0.0f);
    REQUIRE(u <= 1.0f);
    sum += u;
  }
  // Mean of n uniforms: standard deviation sqrt(1/12/n) ~ 0.0009; allow 5 sigma.
  CHECK(std::abs(sum / n - 0.5) < 0.0046);
}

TEST_CASE("philox: draws are deterministic and depend on both seed and offset", "[philox]") {
  std::set<uint32_t> seen;
  for (uint64_t offset = 0; offset < 4096; ++offset) {
    const uint32_t a = philox_bits(7, offset);
    REQUIRE(a == philox_bits(7, offset));
    seen.insert(a);
  }
  CHECK(seen.size() == 4096);  // no repeats in a short window (a collision has probability ~2e-3)
  int same = 0;
  for (uint64_t offset = 0; offset < 1000; ++offset) same += philox_bits(7, offset) == philox_bits(8, offset);
  CHECK(same == 0);
  CHECK(philox_uniform(123, 456) == philox_uniform_from_bits(philox_bits(123, 456)));
}
