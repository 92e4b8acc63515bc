// Writing V2 JSON: a small append-only writer (no DOM), numbers through std::to_chars.
#include <charconv>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <system_error>

#include "modelrepo/tabular.h"
#include "modelrepo/v2json.h"

namespace modelrepo::v2json {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence at s[0..n), or 0 when it is not one.
size_t Utf8SequenceLength(const unsigned char* s, size_t n) {
  unsigned char c = s[0];
  auto cont = [&](size_t i) { return i < n && (s[i] & 0xC0) == 0x80; };
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (n < 2) return 0;
    unsigned char c1 = s[1];
    if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
    if (c == 0xED && c1 > 0x9F) return 0;  // UTF-16 surrogates
    return cont(1) && cont(2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (n < 2) return 0;
    unsigned char c1 = s[1];
    if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
    if (c == 0xF4 && c1 > 0x8F) return 0;  // beyond U+10FFFF
    return cont(1) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

// Appends number text, adding ".0" when it reads as an integer, so that a float stays a float
// for dynamically typed readers (Python's json gives 1.0, not 1).
void AppendFloatText(const char* begin, const char* end, std::string* out) {
  out->append(begin, end);
  for (const char* p = begin; p != end; ++p) {
    if (*p == '.' || *p == 'e' || *p == 'E') return;
  }
  out->append(".0");
}

template <class T>
void AppendInteger(T value, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, r.ptr);
}

void AppendShape(const std::vector<int64_t>& shape, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out->push_back(',');
    AppendInteger(shape[i], out);
  }
  out->push_back(']');
}

template <class T>
T Load(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <class T>
void AppendIntegers(const Tensor& t, size_t n, std::string* out) {
  const unsigned char* p = t.data.data();
  for (size_t i = 0; i < n; ++i) {
    if (i) out->push_back(',');
    AppendInteger(Load<T>(p + i * sizeof(T)), out);
  }
}

// The elements actually present (a tensor whose data disagrees with its shape is written as it
// is rather than read out of bounds).
size_t PresentElements(const Tensor& t) {
  if (t.datatype == DataType::kBytes) return t.strings.size();
  size_t size = DataTypeSize(t.datatype);
  return size ? t.data.size() / size : 0;
}

void AppendData(const Tensor& t, std::string* out) {
  size_t n = PresentElements(t);
  const unsigned char* p = t.data.data();
  out->push_back('[');
  switch (t.datatype) {
    case DataType::kBool:
      for (size_t i = 0; i < n; ++i) {
        if (i) out->push_back(',');
        out->append(p[i] ? "true" : "false");
      }
      break;
    case DataType::kUint8: AppendIntegers<uint8_t>(t, n, out); break;
    case DataType::kUint16: AppendIntegers<uint16_t>(t, n, out); break;
    case DataType::kUint32: AppendIntegers<uint32_t>(t, n, out); break;
    case DataType::kUint64: AppendIntegers<uint64_t>(t, n, out); break;
    case DataType::kInt8: AppendIntegers<int8_t>(t, n, out); break;
    case DataType::kInt16: AppendIntegers<int16_t>(t, n, out); break;
    case DataType::kInt32: AppendIntegers<int32_t>(t, n, out); break;
    case DataType::kInt64: AppendIntegers<int64_t>(t, n, out); break;
    case DataType::kFp16:
      for (size_t i = 0; i < n; ++i) {
        if (i) out->push_back(',');
        AppendHalf(Load<uint16_t>(p + 2 * i), out);
      }
      break;
    case DataType::kFp32:
      for (size_t i = 0; i < n; ++i) {
        if (i) out->push_back(',');
        AppendFloat(Load<float>(p + 4 * i), out);
      }
      break;
    case DataType::kFp64:
      for (size_t i = 0; i < n; ++i) {
        if (i) out->push_back(',');
        AppendDouble(Load<double>(p + 8 * i), out);
      }
      break;
    case DataType::kBytes:
      for (size_t i = 0; i < n; ++i) {
        if (i) out->push_back(',');
        AppendString(t.strings[i], out);
      }
      break;
  }
  out->push_back(']');
}

// {"name":..,"shape":..,"datatype":..,<extra>"data":[..]}
void AppendTensor(const Tensor& t, std::string_view extra, std::string* out) {
  out->append("{\"name\":");
  AppendString(t.name, out);
  out->append(",\"shape\":");
  AppendShape(t.shape, out);
  out->append(",\"datatype\":\"");
  out->append(DataTypeName(t.datatype));
  out->append("\",");
  out->append(extra);
  out->append("\"data\":");
  AppendData(t, out);
  out->push_back('}');
}

void AppendTensorSpecs(const std::vector<TensorSpec>& specs, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < specs.size(); ++i) {
    if (i) out->push_back(',');
    out->append("{\"name\":");
    AppendString(specs[i].name, out);
    out->append(",\"datatype\":\"");
    out->append(DataTypeName(specs[i].datatype));
    out->append("\",\"shape\":");
    AppendShape(specs[i].shape, out);
    out->push_back('}');
  }
  out->push_back(']');
}

void AppendStrings(const std::vector<std::string>& strings, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < strings.size(); ++i) {
    if (i) out->push_back(',');
    AppendString(strings[i], out);
  }
  out->push_back(']');
}

}  // namespace

void AppendString(std::string_view s, std::string* out) {
  out->push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  size_t run = 0;  // start of the pending run of bytes copied verbatim
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    size_t len = c < 0x80 ? 1 : Utf8SequenceLength(p + i, n - i);
    if (len > 1) {  // valid multi-byte sequence: copied verbatim
      i += len;
      continue;
    }
    out->append(s.data() + run, i - run);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        if (c < 0x20) {
          const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
          out->append(esc, sizeof(esc));
        } else {
          out->append("\xEF\xBF\xBD");  // U+FFFD for a byte that is not valid UTF-8
        }
    }
    ++i;
    run = i;
  }
  out->append(s.data() + run, n - run);
  out->push_back('"');
}

namespace {

// Shortest round-trip text of a float or double; null when it is not finite.
template <class T>
void AppendFloating(T value, std::string* out) {
  if (!std::isfinite(value)) {
    out->append("null");
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), value);
  AppendFloatText(buf, r.ptr, out);
}

}  // namespace

void AppendFloat(float value, std::string* out) { AppendFloating(value, out); }

void AppendDouble(double value, std::string* out) { AppendFloating(value, out); }

void AppendHalf(uint16_t half_bits, std::string* out) {
  float value = HalfToFloat(half_bits);
  if (!std::isfinite(value)) {
    out->append("null");
    return;
  }
  // The fewest significant digits that read back as the same half (5 always do), printed as the
  // float they spell so that the notation matches FP32's (numpy prints float16 65504 as 65500.0).
  char buf[32];
  for (int precision = 1; precision <= 5; ++precision) {
    auto r = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::general, precision);
    float rounded = 0;
    auto p = std::from_chars(buf, r.ptr, rounded);
    if (p.ec == std::errc() && FloatToHalf(rounded) == half_bits) {
      AppendFloat(rounded, out);
      return;
    }
  }
  AppendFloat(value, out);
}

void AppendInferResponse(const InferResponse& response, std::string_view id, std::string* out) {
  size_t estimate = 128;
  for (const Tensor& t : response.outputs) {
    estimate += 96 + t.name.size() + PresentElements(t) * 12;
  }
  out->reserve(out->size() + estimate);
  out->append("{\"model_name\":");
  AppendString(response.model_name, out);
  if (!response.model_version.empty()) {
    out->append(",\"model_version\":");
    AppendString(response.model_version, out);
  }
  out->append(",\"id\":");
  AppendString(id, out);
  out->append(",\"parameters\":{},\"outputs\":[");
  for (size_t i = 0; i < response.outputs.size(); ++i) {
    if (i) out->push_back(',');
    AppendTensor(response.outputs[i], "\"parameters\":{\"content_type\":\"np\"},", out);
  }
  out->append("]}");
}

std::string EncodeInferResponse(const InferResponse& response, std::string_view id) {
  std::string out;
  AppendInferResponse(response, id, &out);
  return out;
}

std::string EncodeInferRequest(const InferRequest& request, std::string_view id) {
  std::string out;
  out.push_back('{');
  if (!id.empty()) {
    out.append("\"id\":");
    AppendString(id, &out);
    out.push_back(',');
  }
  out.append("\"inputs\":[");
  for (size_t i = 0; i < request.inputs.size(); ++i) {
    if (i) out.push_back(',');
    AppendTensor(request.inputs[i], {}, &out);
  }
  out.push_back(']');
  if (!request.outputs.empty()) {
    out.append(",\"outputs\":[");
    for (size_t i = 0; i < request.outputs.size(); ++i) {
      if (i) out.push_back(',');
      out.append("{\"name\":");
      AppendString(request.outputs[i], &out);
      out.push_back('}');
    }
    out.push_back(']');
  }
  out.push_back('}');
  return out;
}

std::string EncodeIndexRequest(bool ready_only) {
  return ready_only ? "{\"ready\":true}" : "{}";
}

void AppendIndex(const std::vector<IndexEntry>& entries, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < entries.size(); ++i) {
    const IndexEntry& e = entries[i];
    if (i) out->push_back(',');
    out->append("{\"name\":");
    AppendString(e.name, out);
    if (!e.version.empty()) {
      out->append(",\"version\":");
      AppendString(e.version, out);
    }
    out->append(",\"state\":");
    AppendString(ModelStateName(e.state), out);
    out->append(",\"reason\":");
    AppendString(e.reason, out);
    out->push_back('}');
  }
  out->push_back(']');
}

std::string EncodeIndex(const std::vector<IndexEntry>& entries) {
  std::string out;
  AppendIndex(entries, &out);
  return out;
}

void AppendModelMetadata(const ModelMetadata& metadata, std::string* out) {
  out->append("{\"name\":");
  AppendString(metadata.name, out);
  out->append(",\"versions\":");
  AppendStrings(metadata.versions, out);
  out->append(",\"platform\":");
  AppendString(metadata.platform, out);
  out->append(",\"inputs\":");
  AppendTensorSpecs(metadata.inputs, out);
  out->append(",\"outputs\":");
  AppendTensorSpecs(metadata.outputs, out);
  out->append(",\"parameters\":{}}");
}

std::string EncodeModelMetadata(const ModelMetadata& metadata) {
  std::string out;
  AppendModelMetadata(metadata, &out);
  return out;
}

std::string EncodeServerMetadata(const ServerMetadata& metadata) {
  std::string out = "{\"name\":";
  AppendString(metadata.name, &out);
  out.append(",\"version\":");
  AppendString(metadata.version, &out);
  out.append(",\"extensions\":");
  AppendStrings(metadata.extensions, &out);
  out.push_back('}');
  return out;
}

void AppendError(std::string_view message, std::string* out) {
  out->append("{\"error\":");
  AppendString(message, out);
  out->push_back('}');
}

std::string EncodeError(std::string_view message) {
  std::string out;
  AppendError(message, &out);
  return out;
}

std::string GenerateRequestId() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  unsigned char b[16];
  uint64_t hi = rng();
  uint64_t lo = rng();
  std::memcpy(b, &hi, 8);
  std::memcpy(b + 8, &lo, 8);
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::string id;
  id.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id.push_back('-');
    id.push_back(kHex[b[i] >> 4]);
    id.push_back(kHex[b[i] & 15]);
  }
  return id;
}

}  // namespace modelrepo::v2json
