// The blocking-transfer counter (core/host_reads.h) on the CPU: every read of
// tensor values through to_vector / to_doubles / item counts (a GPU run would
// wait there), host_values of a host-built tensor does not, and neither do
// host-to-device style work (building a tensor, cloning it).
#include "core/host_reads.h"
#include "core/tensor.h"

#include <catch2/catch.hpp>

#include <vector>

TEST_CASE("host reads: bulk reads count as blocking transfers on the CPU too", "[core][host_reads]") {
  const xlm::Tensor t = xlm::Tensor::from_vector(std::vector<int64_t>{3, 1, 4}, {3});
  const int64_t transfers = xlm::host_transfer_count();
  const int64_t reads = xlm::host_read_count();
  CHECK(t.to_vector<int64_t>() == std::vector<int64_t>{3, 1, 4});
  CHECK(xlm::host_transfer_count() == transfers + 1);
  CHECK(t.to_doubles() == std::vector<double>{3, 1, 4});
  CHECK(xlm::host_transfer_count() == transfers + 2);
  CHECK(t.slice(1, 2).item() == 1.0);
  CHECK(xlm::host_transfer_count() == transfers + 3);
  CHECK(xlm::host_read_count() == reads + 1);  // item() is also a scalar read
  const xlm::Tensor copy = t.clone();
  CHECK(xlm::host_transfer_count() == transfers + 3);
}

TEST_CASE("host reads: host_values of a host tensor is free", "[core][host_reads]") {
  const xlm::Tensor t = xlm::Tensor::from_vector(std::vector<float>{0.5f, -2.0f}, {2});
  const int64_t transfers = xlm::host_transfer_count();
  CHECK(xlm::host_values<float>(t) == std::vector<float>{0.5f, -2.0f});
  CHECK(xlm::host_transfer_count() == transfers);
  CHECK_THROWS(xlm::host_values<int64_t>(t));  // the dtype must match
}
