// The decoder's fast path for "data" arrays (ScanData, ParseShortDecimal): what it reads must be
// exactly what the general RapidJSON path reads, and what it gives up on must end in the general
// path's answer. Each case decodes the same elements twice: alone (fast path) and followed by an
// element that makes the fast path give up (so the whole array goes the general way).
#include <catch2/catch.hpp>

#include <charconv>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "modelrepo/v2json.h"

using namespace modelrepo;

namespace {

StatusOr<Tensor> Decode(const std::string& datatype, size_t count, const std::string& data,
                        bool datatype_first) {
  std::string shape = "[" + std::to_string(count) + "]";
  std::string body = datatype_first
                         ? R"({"inputs":[{"name":"x","shape":)" + shape + R"(,"datatype":")" + datatype +
                               R"(","data":)" + data + "}]}"
                         : R"({"inputs":[{"name":"x","shape":)" + shape + R"(,"data":)" + data +
                               R"(,"datatype":")" + datatype + "\"}]}";
  auto message = v2json::DecodeInferRequest(body);
  if (!message.ok()) return message.status();
  REQUIRE(message->request.inputs.size() == 1);
  return message->request.inputs[0];
}

// Elements `items` (JSON texts) decoded through the fast path and through the general one agree.
void CheckBothPaths(const std::string& datatype, const std::vector<std::string>& items) {
  std::string fast = "[";
  for (size_t i = 0; i < items.size(); ++i) fast += (i ? "," : "") + items[i];
  // A three-digit exponent sends the whole array down the general path; 0e000 fits every
  // numeric datatype.
  std::string general = fast + (items.empty() ? "0e000" : ",0e000") + "]";
  fast += "]";
  for (bool first : {true, false}) {
    auto a = Decode(datatype, items.size(), fast, first);
    auto b = Decode(datatype, items.size() + 1, general, first);
    INFO(datatype << " " << fast);
    REQUIRE(a.ok() == b.ok());
    if (!a.ok()) {
      CHECK(a.status().message() == b.status().message());
      continue;
    }
    REQUIRE(b->data.size() == a->data.size() + DataTypeSize(a->datatype));
    if (!a->data.empty()) CHECK(std::memcmp(a->data.data(), b->data.data(), a->data.size()) == 0);
  }
}

}  // namespace

TEST_CASE("decode fast path: short decimals round as std::from_chars does", "[codec]") {
  std::mt19937_64 rng(6);
  for (int i = 0; i < 20000; ++i) {
    std::string text = std::to_string(rng() % 100000000000ull);
    size_t point = rng() % (text.size() + 1);
    if (point < text.size()) text.insert(point == 0 ? 0 : point, point == 0 ? "0." : ".");
    if (rng() % 3 == 0) text += "e" + std::string(rng() % 2 ? "-" : "") + std::to_string(rng() % 25);
    if (rng() % 2) text = "-" + text;
    std::string body = R"({"inputs":[{"name":"x","shape":[2],"datatype":"FP32","data":[)" + text +
                       R"(,0]},{"name":"y","shape":[1],"datatype":"FP64","data":[)" + text + "]}]}";
    auto message = v2json::DecodeInferRequest(body);
    float f = 0;
    double d = 0;
    auto rf = std::from_chars(text.data(), text.data() + text.size(), f);
    auto rd = std::from_chars(text.data(), text.data() + text.size(), d);
    INFO(text);
    if (rf.ec != std::errc() || rd.ec != std::errc()) continue;  // out of range: covered elsewhere
    REQUIRE(message.ok());
    float got_f;
    double got_d;
    std::memcpy(&got_f, message->request.inputs[0].data.data(), sizeof got_f);
    std::memcpy(&got_d, message->request.inputs[1].data.data(), sizeof got_d);
    CHECK(std::memcmp(&got_f, &f, sizeof f) == 0);
    CHECK(std::memcmp(&got_d, &d, sizeof d) == 0);
  }
}

TEST_CASE("decode fast path: same values and errors as the general path", "[codec]") {
  const std::vector<std::string> numbers = {
      "0", "-0", "1", "-1", "0.5", "-12.25", "3e-4", "1E5", "1e+5", "0.1", "16777217", "16777216.5",
      "3.4028235e38", "3.5e38", "1e-46", "1e400", "1e-400", "1.7976931348623157e308",
      "18446744073709551615", "18446744073709551616", "-9223372036854775808", "255", "256", "-128",
      "65535", "4294967296", "2.0", "1e3", "1.5", "123456789012345678901234567890", "7e22", "7e23",
      "0.000001", "9999999999999999999", "null", "true", "false"};
  for (const char* type : {"FP32", "FP64", "FP16", "INT8", "UINT8", "INT16", "UINT16", "INT32",
                           "UINT32", "INT64", "UINT64"}) {
    for (const auto& n : numbers) CheckBothPaths(type, {"1", n, "0"});
  }
  CheckBothPaths("FP32", {});
  CheckBothPaths("FP32", {" 1 ", "\n2\t", "\r3"});
}

TEST_CASE("decode fast path: nested arrays, empty arrays and malformed data", "[codec]") {
  auto one = [](const std::string& data, size_t count) {
    auto first = Decode("FP32", count, data, true);
    auto last = Decode("FP32", count, data, false);
    REQUIRE(first.ok() == last.ok());
    return first;
  };
  auto t = one("[[1, 2], [3, [4]], [], [[]]]", 4);
  REQUIRE(t.ok());
  CHECK(t->data.size() == 16);
  for (const char* bad : {"[1,,2]", "[1 2]", "[01]", "[-]", "[1.]", "[.5]", "[1e]", "[[1],2",
                          "[tru]", "[1,]", "[,1]", "[1]]", "[\"a\"]", "[{}]", "[1e5.5]", "[+1]"}) {
    INFO(bad);
    CHECK_FALSE(one(bad, 1).ok());
  }
  // Nesting is limited as in the rest of the document.
  std::string deep = std::string(70, '[') + "1" + std::string(70, ']');
  auto d = one(deep, 1);
  REQUIRE_FALSE(d.ok());
  CHECK_THAT(d.status().message(), Catch::Contains("nested deeper than 64 levels"));
  std::string ok_deep = std::string(60, '[') + "1" + std::string(60, ']');
  CHECK(one(ok_deep, 1).ok());
  // The element count is checked against the shape whichever path read them.
  auto extra = one("[1,2,3]", 2);
  REQUIRE_FALSE(extra.ok());
  CHECK_THAT(extra.status().message(), Catch::Contains("has 3 elements but its shape [2] implies 2"));
}
