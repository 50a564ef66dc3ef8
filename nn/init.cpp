// Host-side initialisation draws; see init.h for the scheme.
#include "nn/init.h"

#include "core/fnv1a.h"
#include "core/philox.h"

#include <cmath>
#include <vector>

namespace xlm::nn {

uint32_t InitRng::next_word() {
  const uint64_t block = counter_ >> 2;
  const Philox4 r = philox4x32_10(static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32),
                                  static_cast<uint32_t>(stream_), static_cast<uint32_t>(stream_ >> 32),
                                  static_cast<uint32_t>(seed_), static_cast<uint32_t>(seed_ >> 32));
  const uint32_t word = r.v[counter_ & 3];
  ++counter_;
  return word;
}

double InitRng::uniform() {
  const uint64_t hi = next_word() >> 5;  // 27 bits
  const uint64_t lo = next_word() >> 6;  // 26 bits
  const uint64_t bits = (hi << 26) | lo;  // 53 bits
  return (static_cast<double>(bits) + 1.0) * 0x1p-53;  // (0, 1]
}

double InitRng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  const double u1 = uniform(), u2 = uniform();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  constexpr double kTwoPi = 6.283185307179586476925;
  const double angle = kTwoPi * u2;
  spare_ = radius * std::sin(angle);
  has_spare_ = true;
  return radius * std::cos(angle);
}

uint64_t init_stream_id(const std::string& name) { return fnv1a64(name.data(), name.size()); }

Tensor init_normal(const Shape& shape, double std, uint64_t seed, const std::string& name, DType dtype, Device device,
                   int64_t zero_row) {
  InitRng rng(seed, init_stream_id(name));
  std::vector<double> values(static_cast<size_t>(shape_numel(shape)));
  for (double& v : values) v = std * rng.normal();
  if (zero_row >= 0 && shape.size() == 2) {
    const size_t cols = static_cast<size_t>(shape[1]);
    for (size_t c = 0; c < cols; ++c) values[static_cast<size_t>(zero_row) * cols + c] = 0.0;
  }
  return Tensor::from_doubles(values, shape, dtype, device);
}

Tensor init_uniform(const Shape& shape, double bound, uint64_t seed, const std::string& name, DType dtype,
                    Device device) {
  InitRng rng(seed, init_stream_id(name));
  std::vector<double> values(static_cast<size_t>(shape_numel(shape)));
  for (double& v : values) v = bound * (2.0 * rng.uniform() - 1.0);
  return Tensor::from_doubles(values, shape, dtype, device);
}

}  // namespace xlm::nn
