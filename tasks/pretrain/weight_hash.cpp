// See weight_hash.h. The hash travels as an i64 so that any transport that
// moves integers can gather it.
#include "tasks/pretrain/weight_hash.h"

#include "core/error.h"
#include "core/storage.h"
#include "tasks/run/crc32c.h"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace xlm::tasks {

uint32_t weight_hash(const nn::NamedTensors& params) {
  uint32_t crc = 0;
  std::vector<char> host;
  for (const auto& [name, t] : params) {
    crc = crc32c(name.data(), name.size(), crc);
    host.resize(t.nbytes());
    copy_bytes(host.data(), Device::cpu(), t.data_ptr(), t.device(), t.nbytes());
    crc = crc32c(host.data(), host.size(), crc);
  }
  return crc;
}

void check_weights_agree(Communicator& comm, const nn::NamedTensors& params, int64_t n_updates) {
  const int w = comm.world_size();
  Tensor mine = Tensor::from_vector(std::vector<int64_t>{static_cast<int64_t>(weight_hash(params))}, {1},
                                         comm.device());
  Tensor all = Tensor::zeros({w}, DType::i64, comm.device());  // (world_size)
  comm.all_gather(mine, all);
  const std::vector<int64_t> hashes = all.to_vector<int64_t>();
  std::vector<std::string> differing;
  for (int r = 1; r < w; ++r)
    if (hashes[r] != hashes[0]) differing.push_back(fmt::format("rank {} has 0x{:08x}", r, hashes[r]));
  if (!differing.empty())
    throw Error(fmt::format("--check_weights_every: weights differ between ranks after update {}: rank 0 has "
                            "crc32c 0x{:08x}, {}",
                            n_updates, hashes[0], fmt::join(differing, ", ")));
}

}  // namespace xlm::tasks
