// Host helpers shared by the CUDA update files (adam_update_cuda.cu and
// adam_update_multi_cuda.cu): the scalars rounded once for the kernels and
// the fp32-only check. Include only from CUDA-only sources.
#pragma once

#include "nn/adam_math.cuh"
#include "nn/adam_update.h"

namespace xlm::nn {

AdamScalars adam_scalars(const AdamUpdateArgs& args);
// DTypeError unless param is f32 (fp32 master weights and moments).
void check_f32_params(const Tensor& param, const char* op);

}  // namespace xlm::nn
