// Counter-based randomness for dropout. The dropout ops draw element i of a
// mask from philox(seed, offset + i) (core/philox.h), so a mask is fully
// described by two integers and can be regenerated in the backward pass or on
// another device. A stream only hands out disjoint offset ranges: the model
// asks it for numel() numbers before each dropout, and saving (seed, offset)
// in a checkpoint is enough to replay every later mask exactly.
#pragma once

#include <cstdint>

namespace xlm::nn {

class PhiloxStream {
 public:
  explicit PhiloxStream(uint64_t seed = 0, uint64_t offset = 0) : seed_(seed), offset_(offset) {}
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  // Reserves n numbers and returns the offset of the first.
  uint64_t take(uint64_t n);

 private:
  uint64_t seed_;
  uint64_t offset_;
};

}  // namespace xlm::nn
