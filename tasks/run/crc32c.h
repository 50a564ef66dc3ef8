// CRC-32C (Castagnoli), the checksum TFRecord framing uses around every
// TensorBoard event. Own table-driven implementation (reflected polynomial
// 0x82F63B78): a few lines, no dependency, and nothing on a hot path needs
// the SSE4.2 instruction.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xlm::tasks {

// CRC-32C of `n` bytes, continuing from a previous result `crc` (0 to start).
// crc32c("123456789") == 0xE3069283.
uint32_t crc32c(const void* data, size_t n, uint32_t crc = 0);

// TFRecord's masked form: ((crc >> 15) | (crc << 17)) + 0xa282ead8.
uint32_t mask_crc32c(uint32_t crc);

}  // namespace xlm::tasks
