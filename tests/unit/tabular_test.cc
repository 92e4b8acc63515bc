#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

#include "modelrepo/tabular.h"

using namespace modelrepo;

TEST_CASE("FP32 into a float matrix is a view, not a copy") {
  auto t = Tensor::From<float>("x", DataType::kFp32, {2, 3}, {1, 2, 3, 4, 5, 6});
  FeatureMatrix<float> m;
  REQUIRE(ToFeatureMatrix(t, 3, "m", &m).ok());
  CHECK(m.rows() == 2);
  CHECK(m.cols() == 3);
  CHECK(m.data() == t.values<float>());
  CHECK(m.row(1)[2] == 6.0f);
}

TEST_CASE("every numeric datatype converts") {
  FeatureMatrix<double> m;
  auto i8 = Tensor::From<int8_t>("x", DataType::kInt8, {1, 2}, {-128, 127});
  REQUIRE(ToFeatureMatrix(i8, 2, "m", &m).ok());
  CHECK(m.data()[0] == -128.0);
  auto u64 = Tensor::From<uint64_t>("x", DataType::kUint64, {2}, {0, 1ull << 40});
  REQUIRE(ToFeatureMatrix(u64, -1, "m", &m).ok());
  CHECK(m.rows() == 1);
  CHECK(m.data()[1] == std::ldexp(1.0, 40));
  auto b = Tensor::From<uint8_t>("x", DataType::kBool, {1, 2}, {1, 0});
  REQUIRE(ToFeatureMatrix(b, 2, "m", &m).ok());
  CHECK(m.data()[0] == 1.0);
  auto h = Tensor::From<uint16_t>("x", DataType::kFp16, {1, 3},
                                  {FloatToHalf(1.5f), FloatToHalf(-0.25f), FloatToHalf(65504.f)});
  REQUIRE(ToFeatureMatrix(h, 3, "m", &m).ok());
  CHECK(m.data()[0] == 1.5);
  CHECK(m.data()[1] == -0.25);
  CHECK(m.data()[2] == 65504.0);
}

TEST_CASE("half precision conversions") {
  CHECK(HalfToFloat(0x3c00) == 1.0f);
  CHECK(HalfToFloat(0xc000) == -2.0f);
  CHECK(HalfToFloat(0x0001) == std::ldexp(1.0f, -24));  // smallest subnormal
  CHECK(std::isinf(HalfToFloat(0x7c00)));
  CHECK(std::isnan(HalfToFloat(0x7e00)));
  CHECK(FloatToHalf(1.0f) == 0x3c00);
  CHECK(FloatToHalf(1e6f) == 0x7c00);  // overflow to infinity
  CHECK(FloatToHalf(std::ldexp(1.0f, -24)) == 0x0001);
  for (uint16_t h = 0; h < 0x7c00; h += 7) CHECK(FloatToHalf(HalfToFloat(h)) == h);
}

TEST_CASE("feature-count, shape and type errors name the model and both counts") {
  FeatureMatrix<float> m;
  auto t = Tensor::From<float>("x", DataType::kFp32, {1, 10}, std::vector<float>(10));
  Status s = ToFeatureMatrix(t, 126, "mushroom", &m);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message() == "model mushroom expects 126 features, input 'x' has 10");
  Tensor cube("x", DataType::kFp32, {1, 2, 3});
  CHECK_FALSE(ToFeatureMatrix(cube, -1, "m", &m).ok());
  Tensor bytes("x", DataType::kBytes, {1, 2});
  CHECK_FALSE(ToFeatureMatrix(bytes, -1, "m", &m).ok());
  auto short_data = Tensor::From<float>("x", DataType::kFp32, {2, 3}, {1, 2, 3});
  CHECK_FALSE(ToFeatureMatrix(short_data, 3, "m", &m).ok());
  CHECK(SingleInput({}, "m").status().code() == StatusCode::kInvalidArgument);
}
