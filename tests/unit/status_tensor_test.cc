#include <limits>

#include <catch2/catch.hpp>

#include "modelrepo/status.h"
#include "modelrepo/tensor.h"

using namespace modelrepo;

TEST_CASE("status codes map one-to-one to the V2 HTTP statuses") {
  CHECK(HttpStatus(StatusCode::kOk) == 200);
  CHECK(HttpStatus(StatusCode::kInvalidArgument) == 400);
  CHECK(HttpStatus(StatusCode::kNotFound) == 404);
  CHECK(HttpStatus(StatusCode::kUnavailable) == 503);
  CHECK(HttpStatus(StatusCode::kUnimplemented) == 501);
  CHECK(HttpStatus(StatusCode::kInternal) == 500);
  CHECK(HttpStatus(StatusCode::kPermissionDenied) == 403);
  CHECK(Status::NotFound("x").ToString() == "NOT_FOUND: x");
  CHECK(Status().ok());
  CHECK(Status::Ok().ToString() == "OK");
}

TEST_CASE("StatusOr holds a value or an error") {
  StatusOr<int> v = 3;
  REQUIRE(v.ok());
  CHECK(*v == 3);
  StatusOr<int> e = Status::InvalidArgument("bad");
  CHECK_FALSE(e.ok());
  CHECK(e.status().message() == "bad");
}

TEST_CASE("datatype names round-trip, and nothing else parses") {
  for (int i = 0; i <= static_cast<int>(DataType::kBytes); ++i) {
    auto t = static_cast<DataType>(i);
    CHECK(ParseDataType(DataTypeName(t)) == t);
  }
  CHECK_FALSE(ParseDataType("FLOAT32").has_value());
  CHECK_FALSE(ParseDataType("fp32").has_value());
  CHECK_FALSE(ParseDataType("").has_value());
  CHECK(DataTypeSize(DataType::kFp16) == 2);
  CHECK(DataTypeSize(DataType::kBool) == 1);
  CHECK(DataTypeSize(DataType::kBytes) == 0);
}

TEST_CASE("element counts refuse negative dimensions and overflow") {
  CHECK(*ElementCount({2, 3, 4}) == 24);
  CHECK(*ElementCount({}) == 1);
  CHECK(*ElementCount({0, 1000}) == 0);
  CHECK(ElementCount({-1, 3}).status().code() == StatusCode::kInvalidArgument);
  constexpr int64_t big = std::numeric_limits<int64_t>::max() / 2;
  CHECK(ElementCount({big, 3}).status().code() == StatusCode::kInvalidArgument);
  CHECK(ElementCount({1 << 30, 1 << 30, 1 << 30}).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("tensors validate their data against their shape") {
  Tensor t("x", DataType::kInt32, {2, 3});
  CHECK(t.data.size() == 24);
  CHECK(t.Validate().ok());
  t.data.resize(20);
  CHECK(t.Validate().code() == StatusCode::kInvalidArgument);
  Tensor b("s", DataType::kBytes, {2});
  CHECK(b.strings.size() == 2);
  CHECK(b.Validate().ok());
  b.strings.pop_back();
  CHECK_FALSE(b.Validate().ok());
  auto f = Tensor::From<double>("d", DataType::kFp64, {2}, {1.5, 2.5});
  CHECK(f.values<double>()[1] == 2.5);
}
