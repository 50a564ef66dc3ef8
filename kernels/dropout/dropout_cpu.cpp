// CPU reference for dropout: one Philox draw per element, in flat order, with
// the same keep test and scale as the CUDA twin (core/philox.h is the shared
// definition of the random stream). One Philox block gives the four draws of
// offsets 4k..4k+3, so the loop walks blocks and uses every word of each:
// the same numbers as philox_uniform(seed, offset + i), at a quarter of the
// block computations (dropout on the attention weights is a large share of a
// CPU training step).
#include "core/dispatch.h"
#include "core/philox.h"
#include "kernels/dropout/dropout.h"

namespace xlm {

namespace {

// Calls f(i, philox_uniform(seed, offset + i)) for i in [0, n), in order.
template <typename F>
void for_each_uniform(uint64_t seed, uint64_t offset, int64_t n, F&& f) {
  int64_t i = 0;
  while (i < n) {
    const uint64_t at = offset + static_cast<uint64_t>(i);
    const uint64_t block = at >> 2;
    const Philox4 r = philox4x32_10(static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0u, 0u,
                                    static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
    for (uint64_t word = at & 3; word < 4 && i < n; ++word, ++i) f(i, philox_uniform_from_bits(r.v[word]));
  }
}

}  // namespace

void dropout_forward_cpu(const Tensor& x, float threshold, double scale, uint64_t seed, uint64_t offset, Tensor& y) {
  XLM_DISPATCH_CPU_FLOAT(x.dtype(), "dropout", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x.data_ptr());
    T* py = static_cast<T*>(y.data_ptr());
    const T s = static_cast<T>(scale);
    for_each_uniform(seed, offset, x.numel(), [&](int64_t i, float u) { py[i] = u > threshold ? px[i] * s : T(0); });
  });
}

void dropout_mask_cpu(float threshold, uint64_t seed, uint64_t offset, Tensor& mask) {
  uint8_t* m = mask.data<uint8_t>();
  for_each_uniform(seed, offset, mask.numel(), [&](int64_t i, float u) { m[i] = u > threshold ? 1 : 0; });
}

}  // namespace xlm
