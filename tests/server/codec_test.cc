// The V2 JSON codec: every datatype, nested data, null as NaN, key order, ids, shortest floats,
// and every way a request can be wrong.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "modelrepo/tabular.h"
#include "modelrepo/v2json.h"

using namespace modelrepo;
using modelrepo::v2json::DecodeInferRequest;

namespace {

// Decodes a request with one input whose shape, datatype and data are given as JSON text.
StatusOr<Tensor> DecodeOne(const std::string& datatype, const std::string& shape, const std::string& data) {
  auto message = DecodeInferRequest(R"({"inputs":[{"name":"x","shape":)" + shape + R"(,"datatype":")" +
                                    datatype + R"(","data":)" + data + "}]}");
  if (!message.ok()) return message.status();
  REQUIRE(message->request.inputs.size() == 1);
  return message->request.inputs[0];
}

template <class T>
std::vector<T> Values(const Tensor& t) {
  std::vector<T> v(t.data.size() / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), t.data.data(), t.data.size());
  return v;
}

std::string ErrorOf(const std::string& body, const modelrepo::v2json::DecodeLimits& limits = {}) {
  auto message = DecodeInferRequest(body, limits);
  REQUIRE_FALSE(message.ok());
  CHECK(message.status().code() == StatusCode::kInvalidArgument);
  return message.status().message();
}

std::string DecodeError(const std::string& datatype, const std::string& shape, const std::string& data) {
  auto t = DecodeOne(datatype, shape, data);
  REQUIRE_FALSE(t.ok());
  CHECK(t.status().code() == StatusCode::kInvalidArgument);
  return t.status().message();
}

std::string EncodeOutput(const Tensor& t) {
  InferResponse r;
  r.model_name = "m";
  r.outputs.push_back(t);
  std::string body = v2json::EncodeInferResponse(r, "id");
  auto data = body.find("\"data\":");
  REQUIRE(data != std::string::npos);
  return body.substr(data + 7, body.size() - data - 7 - 3);  // strip the closing "}]}"
}

std::string FloatText(float f) {
  std::string s;
  v2json::AppendFloat(f, &s);
  return s;
}

std::string DoubleText(double d) {
  std::string s;
  v2json::AppendDouble(d, &s);
  return s;
}

}  // namespace

TEST_CASE("decode: every datatype", "[codec]") {
  SECTION("BOOL") {
    auto t = DecodeOne("BOOL", "[3]", "[true,false,true]");
    REQUIRE(t.ok());
    CHECK(t->datatype == DataType::kBool);
    CHECK(t->data == std::vector<unsigned char>{1, 0, 1});
  }
  SECTION("UINT8") {
    auto t = DecodeOne("UINT8", "[2]", "[0,255]");
    REQUIRE(t.ok());
    CHECK(Values<uint8_t>(*t) == std::vector<uint8_t>{0, 255});
  }
  SECTION("UINT16") {
    auto t = DecodeOne("UINT16", "[2]", "[0,65535]");
    REQUIRE(t.ok());
    CHECK(Values<uint16_t>(*t) == std::vector<uint16_t>{0, 65535});
  }
  SECTION("UINT32") {
    auto t = DecodeOne("UINT32", "[2]", "[1,4294967295]");
    REQUIRE(t.ok());
    CHECK(Values<uint32_t>(*t) == std::vector<uint32_t>{1, 4294967295u});
  }
  SECTION("UINT64, exact beyond 2^53") {
    auto t = DecodeOne("UINT64", "[2]", "[9007199254740993,18446744073709551615]");
    REQUIRE(t.ok());
    CHECK(Values<uint64_t>(*t) == std::vector<uint64_t>{9007199254740993ull, 18446744073709551615ull});
  }
  SECTION("INT8") {
    auto t = DecodeOne("INT8", "[2]", "[-128,127]");
    REQUIRE(t.ok());
    CHECK(Values<int8_t>(*t) == std::vector<int8_t>{-128, 127});
  }
  SECTION("INT16") {
    auto t = DecodeOne("INT16", "[2]", "[-32768,32767]");
    REQUIRE(t.ok());
    CHECK(Values<int16_t>(*t) == std::vector<int16_t>{-32768, 32767});
  }
  SECTION("INT32") {
    auto t = DecodeOne("INT32", "[3]", "[-2147483648,2147483647,7]");
    REQUIRE(t.ok());
    CHECK(Values<int32_t>(*t) == std::vector<int32_t>{-2147483647 - 1, 2147483647, 7});
  }
  SECTION("INT64") {
    auto t = DecodeOne("INT64", "[2]", "[-9223372036854775808,9223372036854775807]");
    REQUIRE(t.ok());
    CHECK(Values<int64_t>(*t) ==
          std::vector<int64_t>{std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()});
  }
  SECTION("FP16") {
    auto t = DecodeOne("FP16", "[3]", "[0.5,-2,65504]");
    REQUIRE(t.ok());
    auto v = Values<uint16_t>(*t);
    REQUIRE(v.size() == 3);
    CHECK(HalfToFloat(v[0]) == 0.5f);
    CHECK(HalfToFloat(v[1]) == -2.0f);
    CHECK(HalfToFloat(v[2]) == 65504.0f);
  }
  SECTION("FP32, rounded once from the text") {
    auto t = DecodeOne("FP32", "[3]", "[0.1,1e-3,0.28583016991615295]");
    REQUIRE(t.ok());
    CHECK(Values<float>(*t) == std::vector<float>{0.1f, 1e-3f, 0.28583016991615295f});
  }
  SECTION("FP64") {
    auto t = DecodeOne("FP64", "[3]", "[0.1,-1.5e300,5e-324]");
    REQUIRE(t.ok());
    CHECK(Values<double>(*t) == std::vector<double>{0.1, -1.5e300, 5e-324});
  }
  SECTION("BYTES, with escapes and UTF-8") {
    auto t = DecodeOne("BYTES", "[3]", R"(["abc","a\"b\\c\n","h\u00e9"])");
    REQUIRE(t.ok());
    CHECK(t->data.empty());
    CHECK(t->strings == std::vector<std::string>{"abc", "a\"b\\c\n", "h\xC3\xA9"});
  }
}

TEST_CASE("decode: integers written as whole floats are accepted, fractions are not", "[codec]") {
  auto t = DecodeOne("INT32", "[3]", "[1.0,-2e2,3E0]");
  REQUIRE(t.ok());
  CHECK(Values<int32_t>(*t) == std::vector<int32_t>{1, -200, 3});
  CHECK_THAT(DecodeError("INT32", "[1]", "[0.5]"), Catch::Contains("element 0 (0.5) does not fit INT32"));
  CHECK_THAT(DecodeError("INT64", "[1]", "[1e19]"), Catch::Contains("does not fit INT64"));
  auto u = DecodeOne("UINT64", "[1]", "[-0]");
  REQUIRE(u.ok());
  CHECK(Values<uint64_t>(*u) == std::vector<uint64_t>{0});
}

TEST_CASE("decode: values out of range of their datatype", "[codec]") {
  CHECK_THAT(DecodeError("UINT8", "[2]", "[1,256]"), Catch::Contains("element 1 (256) does not fit UINT8"));
  CHECK_THAT(DecodeError("UINT8", "[1]", "[-1]"), Catch::Contains("does not fit UINT8"));
  CHECK_THAT(DecodeError("INT8", "[1]", "[-129]"), Catch::Contains("does not fit INT8"));
  CHECK_THAT(DecodeError("UINT16", "[1]", "[65536]"), Catch::Contains("does not fit UINT16"));
  CHECK_THAT(DecodeError("INT16", "[1]", "[32768]"), Catch::Contains("does not fit INT16"));
  CHECK_THAT(DecodeError("UINT32", "[1]", "[4294967296]"), Catch::Contains("does not fit UINT32"));
  CHECK_THAT(DecodeError("INT32", "[1]", "[2147483648]"), Catch::Contains("does not fit INT32"));
  CHECK_THAT(DecodeError("UINT64", "[1]", "[18446744073709551616]"), Catch::Contains("does not fit UINT64"));
  CHECK_THAT(DecodeError("UINT64", "[1]", "[-1]"), Catch::Contains("does not fit UINT64"));
  CHECK_THAT(DecodeError("INT64", "[1]", "[9223372036854775808]"), Catch::Contains("does not fit INT64"));
  CHECK_THAT(DecodeError("FP32", "[1]", "[1e39]"), Catch::Contains("does not fit FP32"));
  CHECK_THAT(DecodeError("FP16", "[1]", "[70000]"), Catch::Contains("does not fit FP16"));
}

TEST_CASE("decode: tiny floats underflow to zero rather than failing", "[codec]") {
  auto t = DecodeOne("FP32", "[2]", "[1e-50,-1e-50]");
  REQUIRE(t.ok());
  auto v = Values<float>(*t);
  CHECK(v[0] == 0.0f);
  CHECK(v[1] == 0.0f);
  CHECK(std::signbit(v[1]));
}

TEST_CASE("decode: null is NaN in float tensors and refused elsewhere", "[codec]") {
  auto f32 = DecodeOne("FP32", "[3]", "[1,null,3]");
  REQUIRE(f32.ok());
  auto v = Values<float>(*f32);
  CHECK(v[0] == 1.0f);
  CHECK(std::isnan(v[1]));
  auto f64 = DecodeOne("FP64", "[1]", "[null]");
  REQUIRE(f64.ok());
  CHECK(std::isnan(Values<double>(*f64)[0]));
  auto f16 = DecodeOne("FP16", "[1]", "[null]");
  REQUIRE(f16.ok());
  CHECK(std::isnan(HalfToFloat(Values<uint16_t>(*f16)[0])));
  CHECK_THAT(DecodeError("INT32", "[1]", "[null]"), Catch::Contains("element 0 is null, but INT32 data must be integers"));
  CHECK_THAT(DecodeError("BOOL", "[1]", "[null]"), Catch::Contains("BOOL data must be true or false"));
  CHECK_THAT(DecodeError("BYTES", "[1]", "[null]"), Catch::Contains("BYTES data must be strings"));
}

TEST_CASE("decode: NaN and Infinity tokens (Python's json) are read", "[codec]") {
  auto t = DecodeOne("FP64", "[3]", "[NaN,Infinity,-Infinity]");
  REQUIRE(t.ok());
  auto v = Values<double>(*t);
  CHECK(std::isnan(v[0]));
  CHECK(v[1] == std::numeric_limits<double>::infinity());
  CHECK(v[2] == -std::numeric_limits<double>::infinity());
}

TEST_CASE("decode: elements of the wrong kind", "[codec]") {
  CHECK_THAT(DecodeError("FP32", "[2]", R"([1,"a"])"),
             Catch::Contains("input 'x': element 1 is a string, but FP32 data must be numbers or null"));
  CHECK_THAT(DecodeError("FP32", "[1]", "[true]"), Catch::Contains("element 0 is true, but FP32 data"));
  CHECK_THAT(DecodeError("BYTES", "[1]", "[1.5]"),
             Catch::Contains("element 0 is the number 1.5, but BYTES data must be strings"));
  CHECK_THAT(DecodeError("BOOL", "[1]", "[1]"), Catch::Contains("BOOL data must be true or false"));
  CHECK_THAT(DecodeError("INT64", "[1]", R"(["1"])"), Catch::Contains("INT64 data must be integers"));
  CHECK_THAT(DecodeError("FP32", "[1]", R"([{"a":1}])"), Catch::Contains("'data' may hold only scalars and arrays"));
  CHECK_THAT(DecodeError("FP32", "[1]", "1"), Catch::Contains("'data' must be an array"));
}

TEST_CASE("decode: nested data is read row-major", "[codec]") {
  auto t = DecodeOne("INT32", "[2,3]", "[[1,2,3],[4,5,6]]");
  REQUIRE(t.ok());
  CHECK(t->shape == std::vector<int64_t>{2, 3});
  CHECK(Values<int32_t>(*t) == std::vector<int32_t>{1, 2, 3, 4, 5, 6});
  auto deep = DecodeOne("FP64", "[1,1,2]", "[[[1.5],[2.5]]]");
  REQUIRE(deep.ok());
  CHECK(Values<double>(*deep) == std::vector<double>{1.5, 2.5});
  // MLServer's example: [[...]] for shape [1, F].
  auto row = DecodeOne("FP32", "[1,4]", "[[0,1,2,3]]");
  REQUIRE(row.ok());
  CHECK(Values<float>(*row) == std::vector<float>{0, 1, 2, 3});
}

TEST_CASE("decode: element count must equal the shape's", "[codec]") {
  CHECK_THAT(DecodeError("FP32", "[1,10]", "[1,2,3,4,5,6,7,8,9,10,11]"),
             Catch::Contains("input 'x' has 11 elements but its shape [1, 10] implies 10"));
  CHECK_THAT(DecodeError("FP32", "[2,2]", "[1,2,3]"),
             Catch::Contains("input 'x' has 3 elements but its shape [2, 2] implies 4"));
  CHECK_THAT(DecodeError("FP32", "[2,2]", "[[1,2],[3,4],[5,6]]"), Catch::Contains("has 6 elements"));
  auto empty = DecodeOne("FP32", "[0,3]", "[]");
  REQUIRE(empty.ok());
  CHECK(empty->data.empty());
}

TEST_CASE("decode: a huge shape with little data fails without allocating for the shape", "[codec]") {
  CHECK_THAT(DecodeError("FP64", "[1000000000000]", "[1]"),
             Catch::Contains("has 1 elements but its shape [1000000000000] implies 1000000000000"));
  CHECK_THAT(DecodeError("FP32", "[4294967296,4294967296,4]", "[1]"), Catch::Contains("overflows"));
}

TEST_CASE("decode: the element cap counts every input and refuses before reading data", "[codec]") {
  using modelrepo::v2json::DecodeLimits;
  const DecodeLimits cap{6};
  auto two = [](const std::string& a_shape, const std::string& a_data, const std::string& b_shape,
                const std::string& b_data) {
    return R"({"inputs":[{"name":"a","shape":)" + a_shape + R"(,"datatype":"FP32","data":)" + a_data +
           R"(},{"name":"b","shape":)" + b_shape + R"(,"datatype":"INT32","data":)" + b_data + "}]}";
  };
  CHECK(DecodeInferRequest(two("[2,2]", "[1,2,3,4]", "[2]", "[5,6]"), cap).ok());  // exactly 6
  auto over = DecodeInferRequest(two("[2,2]", "[1,2,3,4]", "[3]", "[5,6,7]"), cap);
  REQUIRE_FALSE(over.ok());
  CHECK(over.status().code() == StatusCode::kInvalidArgument);
  CHECK(over.status().message() ==
        "input 'b' has 3 elements; with the inputs before it, the request would exceed this server's "
        "limit of 6 elements");
  // A shape over the cap is refused whatever its data, so nothing is reserved for it.
  CHECK_THAT(ErrorOf(R"({"inputs":[{"name":"a","shape":[1000000000000],"datatype":"FP64","data":[1]}]})", cap),
             Catch::Contains("input 'a' has 1000000000000 elements; with the inputs before it"));
  // Data before its shape: counted when the shape arrives.
  CHECK_THAT(ErrorOf(R"({"inputs":[{"name":"a","datatype":"FP32","data":[1,2,3,4,5,6,7],"shape":[7]}]})", cap),
             Catch::Contains("input 'a' has 7 elements"));
  CHECK(DecodeInferRequest(R"({"inputs":[{"name":"a","datatype":"FP32","data":[1,2,3,4,5,6,7],"shape":[7]}]})").ok());
}

TEST_CASE("decode: shapes", "[codec]") {
  CHECK_THAT(DecodeError("FP32", "[-1,2]", "[1,2]"), Catch::Contains("shape dimension -1 is not a non-negative integer"));
  CHECK_THAT(DecodeError("FP32", "[1.5]", "[1]"), Catch::Contains("shape dimension 1.5"));
  CHECK_THAT(DecodeError("FP32", R"(["1"])", "[1]"), Catch::Contains("'shape' must be an array of integers"));
  CHECK_THAT(DecodeError("FP32", "3", "[1,2,3]"), Catch::Contains("'shape' must be an array of integers"));
  CHECK_THAT(DecodeError("FP32", "[[3]]", "[1,2,3]"), Catch::Contains("'shape' must be an array of integers"));
  auto scalar = DecodeOne("FP32", "[]", "[7]");
  REQUIRE(scalar.ok());
  CHECK(Values<float>(*scalar) == std::vector<float>{7});
}

TEST_CASE("decode: keys in any order, data before its datatype", "[codec]") {
  auto message = DecodeInferRequest(
      R"({"outputs":[{"name":"predict_proba"}],"inputs":[{"data":[[1,2],[3,4]],"shape":[2,2],)"
      R"("name":"in","datatype":"INT16"}],"id":"abc"})");
  REQUIRE(message.ok());
  const Tensor& t = message->request.inputs.at(0);
  CHECK(t.name == "in");
  CHECK(t.datatype == DataType::kInt16);
  CHECK(Values<int16_t>(t) == std::vector<int16_t>{1, 2, 3, 4});
  CHECK(message->request.outputs == std::vector<std::string>{"predict_proba"});
  CHECK(message->id == std::string("abc"));
  // Errors in data read late still name the input.
  CHECK_THAT(ErrorOf(R"({"inputs":[{"data":[1,300],"name":"in","shape":[2],"datatype":"UINT8"}]})"),
             Catch::Contains("input 'in': element 1 (300) does not fit UINT8"));
  CHECK_THAT(ErrorOf(R"({"inputs":[{"data":[1,2,3],"name":"in","shape":[2],"datatype":"UINT8"}]})"),
             Catch::Contains("input 'in' has 3 elements but its shape [2] implies 2"));
}

TEST_CASE("decode: several inputs", "[codec]") {
  auto message = DecodeInferRequest(
      R"({"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]},)"
      R"({"name":"b","shape":[2],"datatype":"BYTES","data":["x","y"]}]})");
  REQUIRE(message.ok());
  REQUIRE(message->request.inputs.size() == 2);
  CHECK(message->request.inputs[0].name == "a");
  CHECK(message->request.inputs[1].strings == std::vector<std::string>{"x", "y"});
  CHECK_FALSE(message->id.has_value());
  CHECK(message->request.outputs.empty());
}

TEST_CASE("decode: parameters and unknown keys are tolerated anywhere", "[codec]") {
  auto message = DecodeInferRequest(
      R"({"parameters":{"content_type":"np","nested":{"a":[1,{"b":null}]}},"unknown":[1,[2]],)"
      R"("inputs":[{"name":"a","parameters":{"content_type":"np"},"shape":[1],"datatype":"FP32",)"
      R"("data":[1],"extra":{"x":1}}],"outputs":[{"name":"predict","parameters":{"binary_data":false}}],"id":null})");
  REQUIRE(message.ok());
  CHECK(message->request.inputs.size() == 1);
  CHECK(message->request.outputs == std::vector<std::string>{"predict"});
  CHECK_FALSE(message->id.has_value());
  CHECK_THAT(ErrorOf(R"({"parameters":[],"inputs":[]})"), Catch::Contains("'parameters' must be an object"));
}

TEST_CASE("decode: missing or malformed fields", "[codec]") {
  CHECK(ErrorOf(R"({"outputs":[]})") == "inference request has no 'inputs'");
  CHECK_THAT(ErrorOf(R"({"inputs":{}})"), Catch::Contains("'inputs' must be an array of objects"));
  CHECK_THAT(ErrorOf(R"({"inputs":[1]})"), Catch::Contains("'inputs' must be an array of objects"));
  CHECK_THAT(ErrorOf(R"({"inputs":[{"shape":[1],"datatype":"FP32","data":[1]}]})"),
             Catch::Contains("input #0: missing 'name'"));
  CHECK_THAT(ErrorOf(R"({"inputs":[{"name":"a","datatype":"FP32","data":[1]}]})"),
             Catch::Contains("input 'a': missing 'shape'"));
  CHECK_THAT(ErrorOf(R"({"inputs":[{"name":"a","shape":[1],"data":[1]}]})"),
             Catch::Contains("input 'a': missing 'datatype'"));
  CHECK_THAT(ErrorOf(R"({"inputs":[{"name":"a","shape":[1],"datatype":"FP32"}]})"),
             Catch::Contains("input 'a': missing 'data'"));
  CHECK_THAT(ErrorOf(R"({"inputs":[{"name":"a","shape":[1],"datatype":"FLOAT32","data":[1]}]})"),
             Catch::Contains("input 'a': unknown datatype 'FLOAT32' (expected one of BOOL, UINT8"));
  CHECK_THAT(ErrorOf(R"({"inputs":[{"name":"a","shape":[1],"datatype":"fp32","data":[1]}]})"),
             Catch::Contains("unknown datatype 'fp32'"));
  CHECK_THAT(ErrorOf(R"({"inputs":[{"name":1,"shape":[1],"datatype":"FP32","data":[1]}]})"),
             Catch::Contains("'name' must be a string"));
  CHECK_THAT(ErrorOf(R"({"inputs":[{"name":"a","name":"b","shape":[1],"datatype":"FP32","data":[1]}]})"),
             Catch::Contains("duplicate key 'name'"));
  CHECK_THAT(ErrorOf(R"({"inputs":[],"id":5})"), Catch::Contains("'id' must be a string"));
  CHECK_THAT(ErrorOf(R"({"inputs":[],"outputs":[{"parameters":{}}]})"), Catch::Contains("has no 'name'"));
  CHECK_THAT(ErrorOf(R"({"inputs":[],"outputs":["predict"]})"), Catch::Contains("'outputs' must be an array of objects"));
}

TEST_CASE("decode: malformed JSON and bodies that are not requests", "[codec]") {
  CHECK(ErrorOf("") == "request body is empty; expected a JSON object");
  CHECK(ErrorOf("  \n") == "request body is empty; expected a JSON object");
  CHECK_THAT(ErrorOf(R"({"inputs": [ {"name": "predict", )"), Catch::StartsWith("malformed JSON at offset"));
  CHECK_THAT(ErrorOf("[]"), Catch::Contains("must be a JSON object"));
  CHECK_THAT(ErrorOf("42"), Catch::Contains("must be a JSON object"));
  CHECK_THAT(ErrorOf(R"({"inputs":[]} x)"), Catch::StartsWith("malformed JSON"));
  CHECK_THAT(ErrorOf(std::string("{\"inputs\":[]}\0{}", 16)), Catch::Contains("NUL"));
  CHECK_THAT(ErrorOf("{\"inputs\":[],\"id\":\"\xFF\"}"), Catch::StartsWith("malformed JSON"));
  CHECK_THAT(ErrorOf(R"({"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[01]}]})"),
             Catch::StartsWith("malformed JSON"));
}

TEST_CASE("decode: nesting depth is limited", "[codec]") {
  std::string deep = R"({"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":)" +
                     std::string(100, '[') + "1" + std::string(100, ']') + "}]}";
  CHECK_THAT(ErrorOf(deep), Catch::Contains("nested deeper than 64 levels"));
  std::string deep_skip = R"({"unknown":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  CHECK_THAT(ErrorOf(deep_skip), Catch::Contains("nested deeper"));
  // Within the limit: fine.
  std::string ok = R"({"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":)" +
                   std::string(50, '[') + "1" + std::string(50, ']') + "}]}";
  CHECK(DecodeInferRequest(ok).ok());
}

TEST_CASE("encode: infer response in MLServer's key order", "[codec]") {
  InferResponse r;
  r.model_name = "mnist-svm";
  r.model_version = "v0.1.0";
  r.outputs.push_back(Tensor::From<int64_t>("predict", DataType::kInt64, {2, 1}, std::vector<int64_t>{8, 8}));
  CHECK(v2json::EncodeInferResponse(r, "req-42") ==
        R"({"model_name":"mnist-svm","model_version":"v0.1.0","id":"req-42","parameters":{},)"
        R"("outputs":[{"name":"predict","shape":[2,1],"datatype":"INT64","parameters":{"content_type":"np"},"data":[8,8]}]})");
  r.model_version.clear();
  CHECK(v2json::EncodeInferResponse(r, "i").rfind(R"({"model_name":"mnist-svm","id":"i","parameters":{})", 0) == 0);
}

TEST_CASE("encode: shortest round-trip floats for their own type", "[codec]") {
  CHECK(FloatText(0.1f) == "0.1");
  CHECK(FloatText(0.28583017f) == "0.28583017");
  CHECK(FloatText(1.0f) == "1.0");
  CHECK(FloatText(-0.0f) == "-0.0");
  CHECK(FloatText(1e30f) == "1e+30");
  CHECK(FloatText(3.4028235e38f) == "3.4028235e+38");
  CHECK(FloatText(1e-45f) == "1e-45");
  CHECK(FloatText(std::nanf("")) == "null");
  CHECK(FloatText(std::numeric_limits<float>::infinity()) == "null");
  CHECK(DoubleText(0.1) == "0.1");
  CHECK(DoubleText(0.28583016991615295) == "0.28583016991615295");
  CHECK(DoubleText(5e-324) == "5e-324");
  CHECK(DoubleText(100.0) == "100.0");
  std::string h;
  v2json::AppendHalf(FloatToHalf(0.1f), &h);
  CHECK(h == "0.1");
  h.clear();
  v2json::AppendHalf(FloatToHalf(65504.0f), &h);
  CHECK(h == "65500.0");  // as numpy prints float16(65504)
  // Every float printed reads back as itself.
  for (float f : {0.1f, 1.0f / 3.0f, 123456.78f, 1e-38f, 2.5e-40f, 16777217.0f, 7.0e22f}) {
    float back = std::strtof(FloatText(f).c_str(), nullptr);
    CHECK(back == f);
  }
}

TEST_CASE("encode: every datatype's data", "[codec]") {
  CHECK(EncodeOutput(Tensor::From<uint8_t>("b", DataType::kBool, {3}, std::vector<uint8_t>{1, 0, 1})) ==
        "[true,false,true]");
  CHECK(EncodeOutput(Tensor::From<uint8_t>("u", DataType::kUint8, {2}, std::vector<uint8_t>{0, 255})) == "[0,255]");
  CHECK(EncodeOutput(Tensor::From<uint16_t>("u", DataType::kUint16, {1}, std::vector<uint16_t>{65535})) == "[65535]");
  CHECK(EncodeOutput(Tensor::From<uint32_t>("u", DataType::kUint32, {1}, std::vector<uint32_t>{4294967295u})) ==
        "[4294967295]");
  CHECK(EncodeOutput(Tensor::From<uint64_t>("u", DataType::kUint64, {1},
                                            std::vector<uint64_t>{18446744073709551615ull})) ==
        "[18446744073709551615]");
  CHECK(EncodeOutput(Tensor::From<int8_t>("i", DataType::kInt8, {2}, std::vector<int8_t>{-128, 127})) == "[-128,127]");
  CHECK(EncodeOutput(Tensor::From<int16_t>("i", DataType::kInt16, {1}, std::vector<int16_t>{-32768})) == "[-32768]");
  CHECK(EncodeOutput(Tensor::From<int32_t>("i", DataType::kInt32, {1}, std::vector<int32_t>{-7})) == "[-7]");
  CHECK(EncodeOutput(Tensor::From<int64_t>("i", DataType::kInt64, {2},
                                           std::vector<int64_t>{std::numeric_limits<int64_t>::min(), 9007199254740993})) ==
        "[-9223372036854775808,9007199254740993]");
  CHECK(EncodeOutput(Tensor::From<uint16_t>("h", DataType::kFp16, {2},
                                            std::vector<uint16_t>{FloatToHalf(0.5f), FloatToHalf(-3.0f)})) ==
        "[0.5,-3.0]");
  CHECK(EncodeOutput(Tensor::From<float>("f", DataType::kFp32, {3}, std::vector<float>{0.1f, 2.0f, std::nanf("")})) ==
        "[0.1,2.0,null]");
  CHECK(EncodeOutput(Tensor::From<double>("d", DataType::kFp64, {2}, std::vector<double>{0.1, 1e300})) ==
        "[0.1,1e+300]");
  Tensor bytes("s", DataType::kBytes, {3});
  bytes.strings = {"plain", "q\"b\\\n\x01", "bad\xFFutf8 \xC3\xA9"};
  CHECK(EncodeOutput(bytes) == R"(["plain","q\"b\\\n\u0001","bad)" "\xEF\xBF\xBD" R"(utf8 )" "\xC3\xA9" R"("])");
}

TEST_CASE("encode/decode: request and response round trips", "[codec]") {
  InferRequest request;
  request.inputs.push_back(Tensor::From<float>("a", DataType::kFp32, {2, 2}, std::vector<float>{0.1f, 0.2f, 1e-7f, 3.0f}));
  request.inputs.push_back(Tensor::From<int64_t>("b", DataType::kInt64, {1}, std::vector<int64_t>{-5}));
  Tensor s("c", DataType::kBytes, {2});
  s.strings = {"x", "\"y\""};
  request.inputs.push_back(s);
  request.outputs = {"predict", "predict_proba"};
  auto decoded = DecodeInferRequest(v2json::EncodeInferRequest(request, "rid"));
  REQUIRE(decoded.ok());
  CHECK(decoded->id == std::string("rid"));
  CHECK(decoded->request.outputs == request.outputs);
  REQUIRE(decoded->request.inputs.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(decoded->request.inputs[i].name == request.inputs[i].name);
    CHECK(decoded->request.inputs[i].datatype == request.inputs[i].datatype);
    CHECK(decoded->request.inputs[i].shape == request.inputs[i].shape);
    CHECK(decoded->request.inputs[i].data == request.inputs[i].data);
    CHECK(decoded->request.inputs[i].strings == request.inputs[i].strings);
  }

  InferResponse response;
  response.model_name = "m";
  response.model_version = "2";
  response.outputs.push_back(Tensor::From<double>("p", DataType::kFp64, {1, 2}, std::vector<double>{0.25, 1.0 / 3}));
  auto back = v2json::DecodeInferResponse(v2json::EncodeInferResponse(response, "id-1"));
  REQUIRE(back.ok());
  CHECK(back->id == "id-1");
  CHECK(back->response.model_name == "m");
  CHECK(back->response.model_version == "2");
  REQUIRE(back->response.outputs.size() == 1);
  CHECK(back->response.outputs[0].data == response.outputs[0].data);
}

TEST_CASE("request ids are random UUID4s", "[codec]") {
  std::regex uuid4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = v2json::GenerateRequestId();
    REQUIRE(std::regex_match(id, uuid4));
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("repository API documents", "[codec]") {
  std::vector<IndexEntry> entries = {{"a", "v1", ModelState::kReady, ""},
                                     {"b", "", ModelState::kUnavailable, "unloaded"},
                                     {"c", "2", ModelState::kLoading, ""},
                                     {"d", "1", ModelState::kUnloading, ""}};
  std::string index = v2json::EncodeIndex(entries);
  CHECK(index ==
        R"([{"name":"a","version":"v1","state":"READY","reason":""},{"name":"b","state":"UNAVAILABLE","reason":"unloaded"},)"
        R"({"name":"c","version":"2","state":"LOADING","reason":""},{"name":"d","version":"1","state":"UNLOADING","reason":""}])");
  auto back = v2json::DecodeIndex(index);
  REQUIRE(back.ok());
  REQUIRE(back->size() == 4);
  CHECK((*back)[1].name == "b");
  CHECK((*back)[1].version.empty());
  CHECK((*back)[1].state == ModelState::kUnavailable);
  CHECK((*back)[1].reason == "unloaded");
  CHECK((*back)[3].state == ModelState::kUnloading);

  CHECK(v2json::DecodeIndexRequest("").value() == false);
  CHECK(v2json::DecodeIndexRequest("{}").value() == false);
  CHECK(v2json::DecodeIndexRequest(R"({"ready":true})").value() == true);
  CHECK(v2json::DecodeIndexRequest(R"({"ready":false,"other":1})").value() == false);
  CHECK(v2json::DecodeIndexRequest(R"({"ready":null})").value() == false);
  CHECK(v2json::DecodeIndexRequest(R"({"ready":"yes"})").status().message() == "'ready' must be true or false");
  CHECK_FALSE(v2json::DecodeIndexRequest("[]").ok());
  CHECK_THAT(v2json::DecodeIndexRequest(R"({"ready": )").status().message(), Catch::StartsWith("malformed JSON"));

  CHECK(v2json::DecodeRepositoryRequest("").ok());
  CHECK(v2json::DecodeRepositoryRequest("{}").ok());
  CHECK(v2json::DecodeRepositoryRequest(R"({"parameters":{"unload_dependents":true}})").ok());
  CHECK_THAT(v2json::DecodeRepositoryRequest(R"({"parameters":{"config":"{}"}})").message(),
             Catch::StartsWith("parameter 'config' is not supported"));
  CHECK_THAT(v2json::DecodeRepositoryRequest(R"({"parameters":{"file:1/model.bst":"AAAA"}})").message(),
             Catch::StartsWith("parameter 'file:1/model.bst' is not supported"));
  CHECK_FALSE(v2json::DecodeRepositoryRequest(R"({"parameters":1})").ok());
  CHECK_FALSE(v2json::DecodeRepositoryRequest("{").ok());
  CHECK_FALSE(v2json::DecodeRepositoryRequest(std::string(1000, '[')).ok());
}

TEST_CASE("metadata and errors", "[codec]") {
  ModelMetadata md;
  md.name = "mnist-svm";
  md.versions = {"v0.1.0"};
  md.platform = "libsvm";
  md.inputs = {{"predict", DataType::kFp64, {-1, 64}}};
  md.outputs = {{"predict", DataType::kInt64, {-1, 1}}};
  std::string text = v2json::EncodeModelMetadata(md);
  CHECK(text == R"({"name":"mnist-svm","versions":["v0.1.0"],"platform":"libsvm",)"
                R"("inputs":[{"name":"predict","datatype":"FP64","shape":[-1,64]}],)"
                R"("outputs":[{"name":"predict","datatype":"INT64","shape":[-1,1]}],"parameters":{}})");
  auto back = v2json::DecodeModelMetadata(text);
  REQUIRE(back.ok());
  CHECK(back->name == md.name);
  CHECK(back->versions == md.versions);
  CHECK(back->inputs.at(0).shape == std::vector<int64_t>{-1, 64});
  CHECK(back->outputs.at(0).datatype == DataType::kInt64);

  std::string server = v2json::EncodeServerMetadata({"modelrepo-server", "0.1.0", {"model_repository"}});
  CHECK(server == R"({"name":"modelrepo-server","version":"0.1.0","extensions":["model_repository"]})");
  auto sm = v2json::DecodeServerMetadata(server);
  REQUIRE(sm.ok());
  CHECK(sm->extensions == std::vector<std::string>{"model_repository"});

  CHECK(v2json::EncodeError("Model x not found") == R"({"error":"Model x not found"})");
  CHECK(v2json::EncodeError("a\"b\nc") == R"({"error":"a\"b\nc"})");
  CHECK(v2json::DecodeError(R"({"error":"Model x not found"})") == "Model x not found");
  CHECK(v2json::DecodeError("<html>oops</html>") == "<html>oops</html>");
}

TEST_CASE("decode: mutated requests are answered, never crash", "[codec]") {
  const std::vector<std::string> seeds = {
      R"({"id":"a","parameters":{"x":[1,{"y":null}]},"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32",)"
      R"("data":[[0.1,null],[3e2,-4]]}],"outputs":[{"name":"predict"}]})",
      R"({"inputs":[{"data":[1,2,3],"name":"b","datatype":"BYTES","shape":[3]},{"name":"c","shape":[1],)"
      R"("datatype":"BOOL","data":[true]},{"name":"d","shape":[2],"datatype":"UINT64","data":[1,18446744073709551615]}]})",
      R"({"inputs":[{"name":"s","shape":[2],"datatype":"BYTES","data":["\u00e9\"",""]},{"name":"h","shape":[1],)"
      R"("datatype":"FP16","data":[65504]}]})",
  };
  std::mt19937 rng(12345);
  static const char kAlphabet[] = "{}[],:\"\\0123456789.eE-+ntrufalsNI \x00\xff\xc3";
  const std::string alphabet(kAlphabet, sizeof(kAlphabet) - 1);  // with the NUL byte
  int ok = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string body = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      size_t at = rng() % body.size();
      switch (rng() % 4) {
        case 0: body[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: body.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        case 2: body.erase(at, 1 + rng() % 8); break;
        case 3: body.resize(at); break;
      }
    }
    auto message = DecodeInferRequest(body);
    if (message.ok()) {
      ++ok;
      for (const Tensor& t : message->request.inputs) REQUIRE(t.Validate().ok());
    } else {
      REQUIRE(message.status().code() == StatusCode::kInvalidArgument);
      REQUIRE_FALSE(message.status().message().empty());
    }
  }
  CHECK(ok > 0);
}
