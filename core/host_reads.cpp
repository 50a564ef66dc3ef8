// The counter of core/host_reads.h: one relaxed atomic, cheap enough to leave
// on in Release builds (a read it counts costs a device sync anyway).
#include "core/host_reads.h"

#include <atomic>

namespace xlm {

namespace {
std::atomic<int64_t> g_host_reads{0};
}  // namespace

void count_host_read() { g_host_reads.fetch_add(1, std::memory_order_relaxed); }

int64_t host_read_count() { return g_host_reads.load(std::memory_order_relaxed); }

}  // namespace xlm
