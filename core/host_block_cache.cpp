// See host_block_cache.h. One mutex around a map of free lists: the lock is
// uncontended in a training step (one thread allocates) and costs tens of
// nanoseconds, against the microseconds of a page fault per 4 KiB.
#include "core/host_block_cache.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define XLM_HOST_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XLM_HOST_CACHE 0
#endif
#endif
#ifndef XLM_HOST_CACHE
#define XLM_HOST_CACHE 1
#endif

namespace xlm {

namespace {

struct Cache {
  std::mutex mutex;
  std::map<size_t, std::vector<void*>> free;  // size class -> blocks
  size_t cached = 0;
};

// Never destroyed: tensors held by statics may be freed during exit.
Cache& cache() {
  static Cache* c = new Cache();
  return *c;
}

}  // namespace

size_t host_block_class(size_t bytes) {
  const size_t b = bytes == 0 ? 64 : (bytes + 63) / 64 * 64;
  if (b <= (size_t{1} << 20)) return b;
  size_t power = size_t{1} << 20;
  while (power < b) power <<= 1;  // b in (power / 2, power]
  const size_t step = power / 16;  // eight classes between power / 2 and power
  return (b + step - 1) / step * step;
}

void* host_block_allocate(size_t bytes) {
  const size_t size = host_block_class(bytes);
  if (XLM_HOST_CACHE && size >= kMinCachedBytes) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free.find(size);
    if (it != c.free.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached -= size;
      return p;
    }
  }
  return std::aligned_alloc(64, size);
}

void host_block_free(void* p, size_t bytes) {
  const size_t size = host_block_class(bytes);
  if (XLM_HOST_CACHE && size >= kMinCachedBytes) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.cached + size <= kMaxCachedBytes) {
      c.free[size].push_back(p);
      c.cached += size;
      return;
    }
  }
  std::free(p);
}

size_t host_block_cached_bytes() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.cached;
}

}  // namespace xlm
