// The GEMM plan cache's host side (kernels/matmul/gemm_plan_cache.h): the
// alignment rule the cuBLASLt heuristic is given, a key that changes with
// every input a plan depends on and with nothing else, and the cache's
// bookkeeping (one make per key, the flush at capacity, a throwing make).
// The CUDA matmul's use of it is tested in tests/test_gemm_plan_cache.cu.
#include "kernels/matmul/gemm_plan_cache.h"

#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

using namespace xlm;

namespace {

const void* at(uintptr_t address) { return reinterpret_cast<const void*>(address); }

MatmulDims dims(int64_t m, int64_t k, int64_t n) {
  MatmulDims d;
  d.m = m;
  d.k = k;
  d.n = n;
  return d;
}

GemmOperands operands() {
  GemmOperands op;
  op.a = at(0x10000);
  op.b = at(0x20000);
  op.c = at(0x30000);
  return op;
}

GemmPlanKey key_of(int device, DType dtype, const MatmulDims& d, int64_t batch, const GemmOperands& op) {
  return gemm_plan_key(device, dtype, d, batch, op, gemm_alignments(dtype, batch, op));
}

// A plan that counts how many of its kind are alive.
struct CountedPlan {
  static int alive;
  int id;
  explicit CountedPlan(int i) : id(i) { ++alive; }
  ~CountedPlan() { --alive; }
};
int CountedPlan::alive = 0;

}  // namespace

TEST_CASE("gemm plan cache: alignment is the largest power of two up to 256 dividing address and batch stride",
          "[matmul][gemm_plan]") {
  CHECK(gemm_alignment(0x1000, 0, 1) == 256);
  CHECK(gemm_alignment(0x1080, 0, 1) == 128);
  CHECK(gemm_alignment(0x1002, 0, 1) == 2);
  CHECK(gemm_alignment(0x1001, 0, 1) == 1);
  CHECK(gemm_alignment(0, 0, 1) == 256);
  // A batch stride of 6 bytes leaves every other matrix 2-byte aligned only.
  CHECK(gemm_alignment(0x1000, 6, 2) == 2);
  CHECK(gemm_alignment(0x1000, 6, 1) == 256);  // one matrix: the stride is never used
  CHECK(gemm_alignment(0x1000, 64 * 2, 4) == 128);
}

TEST_CASE("gemm plan cache: the key changes with every input of a plan and only with those", "[matmul][gemm_plan]") {
  const MatmulDims base_dims = dims(64, 128, 256);
  const GemmOperands base_op = operands();
  const GemmPlanKey base = key_of(0, DType::bf16, base_dims, 1, base_op);
  const GemmPlanKeyHash hash;

  // Same inputs, other pointers of the same alignment: the same key and hash.
  GemmOperands moved = base_op;
  moved.a = at(0x90000);
  moved.b = at(0x80100);
  moved.c = at(0x70200);
  const GemmPlanKey same = key_of(0, DType::bf16, base_dims, 1, moved);
  CHECK(same == base);
  CHECK(hash(same) == hash(base));
  // Strides do not matter without a batch.
  GemmOperands strided = base_op;
  strided.stride_a = 7;
  strided.stride_b = 9;
  strided.stride_c = 11;
  CHECK(key_of(0, DType::bf16, base_dims, 1, strided) == base);

  std::vector<std::pair<const char*, GemmPlanKey>> changed;
  changed.emplace_back("device", key_of(1, DType::bf16, base_dims, 1, base_op));
  changed.emplace_back("dtype", key_of(0, DType::f16, base_dims, 1, base_op));
  changed.emplace_back("m", key_of(0, DType::bf16, dims(65, 128, 256), 1, base_op));
  changed.emplace_back("k", key_of(0, DType::bf16, dims(64, 129, 256), 1, base_op));
  changed.emplace_back("n", key_of(0, DType::bf16, dims(64, 128, 257), 1, base_op));
  changed.emplace_back("batch", key_of(0, DType::bf16, base_dims, 2, base_op));
  MatmulDims ta = base_dims;
  ta.transpose_a = true;
  changed.emplace_back("transpose_a", key_of(0, DType::bf16, ta, 1, base_op));
  MatmulDims tb = base_dims;
  tb.transpose_b = true;
  changed.emplace_back("transpose_b", key_of(0, DType::bf16, tb, 1, base_op));
  GemmOperands op = base_op;
  op.a = at(0x10002);
  changed.emplace_back("a's alignment", key_of(0, DType::bf16, base_dims, 1, op));
  op = base_op;
  op.b = at(0x20010);
  changed.emplace_back("b's alignment", key_of(0, DType::bf16, base_dims, 1, op));
  op = base_op;
  op.c = at(0x30040);
  changed.emplace_back("c's alignment", key_of(0, DType::bf16, base_dims, 1, op));
  op = base_op;
  op.epilogue = 2;
  op.bias = at(0x40000);
  changed.emplace_back("epilogue with a bias", key_of(0, DType::bf16, base_dims, 1, op));
  GemmOperands misaligned_bias = op;
  misaligned_bias.bias = at(0x40002);
  const GemmPlanKey with_bias = key_of(0, DType::bf16, base_dims, 1, op);
  CHECK_FALSE(key_of(0, DType::bf16, base_dims, 1, misaligned_bias) == with_bias);

  // With a batch, each stride is part of the key (directly and through the alignment).
  GemmOperands batched = base_op;
  batched.stride_a = 64 * 128;
  batched.stride_b = 128 * 256;
  batched.stride_c = 64 * 256;
  const GemmPlanKey batched_key = key_of(0, DType::bf16, base_dims, 3, batched);
  for (int which = 0; which < 3; ++which) {
    GemmOperands s = batched;
    (which == 0 ? s.stride_a : which == 1 ? s.stride_b : s.stride_c) += 128;  // alignment unchanged
    INFO("stride " << which);
    CHECK_FALSE(key_of(0, DType::bf16, base_dims, 3, s) == batched_key);
  }

  for (const auto& [what, key] : changed) {
    INFO(what);
    CHECK_FALSE(key == base);
    CHECK(hash(key) != hash(base));  // FNV-1a: a one-field change collides with probability ~2^-64
  }
}

TEST_CASE("gemm plan cache: one make per key, hits after, use's value returned", "[matmul][gemm_plan]") {
  GemmPlanCache<CountedPlan> cache(8);
  const GemmOperands op = operands();
  const GemmPlanKey k1 = key_of(0, DType::f32, dims(4, 5, 6), 1, op);
  const GemmPlanKey k2 = key_of(0, DType::f32, dims(4, 5, 7), 1, op);
  int made = 0;
  auto make = [&](int id) {
    return [&made, id] {
      ++made;
      return std::make_unique<CountedPlan>(id);
    };
  };
  auto id_of = [](CountedPlan& p) { return p.id; };
  CHECK(cache.with_plan(k1, make(1), id_of) == 1);
  CHECK(cache.with_plan(k1, make(99), id_of) == 1);  // a hit: make is not called
  CHECK(cache.with_plan(k2, make(2), id_of) == 2);
  CHECK(cache.with_plan(k2, make(98), id_of) == 2);
  CHECK(cache.with_plan(k1, make(97), id_of) == 1);
  CHECK(made == 2);
  const GemmPlanCacheStats s = cache.stats();
  CHECK(s.hits == 3);
  CHECK(s.misses == 2);
  CHECK(s.flushes == 0);
  CHECK(s.size == 2);
  // use may change the plan; the change stays with the key.
  cache.with_plan(k1, make(96), [](CountedPlan& p) { return p.id = 5; });
  CHECK(cache.with_plan(k1, make(95), id_of) == 5);
}

TEST_CASE("gemm plan cache: a miss on a full cache drops every plan first", "[matmul][gemm_plan]") {
  CountedPlan::alive = 0;
  {
    GemmPlanCache<CountedPlan> cache(3);
    const GemmOperands op = operands();
    auto key = [&](int64_t m) { return key_of(0, DType::f32, dims(m, 5, 6), 1, op); };
    auto make = [](int id) { return [id] { return std::make_unique<CountedPlan>(id); }; };
    auto id_of = [](CountedPlan& p) { return p.id; };
    for (int m = 1; m <= 3; ++m) cache.with_plan(key(m), make(m), id_of);
    CHECK(CountedPlan::alive == 3);
    CHECK(cache.with_plan(key(2), make(0), id_of) == 2);  // a hit on a full cache keeps everything
    CHECK(CountedPlan::alive == 3);
    CHECK(cache.with_plan(key(4), make(4), id_of) == 4);  // the fourth key: the three go
    CHECK(CountedPlan::alive == 1);
    GemmPlanCacheStats s = cache.stats();
    CHECK(s.size == 1);
    CHECK(s.flushes == 1);
    CHECK(s.misses == 4);
    CHECK(cache.with_plan(key(1), make(11), id_of) == 11);  // made again
    CHECK(cache.stats().size == 2);
  }
  CHECK(CountedPlan::alive == 0);  // the cache destroys what it holds
}

TEST_CASE("gemm plan cache: a make that throws leaves the cache as it was", "[matmul][gemm_plan]") {
  CountedPlan::alive = 0;
  GemmPlanCache<CountedPlan> cache(2);
  const GemmOperands op = operands();
  const GemmPlanKey k1 = key_of(0, DType::f32, dims(1, 2, 3), 1, op);
  const GemmPlanKey k2 = key_of(0, DType::f32, dims(2, 2, 3), 1, op);
  const GemmPlanKey k3 = key_of(0, DType::f32, dims(3, 2, 3), 1, op);
  auto id_of = [](CountedPlan& p) { return p.id; };
  cache.with_plan(k1, [] { return std::make_unique<CountedPlan>(1); }, id_of);
  cache.with_plan(k2, [] { return std::make_unique<CountedPlan>(2); }, id_of);
  auto failing = []() -> std::unique_ptr<CountedPlan> { throw std::runtime_error("descriptor refused"); };
  CHECK_THROWS_WITH(cache.with_plan(k3, failing, id_of), "descriptor refused");
  const GemmPlanCacheStats s = cache.stats();
  CHECK(s.size == 2);  // a full cache is not flushed for a plan that was never made
  CHECK(s.flushes == 0);
  CHECK(s.misses == 2);
  CHECK(CountedPlan::alive == 2);
  CHECK(cache.with_plan(k1, failing, id_of) == 1);  // still there: a hit
  // A use that throws leaves the plan in place, and the lock free.
  CHECK_THROWS(cache.with_plan(k2, failing, [](CountedPlan&) -> int { throw std::runtime_error("run failed"); }));
  CHECK(cache.with_plan(k2, failing, id_of) == 2);
}
