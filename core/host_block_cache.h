// A cache of freed host blocks, so that a training step on the CPU reuses the
// previous step's buffers instead of returning them to the system: the
// allocator hands large blocks back with munmap and takes them again with
// mmap, and every re-take page-faults and zeroes each page (a visible share
// of a CPU step's time, as system time). Blocks are kept by size class,
// exact multiples of 64 bytes up to 1 MiB, then eight classes per power of
// two (at most 12.5% over the request), so the varying (N, V) logits of MLM
// steps still find a block. The cache holds at most kMaxCachedBytes; what
// would exceed it is freed. Only blocks of kMinCachedBytes or more are kept:
// malloc serves small ones well. Disabled under AddressSanitizer, which must
// see every free to catch a use after it.
#pragma once

#include <cstddef>

namespace xlm {

constexpr size_t kMinCachedBytes = size_t{64} << 10;   // 64 KiB
constexpr size_t kMaxCachedBytes = size_t{2} << 30;    // 2 GiB

// The size class `bytes` is served from (>= bytes, a multiple of 64).
size_t host_block_class(size_t bytes);

// A 64-byte aligned block of host_block_class(bytes) bytes, from the cache
// when one is there; nullptr when the system has no memory.
void* host_block_allocate(size_t bytes);
// Returns a block from host_block_allocate(bytes) (same `bytes`).
void host_block_free(void* p, size_t bytes);

// Bytes held by the cache now (freed, not yet reused); for tests.
size_t host_block_cached_bytes();

}  // namespace xlm
