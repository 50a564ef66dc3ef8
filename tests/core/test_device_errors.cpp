// The device error ledger (core/device_errors.h) without a device: a slot as
// a kernel would leave it, and the message the host raises from it. Also the
// index-range wording shared with the CPU check (kernels/index_check.h).
#include "core/device_errors.h"
#include "core/error.h"
#include "kernels/index_check.h"
#include "support.h"

#include <catch2/catch.hpp>

#include <string>

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {

xlm::DeviceErrorRaiser raiser(const std::string& name) {
  return [name](int64_t position, int64_t value) {
    throw xlm::IndexError(name + " " + std::to_string(position) + " " + std::to_string(value));
  };
}

}  // namespace

TEST_CASE("device errors: an empty slot raises nothing and forgets the launches", "[core][device_errors]") {
  xlm::DeviceErrorLedger ledger;
  CHECK_FALSE(ledger.pending());
  const uint32_t a = ledger.expect(raiser("a"));
  const uint32_t b = ledger.expect(raiser("b"));
  CHECK(a != 0);
  CHECK(b != a);
  CHECK(ledger.pending());
  ledger.drain(xlm::DeviceErrorSlot{0, 0, 0, 0});
  CHECK_FALSE(ledger.pending());
}

TEST_CASE("device errors: a recorded tag raises that launch's error, once", "[core][device_errors]") {
  xlm::DeviceErrorLedger ledger;
  ledger.expect(raiser("first"));
  const uint32_t second = ledger.expect(raiser("second"));
  ledger.expect(raiser("third"));
  CHECK_THROWS_WITH(ledger.drain(xlm::DeviceErrorSlot{second, 0, 7, -3}), Equals("second 7 -3"));
  CHECK_FALSE(ledger.pending());
  ledger.drain(xlm::DeviceErrorSlot{0, 0, 0, 0});  // nothing left to raise
}

TEST_CASE("device errors: a launch the ledger no longer remembers still raises", "[core][device_errors]") {
  xlm::DeviceErrorLedger ledger(2);
  const uint32_t old = ledger.expect(raiser("old"));
  ledger.expect(raiser("b"));
  ledger.expect(raiser("c"));  // pushes "old" out
  CHECK_THROWS_AS(ledger.drain(xlm::DeviceErrorSlot{old, 0, 4, 99}), xlm::IndexError);
  ledger.expect(raiser("d"));
  CHECK_THROWS_WITH(ledger.drain(xlm::DeviceErrorSlot{old, 0, 4, 99}),
                    Contains("value 99 at position 4") && Contains("detected on the device"));
}

TEST_CASE("device errors: the index raiser words the CPU check's message, marked as from the device",
          "[core][device_errors]") {
  const xlm::Tensor ids = xlm::Tensor::from_vector(std::vector<int64_t>{0, 1, 2, 3, 4, 9}, {2, 3});
  std::string cpu_message;
  try {
    xlm::check_indices_in_range(ids, 5, "embedding", "id", "weight rows V");
  } catch (const xlm::IndexError& e) {
    cpu_message = e.what();
  }
  REQUIRE_THAT(cpu_message, Contains("id 9 at position [1, 2] (flat 5)"));
  const xlm::DeviceErrorRaiser raise = xlm::index_range_raiser(ids, 5, "embedding", "id", "weight rows V");
  CHECK_THROWS_WITH(raise(5, 9), Equals(cpu_message + " (detected on the device)"));
}
