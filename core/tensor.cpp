// Tensor handles, creation, views and host transfers. Views (reshape, slice)
// and device moves are recorded on the autograd tape here because they are
// core operations, not kernels.
#include "core/tensor.h"

#include "core/autograd.h"
#include "core/error.h"
#include "core/host_reads.h"

#include <fmt/ranges.h>

#include <cstring>

namespace xlm {

std::string shape_str(const Shape& s) { return fmt::format("[{}]", fmt::join(s, ", ")); }

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

namespace {

void check_shape_valid(const Shape& shape, const char* what) {
  for (int64_t d : shape)
    XLM_CHECK(d >= 0, ShapeError, "{}: negative dimension in shape {}", what, shape_str(shape));
}

const TensorImpl& impl_of(const std::shared_ptr<TensorImpl>& p) {
  if (!p) throw Error("use of an undefined tensor");
  return *p;
}

}  // namespace

// ---------------------------------------------------------------- creation

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  check_shape_valid(shape, "Tensor::empty");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = Storage::allocate(static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype), device);
  impl->shape = shape;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  zero_bytes(t.data_ptr(), device, t.nbytes());
  return t;
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  return from_doubles(std::vector<double>(static_cast<size_t>(shape_numel(shape)), value), shape, dtype, device);
}

template <typename T>
Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& shape, Device device) {
  check_shape_valid(shape, "Tensor::from_vector");
  XLM_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape), ShapeError,
            "Tensor::from_vector: {} values for shape {}", values.size(), shape_str(shape));
  Tensor t = empty(shape, dtype_of<T>::value, device);
  copy_bytes(t.data_ptr(), device, values.data(), Device::cpu(), t.nbytes());
  return t;
}

template Tensor Tensor::from_vector(const std::vector<float>&, const Shape&, Device);
template Tensor Tensor::from_vector(const std::vector<double>&, const Shape&, Device);
template Tensor Tensor::from_vector(const std::vector<int32_t>&, const Shape&, Device);
template Tensor Tensor::from_vector(const std::vector<int64_t>&, const Shape&, Device);
template Tensor Tensor::from_vector(const std::vector<uint8_t>&, const Shape&, Device);

Tensor Tensor::from_doubles(const std::vector<double>& values, const Shape& shape, DType dtype, Device device) {
  check_shape_valid(shape, "Tensor::from_doubles");
  XLM_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape), ShapeError,
            "Tensor::from_doubles: {} values for shape {}", values.size(), shape_str(shape));
  Tensor host = empty(shape, dtype, Device::cpu());
  const size_t n = values.size();
  void* p = host.data_ptr();
  for (size_t i = 0; i < n; ++i) {
    const double v = values[i];
    switch (dtype) {
      case DType::f32: static_cast<float*>(p)[i] = static_cast<float>(v); break;
      case DType::f64: static_cast<double*>(p)[i] = v; break;
      case DType::bf16: static_cast<uint16_t*>(p)[i] = float_to_bf16_bits(static_cast<float>(v)); break;
      case DType::f16: static_cast<uint16_t*>(p)[i] = float_to_f16_bits(static_cast<float>(v)); break;
      case DType::i32: static_cast<int32_t*>(p)[i] = static_cast<int32_t>(v); break;
      case DType::i64: static_cast<int64_t*>(p)[i] = static_cast<int64_t>(v); break;
      case DType::u8: static_cast<uint8_t*>(p)[i] = static_cast<uint8_t>(v); break;
    }
  }
  return device == Device::cpu() ? host : host.to(device);
}

Tensor Tensor::from_storage(std::shared_ptr<Storage> storage, size_t byte_offset, const Shape& shape, DType dtype) {
  check_shape_valid(shape, "Tensor::from_storage");
  const size_t need = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
  XLM_CHECK(byte_offset + need <= storage->bytes(), ShapeError,
            "Tensor::from_storage: {} bytes at offset {} exceed the storage's {} bytes", need, byte_offset,
            storage->bytes());
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->byte_offset = byte_offset;
  impl->shape = shape;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

// ---------------------------------------------------------------- properties

const Shape& Tensor::shape() const { return impl_of(impl_).shape; }
DType Tensor::dtype() const { return impl_of(impl_).dtype; }
Device Tensor::device() const { return impl_of(impl_).storage->device(); }
int64_t Tensor::numel() const { return shape_numel(shape()); }

int64_t Tensor::size(int64_t d) const {
  const int64_t r = dim();
  const int64_t i = d < 0 ? d + r : d;
  XLM_CHECK(i >= 0 && i < r, ShapeError, "dimension {} out of range for {}", d, describe());
  return shape()[static_cast<size_t>(i)];
}

std::string Tensor::describe() const {
  if (!defined()) return "undefined tensor";
  return fmt::format("{}{} on {}", dtype_name(dtype()), shape_str(shape()), device().str());
}

void* Tensor::data_ptr() const {
  const TensorImpl& i = impl_of(impl_);
  return static_cast<char*>(i.storage->data()) + i.byte_offset;
}

template <typename T>
T* Tensor::data() const {
  XLM_CHECK(dtype() == dtype_of<T>::value, DTypeError, "data<{}>() on {}", dtype_name(dtype_of<T>::value),
            describe());
  return static_cast<T*>(data_ptr());
}

template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;
template int32_t* Tensor::data<int32_t>() const;
template int64_t* Tensor::data<int64_t>() const;
template uint8_t* Tensor::data<uint8_t>() const;

bool Tensor::same_data(const Tensor& other) const {
  return defined() && other.defined() && impl_->storage == other.impl_->storage &&
         impl_->byte_offset == other.impl_->byte_offset;
}

// ---------------------------------------------------------------- views

Tensor Tensor::reshape(const Shape& new_shape) const {
  Shape shape = new_shape;
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      XLM_CHECK(infer < 0, ShapeError, "reshape {} to {}: only one dimension may be -1", describe(),
                shape_str(new_shape));
      infer = static_cast<int>(i);
    } else {
      XLM_CHECK(shape[i] >= 0, ShapeError, "reshape {} to {}: negative dimension", describe(), shape_str(new_shape));
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    XLM_CHECK(known > 0 && numel() % known == 0, ShapeError, "reshape {} to {}: cannot infer the -1 dimension",
              describe(), shape_str(new_shape));
    shape[static_cast<size_t>(infer)] = numel() / known;
  }
  XLM_CHECK(shape_numel(shape) == numel(), ShapeError, "reshape {} to {}: element counts differ", describe(),
            shape_str(new_shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->byte_offset = impl_->byte_offset;
  impl->shape = shape;
  impl->dtype = impl_->dtype;
  Tensor out(std::move(impl));
  const Shape original = this->shape();
  autograd::record(out, "reshape", {*this},
                   [original](const Tensor& g) { return std::vector<Tensor>{g.reshape(original)}; });
  return out;
}

Tensor Tensor::slice(int64_t begin, int64_t end) const {
  XLM_CHECK(dim() >= 1, ShapeError, "slice of a scalar tensor {}", describe());
  const int64_t rows = shape()[0];
  XLM_CHECK(0 <= begin && begin <= end && end <= rows, IndexError, "slice [{}, {}) out of range for {}", begin, end,
            describe());
  const int64_t row_elems = rows == 0 ? 0 : numel() / rows;
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->byte_offset = impl_->byte_offset + static_cast<size_t>(begin * row_elems) * dtype_size(dtype());
  impl->shape = shape();
  impl->shape[0] = end - begin;
  impl->dtype = impl_->dtype;
  Tensor out(std::move(impl));
  const Shape full_shape = shape();
  autograd::record(out, "slice", {*this}, [full_shape, begin, row_elems](const Tensor& g) {
    Tensor full = Tensor::zeros(full_shape, g.dtype(), g.device());
    const size_t elem = dtype_size(g.dtype());
    copy_bytes(static_cast<char*>(full.data_ptr()) + static_cast<size_t>(begin * row_elems) * elem, full.device(),
               g.data_ptr(), g.device(), g.nbytes());
    return std::vector<Tensor>{full};
  });
  return out;
}

Tensor Tensor::to(Device device) const {
  if (this->device() == device) return *this;
  Tensor out = empty(shape(), dtype(), device);
  copy_bytes(out.data_ptr(), device, data_ptr(), this->device(), nbytes());
  const Device source = this->device();
  autograd::record(out, "to_device", {*this}, [source](const Tensor& g) { return std::vector<Tensor>{g.to(source)}; });
  return out;
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype(), device());
  copy_bytes(out.data_ptr(), device(), data_ptr(), device(), nbytes());
  return out;
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_of(impl_).storage;
  impl->byte_offset = impl_->byte_offset;
  impl->shape = impl_->shape;
  impl->dtype = impl_->dtype;
  return Tensor(std::move(impl));
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  XLM_CHECK(dtype() == dtype_of<T>::value, DTypeError, "to_vector<{}>() on {}", dtype_name(dtype_of<T>::value),
            describe());
  std::vector<T> out(static_cast<size_t>(numel()));
  if (device() == Device::cpu()) count_host_transfer();  // what a GPU run would copy back (core/host_reads.h)
  copy_bytes(out.data(), Device::cpu(), data_ptr(), device(), nbytes());  // counts itself from a device
  return out;
}

template std::vector<float> Tensor::to_vector() const;
template std::vector<double> Tensor::to_vector() const;
template std::vector<int32_t> Tensor::to_vector() const;
template std::vector<int64_t> Tensor::to_vector() const;
template std::vector<uint8_t> Tensor::to_vector() const;

std::vector<double> Tensor::to_doubles() const {
  if (device() == Device::cpu()) count_host_transfer();  // as to_vector; to(cpu) counts from a device
  Tensor host = device() == Device::cpu() ? *this : to(Device::cpu());
  const size_t n = static_cast<size_t>(numel());
  std::vector<double> out(n);
  const void* p = host.data_ptr();
  for (size_t i = 0; i < n; ++i) {
    switch (dtype()) {
      case DType::f32: out[i] = static_cast<const float*>(p)[i]; break;
      case DType::f64: out[i] = static_cast<const double*>(p)[i]; break;
      case DType::bf16: out[i] = bf16_bits_to_float(static_cast<const uint16_t*>(p)[i]); break;
      case DType::f16: out[i] = f16_bits_to_float(static_cast<const uint16_t*>(p)[i]); break;
      case DType::i32: out[i] = static_cast<const int32_t*>(p)[i]; break;
      case DType::i64: out[i] = static_cast<double>(static_cast<const int64_t*>(p)[i]); break;
      case DType::u8: out[i] = static_cast<const uint8_t*>(p)[i]; break;
    }
  }
  return out;
}

double Tensor::item() const {
  XLM_CHECK(numel() == 1, ShapeError, "item() needs a one-element tensor, got {}", describe());
  count_host_read();
  return to_doubles()[0];
}

// ---------------------------------------------------------------- autograd fields

bool Tensor::requires_grad() const { return impl_of(impl_).requires_grad; }

Tensor& Tensor::set_requires_grad(bool value) {
  XLM_CHECK(!impl_of(impl_).grad_fn, Error, "set_requires_grad on a non-leaf tensor {}", describe());
  XLM_CHECK(!value || is_floating(dtype()), DTypeError, "only floating tensors can require a gradient, got {}",
            describe());
  impl_->requires_grad = value;
  return *this;
}

Tensor Tensor::grad() const { return impl_of(impl_).grad; }
void Tensor::set_grad(const Tensor& g) {
  impl_of(impl_);
  impl_->grad = g;
}
void Tensor::zero_grad() {
  impl_of(impl_);
  impl_->grad = Tensor();
}
bool Tensor::is_leaf() const { return !impl_of(impl_).grad_fn; }

void Tensor::backward(const Tensor& grad, bool retain_graph) const { autograd::backward(*this, grad, retain_graph); }

std::shared_ptr<autograd::Node> Tensor::grad_fn() const { return impl_of(impl_).grad_fn; }
void Tensor::set_grad_fn(std::shared_ptr<autograd::Node> node) {
  impl_of(impl_);
  impl_->grad_fn = std::move(node);
  impl_->requires_grad = true;
}

// ---------------------------------------------------------------- argument checks

void check_defined(const Tensor& t, const char* op, const char* arg) {
  XLM_CHECK(t.defined(), Error, "{}: argument '{}' is an undefined tensor", op, arg);
}

void check_dtype(const Tensor& t, DType expected, const char* op, const char* arg) {
  check_defined(t, op, arg);
  XLM_CHECK(t.dtype() == expected, DTypeError, "{}: '{}' must be {}, got {}", op, arg, dtype_name(expected),
            t.describe());
}

void check_floating(const Tensor& t, const char* op, const char* arg) {
  check_defined(t, op, arg);
  XLM_CHECK(is_floating(t.dtype()), DTypeError, "{}: '{}' must be a floating tensor, got {}", op, arg, t.describe());
}

void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  XLM_CHECK(a.device() == b.device(), DeviceError, "{}: tensors on different devices ({} and {})", op, a.describe(),
            b.describe());
}

void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  XLM_CHECK(a.dtype() == b.dtype(), DTypeError, "{}: dtypes differ ({} and {})", op, a.describe(), b.describe());
}

void check_shape(const Tensor& t, const Shape& expected, const char* op, const char* arg) {
  check_defined(t, op, arg);
  XLM_CHECK(t.shape() == expected, ShapeError, "{}: '{}' must have shape {}, got {}", op, arg, shape_str(expected),
            t.describe());
}

void check_rank(const Tensor& t, int64_t min_rank, const char* op, const char* arg) {
  check_defined(t, op, arg);
  XLM_CHECK(t.dim() >= min_rank, ShapeError, "{}: '{}' needs at least {} dimension(s), got {}", op, arg, min_rank,
            t.describe());
}

}  // namespace xlm
