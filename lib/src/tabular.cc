#include "modelrepo/tabular.h"

#include <cmath>
#include <cstring>
#include <type_traits>

#include <fmt/format.h>

namespace modelrepo {

float HalfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400u) == 0);
      bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (mant & 0x3ffu) << 13;
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | mant << 13;  // inf or NaN
  } else {
    bits = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

uint16_t FloatToHalf(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  uint32_t exp = (bits >> 23) & 0xffu;
  uint32_t mant = bits & 0x7fffffu;
  if (exp == 0xff) return sign | 0x7c00u | (mant ? 0x200u : 0u);  // inf / NaN
  int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00u;  // overflow to inf
  if (e <= 0) {                          // subnormal or zero, round to nearest even
    if (e < -10) return sign;
    mant |= 0x800000u;
    int shift = 14 - e;
    uint32_t half = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1);
    uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1u))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = static_cast<uint32_t>(e) << 10 | mant >> 13;
  uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1u))) ++half;  // may carry into inf: correct
  return static_cast<uint16_t>(sign | half);
}

StatusOr<const Tensor*> SingleInput(const std::vector<Tensor>& inputs, std::string_view model) {
  if (inputs.size() != 1) {
    return Status::InvalidArgument(
        fmt::format("model {} takes exactly one input tensor, got {}", model, inputs.size()));
  }
  return &inputs[0];
}

namespace {

template <class From, class To>
void Convert(const unsigned char* src, size_t n, To* dst) {
  for (size_t i = 0; i < n; ++i) {
    From v;
    std::memcpy(&v, src + i * sizeof(From), sizeof(From));
    dst[i] = static_cast<To>(v);
  }
}

template <class T>
Status ToMatrix(const Tensor& input, int64_t features, std::string_view model, int64_t* rows,
                int64_t* cols, const T** data, std::vector<T>* storage) {
  if (input.datatype == DataType::kBytes) {
    return Status::InvalidArgument(fmt::format(
        "model {} takes numeric input; input '{}' is BYTES", model, input.name));
  }
  if (input.shape.size() == 2) {
    *rows = input.shape[0];
    *cols = input.shape[1];
  } else if (input.shape.size() == 1) {
    *rows = 1;
    *cols = input.shape[0];
  } else {
    return Status::InvalidArgument(fmt::format(
        "model {} takes input of shape [N, F] or [F]; input '{}' has {} dimensions", model,
        input.name, input.shape.size()));
  }
  if (*rows < 0 || *cols < 0) {
    return Status::InvalidArgument(fmt::format("input '{}' has a negative dimension", input.name));
  }
  if (features >= 0 && *cols != features) {
    return Status::InvalidArgument(fmt::format(
        "model {} expects {} features, input '{}' has {}", model, features, input.name, *cols));
  }
  Status valid = input.Validate();
  if (!valid.ok()) return valid;

  const size_t n = static_cast<size_t>(*rows) * static_cast<size_t>(*cols);
  const unsigned char* src = input.data.data();
  constexpr DataType kNative = std::is_same_v<T, float> ? DataType::kFp32 : DataType::kFp64;
  if (input.datatype == kNative) {
    *data = reinterpret_cast<const T*>(src);
    return Status::Ok();
  }
  storage->resize(n);
  T* dst = storage->data();
  switch (input.datatype) {
    case DataType::kBool: Convert<uint8_t>(src, n, dst); break;
    case DataType::kUint8: Convert<uint8_t>(src, n, dst); break;
    case DataType::kUint16: Convert<uint16_t>(src, n, dst); break;
    case DataType::kUint32: Convert<uint32_t>(src, n, dst); break;
    case DataType::kUint64: Convert<uint64_t>(src, n, dst); break;
    case DataType::kInt8: Convert<int8_t>(src, n, dst); break;
    case DataType::kInt16: Convert<int16_t>(src, n, dst); break;
    case DataType::kInt32: Convert<int32_t>(src, n, dst); break;
    case DataType::kInt64: Convert<int64_t>(src, n, dst); break;
    case DataType::kFp32: Convert<float>(src, n, dst); break;
    case DataType::kFp64: Convert<double>(src, n, dst); break;
    case DataType::kFp16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        dst[i] = static_cast<T>(HalfToFloat(h));
      }
      break;
    case DataType::kBytes: break;  // refused above
  }
  *data = dst;
  return Status::Ok();
}

}  // namespace

Status ToFeatureMatrix(const Tensor& input, int64_t features, std::string_view model,
                       FeatureMatrix<float>* out) {
  return ToMatrix<float>(input, features, model, &out->rows_, &out->cols_, &out->data_,
                         &out->storage_);
}

Status ToFeatureMatrix(const Tensor& input, int64_t features, std::string_view model,
                       FeatureMatrix<double>* out) {
  return ToMatrix<double>(input, features, model, &out->rows_, &out->cols_, &out->data_,
                          &out->storage_);
}

}  // namespace modelrepo
