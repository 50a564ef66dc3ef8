// See grad_groups.h.
#include "nn/grad_groups.h"

namespace xlm::nn {

std::map<int, std::vector<Tensor>> grads_by_device(const NamedTensors& params, const char* op) {
  std::map<int, std::vector<Tensor>> groups;
  for (const auto& [name, p] : params) {
    if (!p.defined()) continue;
    const Tensor g = p.grad();
    if (!g.defined() || g.numel() == 0) continue;
    check_floating(g, op, name.c_str());
    groups[g.device().is_cuda() ? g.device().index : -1].push_back(g);
  }
  return groups;
}

}  // namespace xlm::nn
