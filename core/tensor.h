// Tensor: a typed, shaped, contiguous row-major view into a Storage, plus the
// autograd fields (requires_grad, grad, the node that produced it). A Tensor
// is a cheap handle (one shared_ptr); copies alias the same data. Only two
// kinds of view exist, both free: reshape and slicing the leading dimension.
// Everything else that computes is an op in kernels/.
#pragma once

#include "core/device.h"
#include "core/dtype.h"
#include "core/storage.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace xlm {

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape& s);  // "[2, 3]"
int64_t shape_numel(const Shape& s);

namespace autograd {
struct Node;
}

struct TensorImpl;

// C++ element type for each DType (bf16/f16 are raw 16-bit patterns on the host).
template <typename T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::f32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::f64; };
template <> struct dtype_of<int32_t> { static constexpr DType value = DType::i32; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::i64; };
template <> struct dtype_of<uint8_t> { static constexpr DType value = DType::u8; };

class Tensor {
 public:
  Tensor() = default;  // undefined tensor (e.g. "no gradient")

  // ---- creation
  static Tensor empty(const Shape& shape, DType dtype, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype, Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype, Device device = Device::cpu());
  // From host values of type T (dtype = dtype_of<T>), copied to `device`.
  template <typename T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape, Device device = Device::cpu());
  // From doubles converted to any dtype (bf16/f16 rounded to nearest even).
  static Tensor from_doubles(const std::vector<double>& values, const Shape& shape, DType dtype,
                             Device device = Device::cpu());
  // Wraps existing storage (used by safetensors' mmap reader).
  static Tensor from_storage(std::shared_ptr<Storage> storage, size_t byte_offset, const Shape& shape, DType dtype);

  // ---- properties
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  int64_t numel() const;
  DType dtype() const;
  Device device() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }
  std::string describe() const;  // "f32[2, 3] on cpu"

  void* data_ptr() const;
  template <typename T> T* data() const;  // checks dtype_of<T> matches

  // ---- views and copies
  Tensor reshape(const Shape& shape) const;          // one dim may be -1; differentiable
  Tensor slice(int64_t begin, int64_t end) const;    // rows [begin, end) of dim 0; differentiable
  Tensor to(Device device) const;                    // copy (or self if already there); differentiable
  Tensor clone() const;                              // deep copy on the same device; not recorded
  Tensor detach() const;                             // same data, no autograd history
  template <typename T> std::vector<T> to_vector() const;  // host copy, T must match dtype
  std::vector<double> to_doubles() const;            // host copy of any dtype as doubles
  double item() const;                               // value of a one-element tensor

  // ---- autograd
  bool requires_grad() const;
  Tensor& set_requires_grad(bool value);  // leaves only
  Tensor grad() const;
  void set_grad(const Tensor& g);
  void zero_grad();  // drops the accumulated gradient
  bool is_leaf() const;
  // Backpropagates from this tensor. Without `grad` this must hold one element (seed 1).
  void backward(const Tensor& grad = Tensor(), bool retain_graph = false) const;

  std::shared_ptr<autograd::Node> grad_fn() const;
  void set_grad_fn(std::shared_ptr<autograd::Node> node);
  const TensorImpl* impl() const { return impl_.get(); }
  bool same_data(const Tensor& other) const;

 private:
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<TensorImpl> impl_;
  friend struct TensorImplAccess;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  size_t byte_offset = 0;
  Shape shape;
  DType dtype = DType::f32;
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<autograd::Node> grad_fn;
};

// Shared argument checks, so every op words its errors the same way.
void check_defined(const Tensor& t, const char* op, const char* arg);
void check_dtype(const Tensor& t, DType expected, const char* op, const char* arg);
void check_floating(const Tensor& t, const char* op, const char* arg);
void check_same_device(const Tensor& a, const Tensor& b, const char* op);
void check_same_dtype(const Tensor& a, const Tensor& b, const char* op);
void check_shape(const Tensor& t, const Shape& expected, const char* op, const char* arg);
void check_rank(const Tensor& t, int64_t min_rank, const char* op, const char* arg);

}  // namespace xlm
