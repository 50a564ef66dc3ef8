// See objectives/lm_batch.h.
#include "objectives/lm_batch.h"

namespace xlm::objectives {

namespace {
Tensor moved(const Tensor& t, Device device) { return t.defined() ? t.to(device) : Tensor(); }
}  // namespace

LmBatch to_device(const LmBatch& b, Device device) {
  LmBatch out = b;
  out.words = moved(b.words, device);
  out.lengths = moved(b.lengths, device);
  out.positions = moved(b.positions, device);
  out.langs = moved(b.langs, device);
  out.pred_index = moved(b.pred_index, device);
  out.targets = moved(b.targets, device);
  return out;
}

int64_t n_predicted(const LmBatch& b) { return b.pred_index.defined() ? b.pred_index.numel() : 0; }

}  // namespace xlm::objectives
