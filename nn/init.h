// Deterministic parameter initialisation from a seed, identical on every
// device and dtype: values are drawn on the host in double precision and only
// then rounded to the parameter's dtype and copied to its device.
//
// The generator is Philox4x32-10 (core/philox.h) keyed by the model's seed;
// each parameter uses its own Philox subsequence (counter words 2-3 = a 64-bit
// FNV-1a hash of the parameter's XLM name), so adding or reordering parameters
// never changes the values of the others. A uniform in (0, 1] takes two
// 32-bit words (53 bits of mantissa); normals come from Box-Muller on two
// uniforms (Box & Muller, 1958), both outputs used.
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <string>

namespace xlm::nn {

class InitRng {
 public:
  InitRng(uint64_t seed, uint64_t stream) : seed_(seed), stream_(stream) {}
  double uniform();  // (0, 1]
  double normal();   // N(0, 1)

 private:
  uint32_t next_word();
  uint64_t seed_;
  uint64_t stream_;
  uint64_t counter_ = 0;  // index of the next 32-bit word in the subsequence
  bool has_spare_ = false;
  double spare_ = 0;
};

// The subsequence of a parameter: 64-bit FNV-1a of its name.
uint64_t init_stream_id(const std::string& name);

// N(0, std^2) values, then `zero_row` (if >= 0) of a 2-D table set to 0.
Tensor init_normal(const Shape& shape, double std, uint64_t seed, const std::string& name, DType dtype, Device device,
                   int64_t zero_row = -1);
// U(-bound, bound) values.
Tensor init_uniform(const Shape& shape, double bound, uint64_t seed, const std::string& name, DType dtype,
                    Device device);

}  // namespace xlm::nn
