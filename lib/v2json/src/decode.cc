// Reading V2 JSON.
//
// Inference messages are read by a SAX handler straight into tensors: no DOM, numbers kept as
// their text (kParseNumbersAsStringsFlag) and converted once, to the tensor's own type, by
// std::from_chars. When "datatype" comes after "data" in a tensor object, the data's byte range
// is remembered and read again once the datatype is known, so any key order works without
// buffering elements. The small documents of the repository API are read into a DOM under the
// same depth limit.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>
#include <type_traits>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include "modelrepo/tabular.h"
#include "modelrepo/v2json.h"

namespace modelrepo::v2json {
namespace {

using rapidjson::SizeType;

constexpr unsigned kSaxFlags = rapidjson::kParseIterativeFlag |
                               rapidjson::kParseNumbersAsStringsFlag |
                               rapidjson::kParseNanAndInfFlag |
                               rapidjson::kParseValidateEncodingFlag;
// The DOM holds small documents (index, load, metadata bodies) whose numbers are never tensor
// data: no full-precision parsing, whose RapidJSON 1.1.0 path has undefined behaviour on inputs
// such as 0e-32 (clz of zero, found by the v2_request fuzzer).
constexpr unsigned kDomFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

// At most this much of a client's text is quoted back in an error message.
constexpr size_t kQuoteLimit = 40;

std::string Quote(std::string_view text) {
  if (text.size() <= kQuoteLimit) return std::string(text);
  return std::string(text.substr(0, kQuoteLimit)) + "...";
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

std::string AllDataTypeNames() {
  std::string names;
  for (int i = 0; i <= static_cast<int>(DataType::kBytes); ++i) {
    if (i) names += ", ";
    names += DataTypeName(static_cast<DataType>(i));
  }
  return names;
}

std::string ParseErrorMessage(const rapidjson::ParseResult& result) {
  return fmt::format("malformed JSON at offset {}: {}", result.Offset(),
                     rapidjson::GetParseError_En(result.Code()));
}

// ---- Elements -------------------------------------------------------------------------------

enum class Kind : uint8_t { kNumber, kString, kTrue, kFalse, kNull };

// A negative exponent in a number's text: out-of-range then means underflow, not overflow.
bool HasNegativeExponent(const char* s, size_t n) {
  for (size_t i = 0; i + 1 < n; ++i) {
    if ((s[i] == 'e' || s[i] == 'E') && s[i + 1] == '-') return true;
  }
  return false;
}

// A decimal number as its digits: value = (negative ? -1 : 1) * significand * 10^power, where
// `exact` says the significand holds every significant digit (at most 17 of them).
struct Decimal {
  uint64_t significand = 0;
  int power = 0;
  int digits = 0;  // significant digits (leading zeros excluded)
  bool negative = false;
  bool exact = true;

  void AddDigit(char d, bool fraction) {
    if (fraction) --power;
    if (significand == 0 && d == '0') return;
    if (++digits > 17) {
      exact = false;
      return;
    }
    significand = significand * 10 + static_cast<unsigned>(d - '0');
  }
};

// The common short decimals ("0.5", "-12.25", "3e-4") without std::from_chars: when the digits
// fit F's significand exactly and the power of ten is exact in F too, one IEEE multiplication or
// division rounds the exact value once, to the same result from_chars gives. Otherwise false.
template <class F>
inline bool DecimalToFloating(const Decimal& d, F* out) {
  constexpr bool kFloat = std::is_same_v<F, float>;
  constexpr uint64_t kMaxSignificand = kFloat ? (uint64_t{1} << 24) : (uint64_t{1} << 53);
  constexpr int kMaxPower = kFloat ? 10 : 22;
  static constexpr F kPowers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                  1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  if (!d.exact || d.significand > kMaxSignificand) return false;
  F v = static_cast<F>(d.significand);  // exact
  if (d.significand != 0) {
    if (d.power < -kMaxPower || d.power > kMaxPower) return false;
    v = d.power < 0 ? v / kPowers[-d.power] : v * kPowers[d.power];
  }
  *out = d.negative ? -v : v;
  return true;
}

// DecimalToFloating on a number's text; false for text it does not take (more digits, larger
// exponents, NaN, Inf, malformed text), which std::from_chars then reads.
template <class F>
inline bool ParseShortDecimal(const char* s, size_t n, F* out) {
  const char* p = s;
  const char* end = s + n;
  Decimal d;
  d.negative = p != end && *p == '-';
  if (d.negative) ++p;
  bool any = false;
  for (; p != end && *p >= '0' && *p <= '9'; ++p) {
    any = true;
    d.AddDigit(*p, false);
  }
  if (!any) return false;
  if (p != end && *p == '.') {
    ++p;
    bool frac = false;
    for (; p != end && *p >= '0' && *p <= '9'; ++p) {
      frac = true;
      d.AddDigit(*p, true);
    }
    if (!frac) return false;
  }
  if (p != end && (*p == 'e' || *p == 'E')) {
    ++p;
    bool minus = p != end && *p == '-';
    if (p != end && (*p == '-' || *p == '+')) ++p;
    int e = 0;
    int e_digits = 0;
    for (; p != end && *p >= '0' && *p <= '9'; ++p) {
      if (++e_digits > 3) return false;
      e = e * 10 + (*p - '0');
    }
    if (e_digits == 0) return false;
    d.power += minus ? -e : e;
  }
  if (p != end) return false;
  return DecimalToFloating(d, out);
}

template <class F>
bool ParseFloating(const char* s, size_t n, F* out) {
  if (ParseShortDecimal(s, n, out)) return true;
  F v{};
  auto r = std::from_chars(s, s + n, v);
  if (r.ptr != s + n) return false;
  if (r.ec == std::errc::result_out_of_range) {
    if (!HasNegativeExponent(s, n)) return false;  // overflow
    v = (n && s[0] == '-') ? -F(0) : F(0);         // underflow to zero
  } else if (r.ec != std::errc()) {
    return false;
  }
  *out = v;
  return true;
}

// An integer of type T from its text: exact for integer literals; a fractional or exponent form
// is accepted only when its value is a whole number in range (1.0, 1e3).
template <class T>
bool ParseInteger(const char* s, size_t n, T* out) {
  using Wide = std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>;
  Wide w{};
  auto r = std::from_chars(s, s + n, w);
  if (r.ptr == s + n && r.ec == std::errc()) {
    if (w < static_cast<Wide>(std::numeric_limits<T>::min()) ||
        w > static_cast<Wide>(std::numeric_limits<T>::max())) {
      return false;
    }
    *out = static_cast<T>(w);
    return true;
  }
  if (r.ec == std::errc::result_out_of_range && r.ptr == s + n) return false;
  double d = 0;
  auto rd = std::from_chars(s, s + n, d);
  if (rd.ptr != s + n || rd.ec != std::errc() || !std::isfinite(d) || d != std::trunc(d)) {
    return false;
  }
  // Bounds as doubles: min is exact (0 or -2^k); max + 1 is a power of two, also exact.
  const double lo = static_cast<double>(std::numeric_limits<T>::min());
  const double hi = static_cast<double>(std::numeric_limits<T>::max() / 2 + 1) * 2.0;
  if (d < lo || d >= hi) return false;
  *out = static_cast<T>(d);
  return true;
}

// Appends scalar elements to one tensor, converting each to the tensor's datatype.
class ElementSink {
 public:
  // `expected` is the shape's element count, or -1 when the shape is not known yet; elements
  // beyond it are counted but not stored. `size_hint` bounds what is reserved up front.
  void Begin(Tensor* tensor, int64_t expected, size_t size_hint) {
    size_hint_ = size_hint;
    error_.clear();
    tensor_ = tensor;
    expected_ = expected;
    count_ = 0;
    size_ = DataTypeSize(tensor->datatype);
    tensor->data.clear();
    tensor->strings.clear();
    if (expected > 0) {
      size_t reserve = static_cast<size_t>(std::min<int64_t>(expected, size_hint / 2 + 1));
      if (tensor->datatype == DataType::kBytes) {
        tensor->strings.reserve(reserve);
      } else {
        tensor->data.resize(reserve * size_);
      }
    }
  }

  bool Add(Kind kind, const char* s, size_t n) {
    if (expected_ >= 0 && count_ >= expected_) {  // too many: count only
      ++count_;
      return true;
    }
    switch (tensor_->datatype) {
      case DataType::kBool:
        if (kind != Kind::kTrue && kind != Kind::kFalse) return Fail(kind, s, n, "true or false");
        return Store<uint8_t>(kind == Kind::kTrue ? 1 : 0);
      case DataType::kUint8: return AddInteger<uint8_t>(kind, s, n);
      case DataType::kUint16: return AddInteger<uint16_t>(kind, s, n);
      case DataType::kUint32: return AddInteger<uint32_t>(kind, s, n);
      case DataType::kUint64: return AddInteger<uint64_t>(kind, s, n);
      case DataType::kInt8: return AddInteger<int8_t>(kind, s, n);
      case DataType::kInt16: return AddInteger<int16_t>(kind, s, n);
      case DataType::kInt32: return AddInteger<int32_t>(kind, s, n);
      case DataType::kInt64: return AddInteger<int64_t>(kind, s, n);
      case DataType::kFp16: {
        float f = std::numeric_limits<float>::quiet_NaN();
        if (kind != Kind::kNull) {
          if (kind != Kind::kNumber) return Fail(kind, s, n, "numbers or null");
          if (!ParseFloating(s, n, &f)) return OutOfRange(s, n);
        }
        uint16_t h = FloatToHalf(f);
        if (std::isfinite(f) && !std::isfinite(HalfToFloat(h))) return OutOfRange(s, n);
        return Store<uint16_t>(h);
      }
      case DataType::kFp32: return AddFloating<float>(kind, s, n);
      case DataType::kFp64: return AddFloating<double>(kind, s, n);
      case DataType::kBytes:
        if (kind != Kind::kString) return Fail(kind, s, n, "strings");
        tensor_->strings.emplace_back(s, n);
        ++count_;
        return true;
    }
    return Fail(kind, s, n, "a known datatype");
  }

  // Trims the storage to the elements read. Returns how many there were.
  int64_t Finish() {
    if (tensor_->datatype != DataType::kBytes) {
      int64_t stored = expected_ >= 0 ? std::min(count_, expected_) : count_;
      tensor_->data.resize(static_cast<size_t>(stored) * size_);
    }
    return count_;
  }

  const std::string& error() const { return error_; }

  // Add for a tensor known to be FP32 or FP64 (F): the fast scanner's loop calls it without the
  // switch on the datatype.
  template <class F>
  bool AddFloatingElement(Kind kind, const char* s, size_t n, const Decimal* d) {
    if (expected_ >= 0 && count_ >= expected_) {  // too many: count only
      ++count_;
      return true;
    }
    F v;
    if (d && DecimalToFloating(*d, &v)) return Store<F>(v);
    return AddFloating<F>(kind, s, n);
  }

  // Starts the same tensor over (after a fast scan gave up half-way).
  void Restart() { Begin(tensor_, expected_, size_hint_); }

 private:
  template <class T>
  bool Store(T value) {
    size_t offset = static_cast<size_t>(count_) * sizeof(T);
    std::vector<unsigned char>& data = tensor_->data;
    if (offset + sizeof(T) > data.size()) data.resize(std::max<size_t>(64, 2 * data.size()));
    std::memcpy(data.data() + offset, &value, sizeof(T));
    ++count_;
    return true;
  }

  template <class T>
  bool AddInteger(Kind kind, const char* s, size_t n) {
    if (kind != Kind::kNumber) return Fail(kind, s, n, "integers");
    T v{};
    if (!ParseInteger(s, n, &v)) return OutOfRange(s, n);
    return Store<T>(v);
  }

  template <class F>
  bool AddFloating(Kind kind, const char* s, size_t n) {
    if (kind == Kind::kNull) return Store<F>(std::numeric_limits<F>::quiet_NaN());
    if (kind != Kind::kNumber) return Fail(kind, s, n, "numbers or null");
    F v{};
    if (!ParseFloating(s, n, &v)) return OutOfRange(s, n);
    return Store<F>(v);
  }

  bool Fail(Kind kind, const char* s, size_t n, std::string_view wanted) {
    std::string what;
    switch (kind) {
      case Kind::kNumber: what = fmt::format("the number {}", Quote({s, n})); break;
      case Kind::kString: what = "a string"; break;
      case Kind::kTrue: what = "true"; break;
      case Kind::kFalse: what = "false"; break;
      case Kind::kNull: what = "null"; break;
    }
    error_ = fmt::format("element {} is {}, but {} data must be {}", count_, what,
                         DataTypeName(tensor_->datatype), wanted);
    return false;
  }

  bool OutOfRange(const char* s, size_t n) {
    error_ = fmt::format("element {} ({}) does not fit {}", count_, Quote({s, n}),
                         DataTypeName(tensor_->datatype));
    return false;
  }

  Tensor* tensor_ = nullptr;
  int64_t expected_ = -1;
  int64_t count_ = 0;
  size_t size_ = 0;
  size_t size_hint_ = 0;
  std::string error_;
};

// A fast path for the "data" arrays of ordinary requests: scans numbers, null, true and false in
// (possibly nested) arrays straight from the request bytes, without RapidJSON's token machinery.
// `p` points at the opening '['; arrays may nest at most `max_nesting` deep, counting that one.
// Each scalar goes to `emit(kind, text, length, decimal)`, with its digits for a number (else null). Returns the position of the matching ']', or
// nullptr when it meets anything else (strings, NaN, Inf, very long numbers, malformed JSON, a
// refused element, the end of the input): the caller then reads the array the general way, which
// accepts or refuses it with its usual messages. What it accepts, RapidJSON reads the same way.
template <class Emit>
const char* ScanData(const char* p, const char* end, int max_nesting, Emit&& emit) {
  auto skip_blank = [&] {
    while (p != end && static_cast<unsigned char>(*p) <= ' ' &&
           (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
      ++p;
    }
  };
  auto digits = [&](int limit) {  // [0-9]*, at most `limit` of them (-1 when over)
    int count = 0;
    while (p != end && *p >= '0' && *p <= '9') {
      ++p;
      if (++count > limit) return -1;
    }
    return count;
  };
  auto literal = [&](std::string_view word) {
    if (static_cast<size_t>(end - p) < word.size() || std::memcmp(p, word.data(), word.size()) != 0) {
      return false;
    }
    p += word.size();
    return true;
  };
  int depth = 1;
  ++p;  // the '['
  bool opened = true;  // just after '[': ']' may follow
  while (true) {
    skip_blank();
    if (p == end) return nullptr;
    // A value.
    const char c = *p;
    if (c == '[') {
      if (++depth > max_nesting) return nullptr;
      ++p;
      opened = true;
      continue;
    }
    if (c == ']' && opened) {
      // Empty array.
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      // JSON number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, with bounded digit
      // counts (RapidJSON refuses some very long ones as too big).
      // The digits are gathered on the way (Decimal), for the floating-point datatypes.
      const char* start = p;
      Decimal d;
      d.negative = *p == '-';
      if (d.negative) ++p;
      if (p == end) return nullptr;
      if (*p == '0') {
        ++p;
      } else if (*p >= '1' && *p <= '9') {
        const char* first = p;
        if (digits(18) < 0) return nullptr;
        for (const char* q = first; q != p; ++q) d.AddDigit(*q, false);
      } else {
        return nullptr;
      }
      if (p != end && *p == '.') {
        ++p;
        const char* first = p;
        if (digits(64) <= 0) return nullptr;
        for (const char* q = first; q != p; ++q) d.AddDigit(*q, true);
      }
      if (p != end && (*p == 'e' || *p == 'E')) {
        ++p;
        bool minus = p != end && *p == '-';
        if (p != end && (*p == '+' || *p == '-')) ++p;
        const char* first = p;
        if (digits(2) <= 0) return nullptr;
        int e = 0;
        for (const char* q = first; q != p; ++q) e = e * 10 + (*q - '0');
        d.power += minus ? -e : e;
      }
      if (!emit(Kind::kNumber, start, static_cast<size_t>(p - start), &d)) return nullptr;
    } else if (c == 'n') {
      if (!literal("null") || !emit(Kind::kNull, nullptr, 0, nullptr)) return nullptr;
    } else if (c == 't') {
      if (!literal("true") || !emit(Kind::kTrue, nullptr, 0, nullptr)) return nullptr;
    } else if (c == 'f') {
      if (!literal("false") || !emit(Kind::kFalse, nullptr, 0, nullptr)) return nullptr;
    } else {
      return nullptr;
    }
    opened = false;
    // After a value: ',' then another value, or ']' closing one or more arrays.
    while (true) {
      skip_blank();
      if (p == end) return nullptr;
      if (*p == ',') {
        ++p;
        break;
      }
      if (*p != ']') return nullptr;
      if (--depth == 0) return p;
      ++p;
    }
  }
}

// Reads the elements of one (possibly nested) "data" array into an ElementSink: the second
// pass over data whose datatype came after it.
class DataHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, DataHandler> {
 public:
  explicit DataHandler(ElementSink* sink) : sink_(sink) {}
  bool Null() { return sink_->Add(Kind::kNull, nullptr, 0); }
  bool Bool(bool b) { return sink_->Add(b ? Kind::kTrue : Kind::kFalse, nullptr, 0); }
  bool RawNumber(const char* s, SizeType n, bool) { return sink_->Add(Kind::kNumber, s, n); }
  bool String(const char* s, SizeType n, bool) { return sink_->Add(Kind::kString, s, n); }
  bool StartArray() { return true; }
  bool EndArray(SizeType) { return true; }
  bool Default() { return false; }  // objects were refused by the first pass

 private:
  ElementSink* sink_;
};

// ---- Inference messages ---------------------------------------------------------------------

enum class Mode { kRequest, kResponse };

struct PendingTensor {
  Tensor tensor;
  bool has_name = false;
  bool has_datatype = false;
  bool has_shape = false;
  bool has_data = false;
  bool data_started = false;  // elements went straight into the sink
  size_t data_begin = 0;      // byte range of "data" when it must be read again
  size_t data_end = 0;
};

class MessageHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, MessageHandler> {
 public:
  MessageHandler(Mode mode, std::string_view body, rapidjson::MemoryStream* stream,
                 int64_t max_elements = std::numeric_limits<int64_t>::max())
      : mode_(mode), body_(body), stream_(stream), max_elements_(max_elements) {
    frames_.reserve(8);
  }

  // The results.
  std::vector<Tensor> tensors;
  std::vector<std::string> output_names;
  std::optional<std::string> id;
  std::string model_name;
  std::string model_version;
  bool has_tensors = false;
  std::string error;

  bool Null() { return Scalar(Kind::kNull, nullptr, 0); }
  bool Bool(bool b) { return Scalar(b ? Kind::kTrue : Kind::kFalse, nullptr, 0); }
  bool RawNumber(const char* s, SizeType n, bool) { return Scalar(Kind::kNumber, s, n); }
  bool String(const char* s, SizeType n, bool) { return Scalar(Kind::kString, s, n); }
  bool Default() { return Fail("unexpected JSON value"); }

  bool StartObject() {
    if (!Enter()) return false;
    if (skip_depth_ > 0) return ++skip_depth_, true;
    if (data_depth_ > 0) return TensorFail(fmt::format("'data' may hold only scalars and arrays"));
    if (frames_.empty()) {  // the root (the reader allows only one)
      frames_.push_back(Frame::kTop);
      return true;
    }
    switch (frames_.back()) {
      case Frame::kTensorList:
        pending_ = PendingTensor{};
        frames_.push_back(Frame::kTensor);
        return true;
      case Frame::kOutputList:
        output_names.emplace_back();
        output_has_name_ = false;
        frames_.push_back(Frame::kOutput);
        return true;
      case Frame::kShape:
        return TensorFail("'shape' must be an array of integers");
      default:
        break;
    }
    Slot slot = TakeSlot();
    if (slot == Slot::kSkip || slot == Slot::kParameters) {
      skip_depth_ = 1;
      return true;
    }
    return WrongType(slot);
  }

  bool Key(const char* s, SizeType n, bool) {
    if (skip_depth_ > 0) return true;
    std::string_view key(s, n);
    switch (frames_.back()) {
      case Frame::kTop: slot_ = TopSlot(key); break;
      case Frame::kTensor: slot_ = TensorSlot(key); break;
      case Frame::kOutput:
        slot_ = key == "name" ? Slot::kOutputName
                : key == "parameters" ? Slot::kParameters
                                      : Slot::kSkip;
        break;
      default: return Fail("unexpected key");
    }
    return true;
  }

  bool EndObject(SizeType) {
    --depth_;
    if (skip_depth_ > 0) return --skip_depth_, true;
    Frame frame = frames_.back();
    frames_.pop_back();
    if (frame == Frame::kTensor) return FinishTensor();
    if (frame == Frame::kOutput && !output_has_name_) {
      return Fail(fmt::format("requested output #{} has no 'name'", output_names.size() - 1));
    }
    return true;
  }

  bool StartArray() {
    if (!Enter()) return false;
    if (skip_depth_ > 0) return ++skip_depth_, true;
    if (data_depth_ > 0) return ++data_depth_, true;
    if (frames_.empty()) return Fail(RootMessage());
    switch (frames_.back()) {
      case Frame::kTensorList: return Fail(fmt::format("'{}' must be an array of objects", ListName()));
      case Frame::kOutputList: return Fail("'outputs' must be an array of objects");
      case Frame::kShape: return TensorFail("'shape' must be an array of integers");
      default: break;
    }
    Slot slot = TakeSlot();
    switch (slot) {
      case Slot::kSkip: skip_depth_ = 1; return true;
      case Slot::kTensors:
        if (has_tensors) return Fail(fmt::format("duplicate key '{}'", ListName()));
        has_tensors = true;
        frames_.push_back(Frame::kTensorList);
        return true;
      case Slot::kOutputRequests:
        if (has_output_requests_) return Fail("duplicate key 'outputs'");
        has_output_requests_ = true;
        frames_.push_back(Frame::kOutputList);
        return true;
      case Slot::kTensorShape:
        if (pending_.has_shape) return TensorFail("duplicate key 'shape'");
        pending_.has_shape = true;
        frames_.push_back(Frame::kShape);
        return true;
      case Slot::kTensorData: return StartData();
      default: return WrongType(slot);
    }
  }

  bool EndArray(SizeType) {
    --depth_;
    if (skip_depth_ > 0) return --skip_depth_, true;
    if (data_depth_ > 0) {
      if (--data_depth_ == 0) pending_.data_end = AfterBracket();
      return true;
    }
    frames_.pop_back();
    return true;
  }

 private:
  enum class Frame : uint8_t { kTop, kTensorList, kTensor, kShape, kOutputList, kOutput };
  enum class Slot : uint8_t {
    kNone, kSkip, kId, kParameters, kTensors, kOutputRequests, kModelName, kModelVersion,
    kTensorName, kTensorDatatype, kTensorShape, kTensorData, kOutputName,
  };

  std::string_view ListName() const { return mode_ == Mode::kRequest ? "inputs" : "outputs"; }
  std::string_view TensorWord() const { return mode_ == Mode::kRequest ? "input" : "output"; }
  std::string RootMessage() const {
    return mode_ == Mode::kRequest ? "an inference request must be a JSON object"
                                   : "an inference response must be a JSON object";
  }

  Slot TopSlot(std::string_view key) {
    if (key == "id") return Slot::kId;
    if (key == "parameters") return Slot::kParameters;
    if (mode_ == Mode::kRequest) {
      if (key == "inputs") return Slot::kTensors;
      if (key == "outputs") return Slot::kOutputRequests;
    } else {
      if (key == "outputs") return Slot::kTensors;
      if (key == "model_name") return Slot::kModelName;
      if (key == "model_version") return Slot::kModelVersion;
    }
    return Slot::kSkip;
  }

  Slot TensorSlot(std::string_view key) {
    if (key == "name") return Slot::kTensorName;
    if (key == "datatype") return Slot::kTensorDatatype;
    if (key == "shape") return Slot::kTensorShape;
    if (key == "data") return Slot::kTensorData;
    if (key == "parameters") return Slot::kParameters;
    return Slot::kSkip;
  }

  Slot TakeSlot() {
    Slot slot = slot_;
    slot_ = Slot::kNone;
    return slot;
  }

  bool Enter() {
    if (++depth_ > kMaxDepth) {
      return Fail(fmt::format("JSON nested deeper than {} levels", kMaxDepth));
    }
    return true;
  }

  bool Fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return false;
  }

  std::string TensorLabel() const {
    if (pending_.has_name) return fmt::format("{} '{}'", TensorWord(), pending_.tensor.name);
    return fmt::format("{} #{}", TensorWord(), tensors.size());
  }

  bool TensorFail(const std::string& message) {
    return Fail(fmt::format("{}: {}", TensorLabel(), message));
  }

  bool WrongType(Slot slot) {
    switch (slot) {
      case Slot::kId: return Fail("'id' must be a string");
      case Slot::kParameters: return Fail("'parameters' must be an object");
      case Slot::kTensors: return Fail(fmt::format("'{}' must be an array of objects", ListName()));
      case Slot::kOutputRequests: return Fail("'outputs' must be an array of objects");
      case Slot::kModelName: return Fail("'model_name' must be a string");
      case Slot::kModelVersion: return Fail("'model_version' must be a string");
      case Slot::kTensorName: return TensorFail("'name' must be a string");
      case Slot::kTensorDatatype: return TensorFail("'datatype' must be a string");
      case Slot::kTensorShape: return TensorFail("'shape' must be an array of integers");
      case Slot::kTensorData: return TensorFail("'data' must be an array");
      case Slot::kOutputName: return Fail("a requested output's 'name' must be a string");
      case Slot::kNone:
      case Slot::kSkip: break;
    }
    return Fail("unexpected JSON value");
  }

  bool Scalar(Kind kind, const char* s, size_t n) {
    if (skip_depth_ > 0) return true;
    if (data_depth_ > 0) {
      if (!pending_.data_started) return true;  // read in the second pass
      if (sink_.Add(kind, s, n)) return true;
      return TensorFail(sink_.error());
    }
    if (frames_.empty()) return Fail(RootMessage());
    switch (frames_.back()) {
      case Frame::kShape: return AddDimension(kind, s, n);
      case Frame::kTensorList: return Fail(fmt::format("'{}' must be an array of objects", ListName()));
      case Frame::kOutputList: return Fail("'outputs' must be an array of objects");
      default: break;
    }
    Slot slot = TakeSlot();
    if (slot == Slot::kSkip) return true;
    if (kind == Kind::kNull && (slot == Slot::kId || slot == Slot::kParameters ||
                                slot == Slot::kOutputRequests || slot == Slot::kModelVersion)) {
      return true;  // optional fields: null is the same as absent
    }
    if (kind != Kind::kString) return WrongType(slot);
    std::string_view text(s, n);
    switch (slot) {
      case Slot::kId:
        if (id) return Fail("duplicate key 'id'");
        id.emplace(text);
        return true;
      case Slot::kModelName: model_name.assign(text); return true;
      case Slot::kModelVersion: model_version.assign(text); return true;
      case Slot::kOutputName:
        if (output_has_name_) return Fail("duplicate key 'name' in a requested output");
        output_has_name_ = true;
        output_names.back().assign(text);
        return true;
      case Slot::kTensorName:
        if (pending_.has_name) return TensorFail("duplicate key 'name'");
        pending_.has_name = true;
        pending_.tensor.name.assign(text);
        return true;
      case Slot::kTensorDatatype: {
        if (pending_.has_datatype) return TensorFail("duplicate key 'datatype'");
        auto type = ParseDataType(text);
        if (!type) {
          return TensorFail(fmt::format("unknown datatype '{}' (expected one of {})", Quote(text),
                                        AllDataTypeNames()));
        }
        pending_.has_datatype = true;
        pending_.tensor.datatype = *type;
        return true;
      }
      default: return WrongType(slot);
    }
  }

  bool AddDimension(Kind kind, const char* s, size_t n) {
    int64_t dim = -1;
    if (kind != Kind::kNumber) return TensorFail("'shape' must be an array of integers");
    auto r = std::from_chars(s, s + n, dim);
    if (r.ptr != s + n || r.ec != std::errc() || dim < 0) {
      return TensorFail(fmt::format("shape dimension {} is not a non-negative integer", Quote({s, n})));
    }
    pending_.tensor.shape.push_back(dim);
    return true;
  }

  // The iterative reader (kSaxFlags) calls StartArray/EndArray while the stream still stands on
  // the bracket.
  size_t AfterBracket() const { return stream_->Tell() + 1; }

  bool StartData() {
    if (pending_.has_data) return TensorFail("duplicate key 'data'");
    pending_.has_data = true;
    data_depth_ = 1;
    pending_.data_begin = stream_->Tell();
    // Elements are stored as they are read only when the datatype and the shape came first, so
    // that the element cap applies before anything is stored; otherwise the array is only checked
    // now and read again once the tensor is complete.
    if (pending_.has_datatype && pending_.has_shape) {
      auto count = ElementCount(pending_.tensor.shape);
      if (!count.ok()) return TensorFail(count.status().message());
      if (!WithinElementCap(*count)) return false;  // before anything is reserved for it
      pending_.data_started = true;
      sink_.Begin(&pending_.tensor, *count, body_.size());
    }
    FastScanData();
    return true;
  }

  // Reads the whole "data" array at the stream's position (its '[') with ScanData, into the sink
  // or, when the datatype is not known yet, only to skip it. On success the stream is left so
  // that the reader, which consumes the '[' after StartArray returns, next sees the closing ']'
  // (and reports EndArray there); otherwise nothing changed and the reader goes through the array.
  void FastScanData() {
    const char* open = stream_->src_;
    const char* end = stream_->end_;
    const int max_nesting = kMaxDepth - depth_ + 1;
    const char* close = nullptr;
    if (pending_.data_started) {
      switch (pending_.tensor.datatype) {
        case DataType::kFp32:
          close = ScanData(open, end, max_nesting,
                           [this](Kind kind, const char* s, size_t n, const Decimal* d) {
                             return sink_.AddFloatingElement<float>(kind, s, n, d);
                           });
          break;
        case DataType::kFp64:
          close = ScanData(open, end, max_nesting,
                           [this](Kind kind, const char* s, size_t n, const Decimal* d) {
                             return sink_.AddFloatingElement<double>(kind, s, n, d);
                           });
          break;
        default:
          close = ScanData(open, end, max_nesting, [this](Kind kind, const char* s, size_t n, const Decimal*) {
            return sink_.Add(kind, s, n);
          });
          break;
      }
      if (!close) sink_.Restart();
    } else {
      close = ScanData(open, end, max_nesting, [](Kind, const char*, size_t, const Decimal*) { return true; });
    }
    if (close) stream_->src_ = close - 1;  // >= open: the reader's Take() then lands on ']'
  }

  bool FinishTensor() {
    PendingTensor& p = pending_;
    if (!p.has_name) return TensorFail("missing 'name'");
    if (!p.has_datatype) return TensorFail("missing 'datatype'");
    if (!p.has_shape) return TensorFail("missing 'shape'");
    if (!p.has_data) {
      return TensorFail("missing 'data' (binary tensor data is not supported)");
    }
    auto count = ElementCount(p.tensor.shape);
    if (!count.ok()) return TensorFail(count.status().message());
    if (!WithinElementCap(*count)) return false;
    if (!p.data_started) {
      sink_.Begin(&p.tensor, *count, p.data_end - p.data_begin);
      const char* begin = body_.data() + p.data_begin;
      const char* end = body_.data() + p.data_end;
      // The first pass checked the nesting depth already.
      bool fast = ScanData(begin, end, kMaxDepth + 1,
                           [this](Kind kind, const char* s, size_t n, const Decimal*) {
                             return sink_.Add(kind, s, n);
                           }) == end - 1;
      if (!fast) {
        sink_.Restart();
        rapidjson::MemoryStream data(begin, p.data_end - p.data_begin);
        rapidjson::Reader reader;
        DataHandler handler(&sink_);
        if (!reader.Parse<kSaxFlags>(data, handler)) {
          return TensorFail(sink_.error().empty() ? "malformed 'data'" : sink_.error());
        }
      }
    }
    int64_t read = sink_.Finish();
    if (read != *count) {
      return Fail(fmt::format("{} has {} elements but its shape {} implies {}", TensorLabel(), read,
                              ShapeText(p.tensor.shape), *count));
    }
    tensors.push_back(std::move(p.tensor));
    p = PendingTensor{};
    elements_ += *count;
    return true;
  }

  // Whether a tensor of `count` elements fits the request's element cap beside the tensors
  // read before it; fails the message when not.
  bool WithinElementCap(int64_t count) {
    if (count <= max_elements_ - elements_) return true;
    return Fail(fmt::format("{} has {} elements; with the inputs before it, the request would exceed "
                            "this server's limit of {} elements",
                            TensorLabel(), count, max_elements_));
  }

  Mode mode_;
  std::string_view body_;
  rapidjson::MemoryStream* stream_;
  std::vector<Frame> frames_;
  Slot slot_ = Slot::kNone;
  int depth_ = 0;
  int skip_depth_ = 0;  // > 0 inside a value being skipped
  int data_depth_ = 0;  // > 0 inside "data"
  bool has_output_requests_ = false;
  bool output_has_name_ = false;
  PendingTensor pending_;
  ElementSink sink_;
  int64_t max_elements_;
  int64_t elements_ = 0;  // of the tensors finished so far
};

// Runs the SAX reader over the whole body; the message handler's error wins over the reader's.
Status ParseMessage(std::string_view body, MessageHandler* handler, rapidjson::MemoryStream* stream) {
  if (IsBlank(body)) return Status::InvalidArgument("request body is empty; expected a JSON object");
  rapidjson::Reader reader;
  rapidjson::ParseResult result = reader.Parse<kSaxFlags>(*stream, *handler);
  if (!handler->error.empty()) return Status::InvalidArgument(handler->error);
  if (!result) return Status::InvalidArgument(ParseErrorMessage(result));
  if (stream->Tell() != body.size()) {
    return Status::InvalidArgument(
        fmt::format("malformed JSON at offset {}: unexpected NUL byte", stream->Tell()));
  }
  return Status::Ok();
}

// ---- DOM documents --------------------------------------------------------------------------

// Forwards SAX events to a Document while refusing nesting beyond kMaxDepth.
class DepthLimiter {
 public:
  explicit DepthLimiter(rapidjson::Document* doc) : doc_(doc) {}
  bool Null() { return doc_->Null(); }
  bool Bool(bool b) { return doc_->Bool(b); }
  bool Int(int i) { return doc_->Int(i); }
  bool Uint(unsigned u) { return doc_->Uint(u); }
  bool Int64(int64_t i) { return doc_->Int64(i); }
  bool Uint64(uint64_t u) { return doc_->Uint64(u); }
  bool Double(double d) { return doc_->Double(d); }
  bool RawNumber(const char* s, SizeType n, bool copy) { return doc_->RawNumber(s, n, copy); }
  bool String(const char* s, SizeType n, bool copy) { return doc_->String(s, n, copy); }
  bool StartObject() { return ++depth_ <= kMaxDepth && doc_->StartObject(); }
  bool Key(const char* s, SizeType n, bool copy) { return doc_->Key(s, n, copy); }
  bool EndObject(SizeType n) { return --depth_, doc_->EndObject(n); }
  bool StartArray() { return ++depth_ <= kMaxDepth && doc_->StartArray(); }
  bool EndArray(SizeType n) { return --depth_, doc_->EndArray(n); }
  bool too_deep() const { return depth_ > kMaxDepth; }

 private:
  rapidjson::Document* doc_;
  int depth_ = 0;
};

Status ParseDom(std::string_view body, rapidjson::Document* doc) {
  rapidjson::MemoryStream stream(body.data(), body.size());
  rapidjson::ParseResult result;
  bool too_deep = false;
  auto generator = [&](rapidjson::Document& d) {
    rapidjson::Reader reader;
    DepthLimiter limiter(&d);
    result = reader.Parse<kDomFlags>(stream, limiter);
    too_deep = limiter.too_deep();
    return static_cast<bool>(result);
  };
  doc->Populate(generator);
  if (too_deep) return Status::InvalidArgument(fmt::format("JSON nested deeper than {} levels", kMaxDepth));
  if (!result) return Status::InvalidArgument(ParseErrorMessage(result));
  if (stream.Tell() != body.size()) {
    return Status::InvalidArgument(
        fmt::format("malformed JSON at offset {}: unexpected NUL byte", stream.Tell()));
  }
  return Status::Ok();
}

std::string_view StringOf(const rapidjson::Value& v) {
  return v.IsString() ? std::string_view(v.GetString(), v.GetStringLength()) : std::string_view();
}

const rapidjson::Value* Member(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

Status ReadStringMember(const rapidjson::Value& object, const char* name, std::string* out) {
  const rapidjson::Value* v = Member(object, name);
  if (!v) return Status::Ok();
  if (!v->IsString()) return Status::InvalidArgument(fmt::format("'{}' must be a string", name));
  out->assign(StringOf(*v));
  return Status::Ok();
}

Status ReadStringArray(const rapidjson::Value& object, const char* name,
                       std::vector<std::string>* out) {
  const rapidjson::Value* v = Member(object, name);
  if (!v) return Status::Ok();
  if (!v->IsArray()) return Status::InvalidArgument(fmt::format("'{}' must be an array of strings", name));
  for (const auto& e : v->GetArray()) {
    if (!e.IsString()) return Status::InvalidArgument(fmt::format("'{}' must be an array of strings", name));
    out->emplace_back(StringOf(e));
  }
  return Status::Ok();
}

Status ReadTensorSpecs(const rapidjson::Value& object, const char* name,
                       std::vector<TensorSpec>* out) {
  const rapidjson::Value* v = Member(object, name);
  if (!v) return Status::Ok();
  auto bad = [&] { return Status::InvalidArgument(fmt::format("'{}' must be an array of tensor specs", name)); };
  if (!v->IsArray()) return bad();
  for (const auto& e : v->GetArray()) {
    if (!e.IsObject()) return bad();
    TensorSpec spec;
    if (Status s = ReadStringMember(e, "name", &spec.name); !s.ok()) return s;
    std::string datatype;
    if (Status s = ReadStringMember(e, "datatype", &datatype); !s.ok()) return s;
    auto type = ParseDataType(datatype);
    if (!type) return Status::InvalidArgument(fmt::format("unknown datatype '{}'", Quote(datatype)));
    spec.datatype = *type;
    if (const rapidjson::Value* shape = Member(e, "shape")) {
      if (!shape->IsArray()) return bad();
      for (const auto& d : shape->GetArray()) {
        if (!d.IsInt64()) return bad();
        spec.shape.push_back(d.GetInt64());
      }
    }
    out->push_back(std::move(spec));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<InferRequestMessage> DecodeInferRequest(std::string_view body, const DecodeLimits& limits) {
  rapidjson::MemoryStream stream(body.data(), body.size());
  MessageHandler handler(Mode::kRequest, body, &stream, limits.max_elements);
  if (Status s = ParseMessage(body, &handler, &stream); !s.ok()) return s;
  if (!handler.has_tensors) return Status::InvalidArgument("inference request has no 'inputs'");
  InferRequestMessage message;
  message.request.inputs = std::move(handler.tensors);
  message.request.outputs = std::move(handler.output_names);
  message.id = std::move(handler.id);
  return message;
}

StatusOr<InferResponseMessage> DecodeInferResponse(std::string_view body) {
  rapidjson::MemoryStream stream(body.data(), body.size());
  MessageHandler handler(Mode::kResponse, body, &stream);
  if (Status s = ParseMessage(body, &handler, &stream); !s.ok()) return s;
  InferResponseMessage message;
  message.response.model_name = std::move(handler.model_name);
  message.response.model_version = std::move(handler.model_version);
  message.response.outputs = std::move(handler.tensors);
  message.id = handler.id.value_or(std::string());
  return message;
}

StatusOr<bool> DecodeIndexRequest(std::string_view body) {
  if (IsBlank(body)) return false;
  rapidjson::Document doc;
  if (Status s = ParseDom(body, &doc); !s.ok()) return s;
  if (!doc.IsObject()) return Status::InvalidArgument("an index request must be a JSON object");
  const rapidjson::Value* ready = Member(doc, "ready");
  if (!ready || ready->IsNull()) return false;
  if (!ready->IsBool()) return Status::InvalidArgument("'ready' must be true or false");
  return ready->GetBool();
}

Status DecodeRepositoryRequest(std::string_view body) {
  if (IsBlank(body)) return Status::Ok();
  rapidjson::Document doc;
  if (Status s = ParseDom(body, &doc); !s.ok()) return s;
  if (!doc.IsObject()) return Status::InvalidArgument("a repository request must be a JSON object");
  const rapidjson::Value* parameters = Member(doc, "parameters");
  if (!parameters || parameters->IsNull()) return Status::Ok();
  if (!parameters->IsObject()) return Status::InvalidArgument("'parameters' must be an object");
  for (const auto& m : parameters->GetObject()) {
    std::string_view key = StringOf(m.name);
    if (key == "config" || key.substr(0, 5) == "file:") {
      return Status::InvalidArgument(fmt::format(
          "parameter '{}' is not supported: models are loaded only from the repository folder",
          Quote(key)));
    }
  }
  return Status::Ok();
}

StatusOr<std::vector<IndexEntry>> DecodeIndex(std::string_view body) {
  rapidjson::Document doc;
  if (Status s = ParseDom(body, &doc); !s.ok()) return s;
  if (!doc.IsArray()) return Status::InvalidArgument("a repository index must be a JSON array");
  std::vector<IndexEntry> entries;
  for (const auto& e : doc.GetArray()) {
    if (!e.IsObject()) return Status::InvalidArgument("index entries must be objects");
    IndexEntry entry;
    std::string state;
    for (auto [key, out] : {std::pair{"name", &entry.name}, std::pair{"version", &entry.version},
                            std::pair{"state", &state}, std::pair{"reason", &entry.reason}}) {
      if (Status s = ReadStringMember(e, key, out); !s.ok()) return s;
    }
    bool known = false;
    for (ModelState candidate : {ModelState::kUnavailable, ModelState::kLoading, ModelState::kReady,
                                 ModelState::kUnloading}) {
      if (ModelStateName(candidate) == state) {
        entry.state = candidate;
        known = true;
      }
    }
    if (!known) return Status::InvalidArgument(fmt::format("unknown model state '{}'", Quote(state)));
    entries.push_back(std::move(entry));
  }
  return entries;
}

StatusOr<ModelMetadata> DecodeModelMetadata(std::string_view body) {
  rapidjson::Document doc;
  if (Status s = ParseDom(body, &doc); !s.ok()) return s;
  if (!doc.IsObject()) return Status::InvalidArgument("model metadata must be a JSON object");
  ModelMetadata m;
  if (Status s = ReadStringMember(doc, "name", &m.name); !s.ok()) return s;
  if (Status s = ReadStringArray(doc, "versions", &m.versions); !s.ok()) return s;
  if (Status s = ReadStringMember(doc, "platform", &m.platform); !s.ok()) return s;
  if (Status s = ReadTensorSpecs(doc, "inputs", &m.inputs); !s.ok()) return s;
  if (Status s = ReadTensorSpecs(doc, "outputs", &m.outputs); !s.ok()) return s;
  return m;
}

StatusOr<ServerMetadata> DecodeServerMetadata(std::string_view body) {
  rapidjson::Document doc;
  if (Status s = ParseDom(body, &doc); !s.ok()) return s;
  if (!doc.IsObject()) return Status::InvalidArgument("server metadata must be a JSON object");
  ServerMetadata m;
  if (Status s = ReadStringMember(doc, "name", &m.name); !s.ok()) return s;
  if (Status s = ReadStringMember(doc, "version", &m.version); !s.ok()) return s;
  if (Status s = ReadStringArray(doc, "extensions", &m.extensions); !s.ok()) return s;
  return m;
}

std::string DecodeError(std::string_view body) {
  rapidjson::Document doc;
  if (ParseDom(body, &doc).ok() && doc.IsObject()) {
    if (const rapidjson::Value* error = Member(doc, "error"); error && error->IsString()) {
      return std::string(StringOf(*error));
    }
  }
  constexpr size_t kLimit = 200;
  if (body.size() <= kLimit) return std::string(body);
  return std::string(body.substr(0, kLimit)) + "...";
}

}  // namespace modelrepo::v2json
