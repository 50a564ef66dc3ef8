// Bit identity of core/philox.h with cuRAND's own Philox4_32_10 code, checked
// on the host without a GPU. cuRAND's device API is header-only and declares
// its functions through the QUALIFIERS macro (default `static __forceinline__
// __device__`); predefining it with __host__ added compiles the very same
// curand_init / skipahead / curand / curand_uniform4 for the host (mulhilo32
// takes its NV_IS_HOST branch, a 64-bit product: the same value __umulhi
// gives). So the sequence logic the dropout kernel relies on, including the
// 4-wide draws that straddle blocks and the counter carry past 2^32 blocks, is
// compared here against philox_bits / philox_uniform. CUDA builds only
// (tests/*.cu); the [cuda] test at the end compares real GPU masks.
#define QUALIFIERS static __forceinline__ __host__ __device__
#include <curand_kernel.h>

#include "core/philox.h"
#include "kernels/dropout/dropout.h"
#include "support.h"

#include <cstdint>
#include <random>
#include <vector>

using namespace xlm;

namespace {

std::vector<uint64_t> test_offsets() {
  std::vector<uint64_t> offsets = {0, 1, 2, 3, 4, 5, 6, 7, 1001, 4099};
  // Around the carry from counter word 0 into word 1 (block 2^32 - 1 -> 2^32), every lane.
  for (uint64_t r = 0; r < 8; ++r) offsets.push_back((uint64_t{1} << 34) - 8 + r);
  offsets.push_back((uint64_t{1} << 40) + 3);
  offsets.push_back((uint64_t{0x5a5a5a5a} << 32) + 0xfffffffeULL);
  offsets.push_back(~uint64_t{0} - 63);  // far end, still inside subsequence 0 for the draws below
  std::mt19937_64 rng(5);
  for (int i = 0; i < 40; ++i) offsets.push_back(rng());
  for (uint64_t& o : offsets) o = o > ~uint64_t{0} - 63 ? ~uint64_t{0} - 63 : o;
  return offsets;
}

std::vector<uint64_t> test_seeds() {
  std::vector<uint64_t> seeds = {0, 1, 42, 0xffffffffULL, 0x100000000ULL, ~uint64_t{0}};
  std::mt19937_64 rng(9);
  for (int i = 0; i < 20; ++i) seeds.push_back(rng());
  return seeds;
}

}  // namespace

TEST_CASE("philox vs cuRAND (host-compiled): block function", "[philox][curand]") {
  std::mt19937 rng(3);
  for (int i = 0; i < 20000; ++i) {
    const uint4 c = make_uint4(rng(), rng(), rng(), rng());
    const uint2 k = make_uint2(rng(), rng());
    const uint4 want = curand_Philox4x32_10(c, k);
    const Philox4 got = philox4x32_10(c.x, c.y, c.z, c.w, k.x, k.y);
    REQUIRE(got.v[0] == want.x);
    REQUIRE(got.v[1] == want.y);
    REQUIRE(got.v[2] == want.z);
    REQUIRE(got.v[3] == want.w);
  }
}

TEST_CASE("philox vs cuRAND (host-compiled): curand_init + curand / curand_uniform sequences", "[philox][curand]") {
  for (uint64_t seed : test_seeds()) {
    for (uint64_t offset : test_offsets()) {
      INFO("seed " << seed << " offset " << offset);
      curandStatePhilox4_32_10_t bits_state, uniform_state;
      curand_init(seed, 0ULL, offset, &bits_state);
      curand_init(seed, 0ULL, offset, &uniform_state);
      for (uint64_t j = 0; j < 13; ++j) {
        REQUIRE(curand(&bits_state) == philox_bits(seed, offset + j));
        REQUIRE(curand_uniform(&uniform_state) == philox_uniform(seed, offset + j));
      }
    }
  }
}

TEST_CASE("philox vs cuRAND (host-compiled): the dropout kernel draw curand_init(offset + 4k) then curand_uniform4",
          "[philox][curand]") {
  for (uint64_t seed : test_seeds()) {
    for (uint64_t offset : test_offsets()) {
      for (uint64_t k : {uint64_t{0}, uint64_t{1}, uint64_t{7}}) {
        INFO("seed " << seed << " offset " << offset << " group " << k);
        curandStatePhilox4_32_10_t state;
        curand_init(seed, 0ULL, offset + 4 * k, &state);
        const float4 u = curand_uniform4(&state);
        REQUIRE(u.x == philox_uniform(seed, offset + 4 * k + 0));
        REQUIRE(u.y == philox_uniform(seed, offset + 4 * k + 1));
        REQUIRE(u.z == philox_uniform(seed, offset + 4 * k + 2));
        REQUIRE(u.w == philox_uniform(seed, offset + 4 * k + 3));
        // A second curand_uniform4 from the same state continues the stream.
        const float4 v = curand_uniform4(&state);
        REQUIRE(v.x == philox_uniform(seed, offset + 4 * k + 4));
        REQUIRE(v.w == philox_uniform(seed, offset + 4 * k + 7));
      }
    }
  }
}

TEST_CASE("dropout masks: CUDA equals the CPU Philox twin bit for bit", "[dropout][cuda]") {
  XLM_REQUIRE_GPU();
  struct Case {
    uint64_t seed, offset;
    Shape shape;
    double p;
  };
  for (const Case& c : {Case{0, 0, {1}, 0.5}, Case{1, 3, {7}, 0.1}, Case{42, 4099, {3, 5, 7}, 0.3},
                        Case{0xdeadbeefULL, (uint64_t{1} << 34) - 6, {1000}, 0.5},
                        Case{~uint64_t{0}, 123456789, {64, 129}, 0.9}, Case{77, 2, {100003}, 0.1}}) {
    INFO("seed " << c.seed << " offset " << c.offset << " shape " << shape_str(c.shape) << " p " << c.p);
    const auto cpu = dropout_mask(c.shape, c.p, c.seed, c.offset, Device::cpu()).to_vector<uint8_t>();
    const auto gpu = dropout_mask(c.shape, c.p, c.seed, c.offset, Device::cuda(0)).to_vector<uint8_t>();
    REQUIRE(cpu.size() == gpu.size());
    size_t mismatches = 0;
    for (size_t i = 0; i < cpu.size(); ++i) mismatches += cpu[i] != gpu[i];
    CHECK(mismatches == 0);
    // And the applied dropout (f32): identical masks and the same fp32 scale give identical values.
    const Tensor x = Tensor::from_doubles(std::vector<double>(cpu.size(), 1.5), c.shape, DType::f32);
    const auto y_cpu = dropout(x, c.p, c.seed, c.offset).to_vector<float>();
    const auto y_gpu = dropout(x.to(Device::cuda(0)), c.p, c.seed, c.offset).to_vector<float>();
    CHECK(y_cpu == y_gpu);
  }
}
