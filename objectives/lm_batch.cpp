// See objectives/lm_batch.h.
#include "objectives/lm_batch.h"

namespace xlm::objectives {

Tensor to_device_if_defined(const Tensor& t, Device device) { return t.defined() ? t.to(device) : Tensor(); }

LmBatch to_device(const LmBatch& b, Device device) {
  LmBatch out = b;
  out.words = to_device_if_defined(b.words, device);
  out.lengths = to_device_if_defined(b.lengths, device);
  out.positions = to_device_if_defined(b.positions, device);
  out.langs = to_device_if_defined(b.langs, device);
  out.pred_index = to_device_if_defined(b.pred_index, device);
  out.targets = to_device_if_defined(b.targets, device);
  return out;
}

int64_t n_predicted(const LmBatch& b) { return b.pred_index.defined() ? b.pred_index.numel() : 0; }

}  // namespace xlm::objectives
