// PhiloxStream::take; see philox_stream.h. Offsets are rounded up to a
// multiple of 4 so that every mask starts on a fresh Philox block (one block
// yields 4 numbers); this keeps ranges disjoint and costs nothing.
#include "nn/philox_stream.h"

#include "core/error.h"

namespace xlm::nn {

uint64_t PhiloxStream::take(uint64_t n) {
  const uint64_t first = offset_;
  const uint64_t rounded = (n + 3) / 4 * 4;
  XLM_CHECK(offset_ + rounded >= offset_, ConfigError, "PhiloxStream: offset {} + {} overflows 64 bits", offset_,
            rounded);
  offset_ += rounded;
  return first;
}

}  // namespace xlm::nn
