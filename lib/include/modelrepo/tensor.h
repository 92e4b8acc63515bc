// Tensors: the values that go into and come out of a model.
#ifndef MODELREPO_TENSOR_H_
#define MODELREPO_TENSOR_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modelrepo/status.h"

namespace modelrepo {

// The V2 protocol's datatypes. The numeric values are part of the C ABI: never renumber.
enum class DataType : int {
  kBool = 0,
  kUint8 = 1,
  kUint16 = 2,
  kUint32 = 3,
  kUint64 = 4,
  kInt8 = 5,
  kInt16 = 6,
  kInt32 = 7,
  kInt64 = 8,
  kFp16 = 9,
  kFp32 = 10,
  kFp64 = 11,
  kBytes = 12,
};

// "BOOL", "FP32", ... as the protocol spells them.
std::string_view DataTypeName(DataType type);
// The inverse of DataTypeName; nullopt for anything else (case-sensitive, as the protocol is).
std::optional<DataType> ParseDataType(std::string_view name);
// Bytes per element in Tensor::data; 0 for BYTES (whose elements live in Tensor::strings).
size_t DataTypeSize(DataType type);

// Product of the dimensions, or an InvalidArgument error when a dimension is negative or the
// product overflows int64.
StatusOr<int64_t> ElementCount(const std::vector<int64_t>& shape);

// An owning, row-major tensor. For fixed-size datatypes `data` holds element_count *
// DataTypeSize bytes in host byte order (BOOL: one byte, 0 or 1; FP16: IEEE half bits as
// uint16). For BYTES, `strings` holds the elements and `data` is empty.
struct Tensor {
  std::string name;
  DataType datatype = DataType::kFp32;
  std::vector<int64_t> shape;
  std::vector<unsigned char> data;
  std::vector<std::string> strings;

  Tensor() = default;
  // A zero-filled tensor of the given type and shape (the shape must be valid).
  Tensor(std::string name, DataType datatype, std::vector<int64_t> shape);

  // Builds a tensor from typed values; T must match the datatype's C++ type
  // (bool->BOOL stored as uint8, float->FP32, double->FP64, int64_t->INT64, ...).
  template <class T>
  static Tensor From(std::string name, DataType datatype, std::vector<int64_t> shape,
                     const std::vector<T>& values) {
    Tensor t;
    t.name = std::move(name);
    t.datatype = datatype;
    t.shape = std::move(shape);
    t.data.resize(values.size() * sizeof(T));
    if (!values.empty()) std::memcpy(t.data.data(), values.data(), t.data.size());
    return t;
  }

  // Element count implied by `shape` (assumes a valid shape).
  int64_t num_elements() const;

  template <class T>
  const T* values() const { return reinterpret_cast<const T*>(data.data()); }
  template <class T>
  T* values() { return reinterpret_cast<T*>(data.data()); }

  // Checks that shape is valid and that data (or strings, for BYTES) holds exactly the
  // elements it implies.
  Status Validate() const;
};

// What a model declares about one of its inputs or outputs. -1 in a shape is "any size".
struct TensorSpec {
  std::string name;
  DataType datatype = DataType::kFp32;
  std::vector<int64_t> shape;
};

}  // namespace modelrepo

#endif  // MODELREPO_TENSOR_H_
