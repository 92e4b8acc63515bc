#include "modelrepo/tensor.h"

#include <array>
#include <limits>

#include <fmt/format.h>

namespace modelrepo {
namespace {

struct TypeInfo {
  DataType type;
  std::string_view name;
  size_t size;
};

constexpr std::array<TypeInfo, 13> kTypes{{
    {DataType::kBool, "BOOL", 1},     {DataType::kUint8, "UINT8", 1},
    {DataType::kUint16, "UINT16", 2}, {DataType::kUint32, "UINT32", 4},
    {DataType::kUint64, "UINT64", 8}, {DataType::kInt8, "INT8", 1},
    {DataType::kInt16, "INT16", 2},   {DataType::kInt32, "INT32", 4},
    {DataType::kInt64, "INT64", 8},   {DataType::kFp16, "FP16", 2},
    {DataType::kFp32, "FP32", 4},     {DataType::kFp64, "FP64", 8},
    {DataType::kBytes, "BYTES", 0},
}};

const TypeInfo* Info(DataType type) {
  auto i = static_cast<size_t>(type);
  return i < kTypes.size() ? &kTypes[i] : nullptr;
}

}  // namespace

std::string_view DataTypeName(DataType type) {
  const TypeInfo* info = Info(type);
  return info ? info->name : std::string_view("INVALID");
}

std::optional<DataType> ParseDataType(std::string_view name) {
  for (const TypeInfo& t : kTypes) {
    if (t.name == name) return t.type;
  }
  return std::nullopt;
}

size_t DataTypeSize(DataType type) {
  const TypeInfo* info = Info(type);
  return info ? info->size : 0;
}

StatusOr<int64_t> ElementCount(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0) return Status::InvalidArgument(fmt::format("shape has a negative dimension {}", d));
    if (d != 0 && count > std::numeric_limits<int64_t>::max() / d) {
      return Status::InvalidArgument("shape's element count overflows 64 bits");
    }
    count *= d;
  }
  return count;
}

Tensor::Tensor(std::string n, DataType type, std::vector<int64_t> s)
    : name(std::move(n)), datatype(type), shape(std::move(s)) {
  auto count = ElementCount(shape);
  size_t elements = count.ok() ? static_cast<size_t>(*count) : 0;
  if (datatype == DataType::kBytes) {
    strings.resize(elements);
  } else {
    data.resize(elements * DataTypeSize(datatype));
  }
}

int64_t Tensor::num_elements() const {
  auto count = ElementCount(shape);
  return count.ok() ? *count : 0;
}

Status Tensor::Validate() const {
  if (Info(datatype) == nullptr) {
    return Status::InvalidArgument(fmt::format("input '{}' has an invalid datatype", name));
  }
  auto count = ElementCount(shape);
  if (!count.ok()) {
    return Status::InvalidArgument(fmt::format("input '{}': {}", name, count.status().message()));
  }
  if (datatype == DataType::kBytes) {
    if (static_cast<uint64_t>(*count) != strings.size()) {
      return Status::InvalidArgument(fmt::format(
          "input '{}' has {} elements but its shape implies {}", name, strings.size(), *count));
    }
    return Status::Ok();
  }
  size_t size = DataTypeSize(datatype);
  if (data.size() % size != 0 || static_cast<uint64_t>(*count) != data.size() / size) {
    return Status::InvalidArgument(fmt::format("input '{}' has {} elements but its shape implies {}",
                                               name, data.size() / size, *count));
  }
  return Status::Ok();
}

}  // namespace modelrepo
