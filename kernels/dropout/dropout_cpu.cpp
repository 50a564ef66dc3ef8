// CPU reference for dropout: one Philox draw per element, in flat order, with
// the same keep test and scale as the CUDA twin (core/philox.h is the shared
// definition of the random stream). Draws come kPhiloxBatch blocks (128 draws)
// at a time from philox_batch_bits, whose rounds vectorise; the keep test
// "u > threshold" is the equivalent integer test "bits >= keep_from"
// (philox_keep_from), so the masking loop vectorises too. Element i still gets
// exactly philox_uniform(seed, offset + i): the first and last batch of a range
// just use part of their words. Ranges are split over threads by
// parallel_for; every element depends only on its own offset, so the result
// does not depend on the thread count.
#include "core/cpu_parallel.h"
#include "core/dispatch.h"
#include "core/philox_batch.h"
#include "core/vec_math.h"
#include "kernels/dropout/dropout.h"

#include <algorithm>
#include <type_traits>

namespace xlm {

namespace {

constexpr int64_t kDraws = 4 * kPhiloxBatch;
constexpr int64_t kGrain = 1 << 14;  // elements per thread at least

// Calls f(i0, bits, count): bits[k] is the Philox draw of offset + i0 + k, for
// k in [0, count), covering [begin, end) in order, at most kDraws per call.
template <typename F>
void for_each_draw_run(uint64_t seed, uint64_t offset, int64_t begin, int64_t end, F&& f) {
  alignas(64) uint32_t bits[kDraws];
  int64_t i = begin;
  while (i < end) {
    const uint64_t at = offset + static_cast<uint64_t>(i);
    const uint64_t first_draw = at / kDraws * kDraws;  // a batch starts at a multiple of kDraws draws
    philox_batch_bits(seed, first_draw / 4, bits);
    const int64_t skip = static_cast<int64_t>(at - first_draw);
    const int64_t count = std::min<int64_t>(kDraws - skip, end - i);
    f(i, bits + skip, count);
    i += count;
  }
}

// ys[k] = bits[k] >= from ? xs[k] * s : 0, k in [0, count). A bitwise
// select: a ?: on floats stays scalar under -ftrapping-math.
XLM_VEC_CLONES void apply_f32(const float* xs, float* ys, const uint32_t* bits, int64_t count, uint32_t from,
                              float s) {
  for (int64_t k = 0; k < count; ++k) ys[k] = vec::select(vec::mask(bits[k] >= from), xs[k] * s, 0.0f);
}

}  // namespace

void dropout_forward_cpu(const Tensor& x, float threshold, double scale, uint64_t seed, uint64_t offset, Tensor& y) {
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "dropout", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());  // (n,)
    T* py = static_cast<T*>(y.data_ptr());              // (n,)
    const T s = static_cast<T>(scale);
    const uint64_t keep_from = philox_keep_from(threshold);
    if (keep_from > UINT32_MAX) {  // nothing is kept
      std::fill(py, py + x.numel(), T(0));
      return;
    }
    const uint32_t from = static_cast<uint32_t>(keep_from);
    parallel_for(x.numel(), kGrain, [&](int64_t begin, int64_t end) {
      for_each_draw_run(seed, offset, begin, end, [&](int64_t i0, const uint32_t* bits, int64_t count) {
        const T* xs = px + i0;
        T* ys = py + i0;
        if constexpr (std::is_same_v<T, float>) {
          apply_f32(xs, ys, bits, count, from, s);
        } else {
          for (int64_t k = 0; k < count; ++k) ys[k] = bits[k] >= from ? xs[k] * s : T(0);
        }
      });
    });
  });
}

void dropout_mask_cpu(float threshold, uint64_t seed, uint64_t offset, Tensor& mask) {
  uint8_t* m = mask.data<uint8_t>();  // (n,)
  const uint64_t keep_from = philox_keep_from(threshold);
  if (keep_from > UINT32_MAX) {  // nothing is kept
    std::fill(m, m + mask.numel(), uint8_t{0});
    return;
  }
  const uint32_t from = static_cast<uint32_t>(keep_from);
  parallel_for(mask.numel(), kGrain, [&](int64_t begin, int64_t end) {
    for_each_draw_run(seed, offset, begin, end, [&](int64_t i0, const uint32_t* bits, int64_t count) {
      uint8_t* ms = m + i0;
      for (int64_t k = 0; k < count; ++k) ms[k] = bits[k] >= from ? 1 : 0;
    });
  });
}

}  // namespace xlm
