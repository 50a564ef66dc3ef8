// The dtype visitor shared by cast's two twins: turns a runtime DType into a
// compile-time tag, so each twin instantiates one loop per (source, target)
// pair with its own element types (host bit patterns on the CPU, CUDA's
// __half / __nv_bfloat16 on the GPU).
#pragma once

#include "core/dtype.h"
#include "core/error.h"

namespace xlm::cast_detail {

template <DType D> struct DTag { static constexpr DType value = D; };

constexpr bool is_integer(DType t) { return t == DType::i32 || t == DType::i64 || t == DType::u8; }

template <typename F>
void visit(DType t, F&& f) {
  switch (t) {
    case DType::f32: f(DTag<DType::f32>{}); return;
    case DType::f64: f(DTag<DType::f64>{}); return;
    case DType::bf16: f(DTag<DType::bf16>{}); return;
    case DType::f16: f(DTag<DType::f16>{}); return;
    case DType::i32: f(DTag<DType::i32>{}); return;
    case DType::i64: f(DTag<DType::i64>{}); return;
    case DType::u8: f(DTag<DType::u8>{}); return;
  }
  throw DTypeError("cast: unknown dtype");
}

}  // namespace xlm::cast_detail
