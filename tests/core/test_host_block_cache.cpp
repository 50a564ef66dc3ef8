// The host block cache behind CPU tensors: size classes bound the waste, a
// freed block is handed out again for the same class, small blocks bypass
// the cache, and tensors built on reused blocks hold what is written to them.
#include "core/host_block_cache.h"
#include "core/tensor.h"
#include "support.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>

using namespace xlm;

TEST_CASE("host block classes: multiples of 64, at most 12.5% over above 1 MiB", "[core][alloc]") {
  CHECK(host_block_class(0) == 64);
  CHECK(host_block_class(1) == 64);
  CHECK(host_block_class(65) == 128);
  CHECK(host_block_class(1 << 20) == (1 << 20));
  size_t previous = 0;
  for (size_t bytes = 1; bytes < (size_t{1} << 28); bytes = bytes * 5 / 4 + 7) {
    const size_t c = host_block_class(bytes);
    INFO(bytes << " -> " << c);
    CHECK(c >= bytes);
    CHECK(c % 64 == 0);
    CHECK(c >= previous);  // monotone
    if (bytes > (size_t{1} << 20)) CHECK(static_cast<double>(c) <= 1.125 * static_cast<double>(bytes));
    previous = c;
  }
  // Nearby sizes share a class (the varying MLM logits).
  CHECK(host_block_class(10'000'000) == host_block_class(10'100'000));
}

TEST_CASE("host block cache: a freed block is reused for its class, small ones are not cached", "[core][alloc]") {
#if defined(__SANITIZE_ADDRESS__)
  SUCCEED("the cache is off under AddressSanitizer");
#else
  const size_t bytes = 3 << 20;
  void* a = host_block_allocate(bytes);
  REQUIRE(a != nullptr);
  CHECK(reinterpret_cast<uintptr_t>(a) % 64 == 0);
  const size_t before = host_block_cached_bytes();
  host_block_free(a, bytes);
  CHECK(host_block_cached_bytes() == before + host_block_class(bytes));
  void* b = host_block_allocate(bytes - 1000);  // same class
  CHECK(b == a);
  CHECK(host_block_cached_bytes() == before);
  host_block_free(b, bytes - 1000);

  void* small = host_block_allocate(1000);
  const size_t with_small = host_block_cached_bytes();
  host_block_free(small, 1000);
  CHECK(host_block_cached_bytes() == with_small);
#endif
}

TEST_CASE("tensors on reused host blocks hold their own values", "[core][alloc]") {
  {
    Tensor t = Tensor::full({512, 512}, 3.0, DType::f32);  // 1 MiB, cached when freed
    CHECK(t.to_doubles()[12345] == 3.0);
  }
  const Tensor z = Tensor::zeros({512, 512}, DType::f32);  // likely the same block: must read zeros
  const auto v = z.to_doubles();
  CHECK(std::all_of(v.begin(), v.end(), [](double x) { return x == 0.0; }));
}
