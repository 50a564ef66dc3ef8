// [cuda] The deferred device checks (core/device_errors.h): a bad id or length
// on the GPU does not throw at the launch (no host read there), the kernel
// writes zeros instead of reading out of bounds, and the next device read
// raises the CPU check's message plus "(detected on the device)"; the slot is
// clear again after that. Also: uploads through the pinned ring may reuse
// their host buffer at once. Runs only with a GPU (never run yet:
// docs/gpu-ledger.md).
#include "core/error.h"
#include "core/storage.h"
#include "kernels/embedding/embedding.h"
#include "kernels/gather_rows/gather_rows.h"
#include "kernels/length_mask/length_mask.h"
#include "nn/transformer.h"
#include "nn/tiny_model.h"
#include "support.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace xlm;

namespace {

std::string raised_at_sync(const Tensor& t) {
  try {
    (void)t.to_vector<float>();
  } catch (const IndexError& e) {
    return e.what();
  } catch (const ShapeError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("device checks: a bad id on CUDA is raised at the next read, with the CPU's message", "[cuda][indexing]") {
  XLM_REQUIRE_GPU();
  const Device gpu = Device::cuda(0);
  const Tensor table = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8}, {4, 2}).to(gpu);  // (V=4, C=2)
  const Tensor ids = Tensor::from_vector<int64_t>({0, 2, 5, 1}, {2, 2}).to(gpu);
  Tensor rows;
  REQUIRE_NOTHROW(rows = embedding(table, ids));  // nothing read back at the launch
  const std::string m = raised_at_sync(rows);
  INFO(m);
  CHECK(m.find("embedding: id 5 at position [1, 0] (flat 2)") != std::string::npos);
  CHECK(m.find("(detected on the device)") != std::string::npos);
  // The slot is clear again; the bad row came out as zeros.
  const std::vector<float> values = rows.to_vector<float>();
  CHECK(values == std::vector<float>{1, 2, 5, 6, 0, 0, 3, 4});
  const Tensor picked = gather_rows(table, Tensor::from_vector<int32_t>({3, -1}, {2}).to(gpu));
  const std::string g = raised_at_sync(picked);
  INFO(g);
  CHECK(g.find("gather_rows: index -1 at position [1]") != std::string::npos);
  synchronize(gpu);  // nothing pending: no throw
}

TEST_CASE("device checks: a bad length on CUDA is raised at the next read", "[cuda][indexing]") {
  XLM_REQUIRE_GPU();
  const Device gpu = Device::cuda(0);
  nn::TransformerModel model(nntest::tiny_config(), 7, gpu);
  nn::ForwardArgs a;
  a.words = Tensor::from_vector<int64_t>({4, 5, 6, 7, 8, 9}, {2, 3}).to(gpu);
  a.lengths = Tensor::from_vector<int64_t>({3, 4}, {2}).to(gpu);
  Tensor h;
  REQUIRE_NOTHROW(h = model.forward(a));
  const std::string m = raised_at_sync(h);
  INFO(m);
  CHECK(m.find("TransformerModel::forward: lengths[1] = 4 is outside [1, 3] (detected on the device)") !=
        std::string::npos);
  const Tensor keep = length_mask(Tensor::from_vector<int32_t>({2, 0}, {2}).to(gpu), 3, 0, DType::f32);
  CHECK(keep.to_vector<float>() == std::vector<float>{1, 1, 0, 0, 0, 0});
}

TEST_CASE("pinned ring: an upload's host buffer may be overwritten as soon as the copy returns", "[cuda][tensor]") {
  XLM_REQUIRE_GPU();
  const Device gpu = Device::cuda(0);
  std::vector<Tensor> uploaded;
  std::vector<float> host(65536);  // 256 KiB a copy: 12 of them wrap the 1 MiB ring twice
  for (int round = 0; round < 12; ++round) {
    for (size_t i = 0; i < host.size(); ++i) host[i] = static_cast<float>(round * 100000 + static_cast<int>(i));
    Tensor t = Tensor::empty({65536}, DType::f32, gpu);
    copy_bytes(t.data_ptr(), gpu, host.data(), Device::cpu(), host.size() * sizeof(float));
    std::fill(host.begin(), host.end(), -1.0f);  // at once: the ring holds its own copy
    uploaded.push_back(t);
  }
  for (int round = 0; round < 12; ++round) {
    const std::vector<float> got = uploaded[static_cast<size_t>(round)].to_vector<float>();
    CHECK(got.front() == static_cast<float>(round * 100000));
    CHECK(got.back() == static_cast<float>(round * 100000 + 65535));
  }
}
