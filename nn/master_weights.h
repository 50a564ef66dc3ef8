// fp32 master weights for a low-precision model (Micikevicius et al. 2018).
// The model computes in bf16/f16, but an update lr * m / sqrt(v) is often
// below half an ulp of a bf16 weight and would round away; so the optimizer
// owns wider copies of the parameters and updates those, and the model's
// weights are re-derived from them after each step:
//
//   backward (model grads, low precision) -> copy_grads_to_master()
//   -> unscale/check, clip, optimizer.step() on master()  -> copy_master_to_model()
//
// Unscaling happens on the master gradients, in the wide type, so a gradient
// divided by the loss scale does not underflow on the way. That is the
// specification; a training step hands the two copies to the optimizer
// instead (Optimizer::set_master_of: it reads the model's gradients, widened
// and unscaled in registers, and writes the model in its update pass), the
// same bits without the passes. The class is
// generic in the (model, master) dtype pair: CUDA runs bf16/f16 -> f32; the
// CPU tests run f32 -> f64 with the same code (CPU ops have no bf16).
// The model tensors are written in place (their storage is what the modules
// hold); the masters are requires_grad leaves of their own.
#pragma once

#include "core/dtype.h"
#include "nn/named_tensors.h"

namespace xlm::nn {

class MasterWeights {
 public:
  // model_params: unique, defined, floating tensors whose dtype differs from
  // master_dtype (DTypeError otherwise; fp32 training needs no master copy).
  // Each master is cast(model param) on the same device.
  MasterWeights(NamedTensors model_params, DType master_dtype);

  // Same names and order as the model's; hand these to the Optimizer.
  const NamedTensors& master() const { return master_; }
  const NamedTensors& model() const { return model_; }
  DType master_dtype() const { return master_dtype_; }

  // master.grad = cast(model.grad) for every model parameter with a gradient;
  // a master whose model parameter has none loses its gradient too (so the
  // optimizer skips it, as it would the model parameter).
  void copy_grads_to_master() const;
  // model = cast(master), rounded to nearest even, written into the model's storage.
  void copy_master_to_model() const;
  // master = cast(model): after loading model weights from a file.
  void copy_model_to_master() const;

 private:
  NamedTensors model_, master_;
  DType master_dtype_;
};

}  // namespace xlm::nn
