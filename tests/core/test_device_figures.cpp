// The figures behind the training log's MFU and memory columns (and xlm bench train's).
#include "core/device_figures.h"
#include "core/tensor.h"
#include "support.h"

#include <catch2/catch.hpp>

TEST_CASE("CPU device figures report a name, a peak and the resident memory", "[core][device]") {
  const auto before = xlm::device_figures(xlm::Device::cpu());
  CHECK(!before.name.empty());
  CHECK(before.peak_flops >= 0.0);
  REQUIRE(before.memory_mib > 1.0);  // this test process holds more than a MiB
  // Touching 64 MiB more shows up in the resident set.
  auto big = xlm::Tensor::full({16, 1024, 1024}, 1.0, xlm::DType::f32);
  const auto after = xlm::device_figures(xlm::Device::cpu());
  CHECK(after.memory_mib > before.memory_mib + 48.0);
  // The high-water mark is at least the current set, and keeps the 64 MiB after they are freed.
  CHECK(after.peak_memory_mib >= after.memory_mib);
  big = xlm::Tensor();
  CHECK(xlm::device_figures(xlm::Device::cpu()).peak_memory_mib >= before.memory_mib + 48.0);
  CHECK(after.peak_tensor_flops == 0.0);
}

TEST_CASE("CUDA device figures report a positive peak and pool usage", "[core][device][cuda]") {
  XLM_REQUIRE_GPU();
  const auto figures = xlm::device_figures(xlm::Device::cuda(0));
  CHECK(!figures.name.empty());
  CHECK(figures.peak_flops > 1e12);
  auto big = xlm::Tensor::zeros({64, 1024, 1024}, xlm::DType::f32, xlm::Device::cuda(0));
  CHECK(figures.peak_tensor_flops > 4.0 * figures.peak_flops);  // tensor cores: 16x the fp32 lanes on A100 and H100
  CHECK(xlm::device_figures(xlm::Device::cuda(0)).memory_mib >= 255.0);
  big = xlm::Tensor();
  CHECK(xlm::device_figures(xlm::Device::cuda(0)).peak_memory_mib >= 255.0);
}

TEST_CASE("datasheet tensor peaks: the GPUs NVIDIA publishes, by name", "[core][device]") {
  CHECK(xlm::datasheet_tensor_peak("NVIDIA H100 80GB HBM3") == 989.4e12);
  CHECK(xlm::datasheet_tensor_peak("NVIDIA H200") == 989.4e12);
  CHECK(xlm::datasheet_tensor_peak("NVIDIA H100 PCIe") == 756.0e12);
  CHECK(xlm::datasheet_tensor_peak("NVIDIA A100-SXM4-80GB") == 312.0e12);
  CHECK(xlm::datasheet_tensor_peak("NVIDIA A100 80GB PCIe") == 312.0e12);
  CHECK(xlm::datasheet_tensor_peak("NVIDIA H100 NVL") == 0.0);  // lower clocks: the clock formula decides
  CHECK(xlm::datasheet_tensor_peak("NVIDIA GeForce RTX 4090") == 0.0);
  CHECK(xlm::datasheet_tensor_peak("") == 0.0);
}
