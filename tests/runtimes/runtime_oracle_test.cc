// The built-in runtimes against independent oracles (python3-xgboost, svm-predict, libsvm's own
// C functions through python3-libsvm) over whole test sets. The models, inputs and expected
// outputs are made by tests/fixtures/make_fixtures.py (the make_fixtures CTest fixture).
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "modelrepo/runtime.h"
#include "modelrepo/tabular.h"

using namespace modelrepo;

namespace {

const std::string kFixtures = MODELREPO_FIXTURES_DIR;

std::vector<std::vector<double>> ReadRows(const std::string& path, char sep) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::vector<std::vector<double>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<double> row;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, sep)) {
      if (cell.empty()) continue;
      row.push_back(std::strtod(cell.c_str(), nullptr));  // strtod reads "nan"
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

rapidjson::Document Manifest() {
  std::ifstream in(kFixtures + "/MANIFEST.json");
  REQUIRE(in.good());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  REQUIRE(doc.IsObject());
  return doc;
}

std::unique_ptr<LoadedModel> LoadFixture(const std::string& rel, const std::string& runtime) {
  ModelSettings settings;
  settings.name = rel;
  settings.implementation = runtime;
  settings.model_path = kFixtures + "/" + rel;
  settings.display_path = rel;
  auto rt = runtime == "xgboost" ? MakeXGBoostRuntime() : MakeLibSVMRuntime();
  auto model = rt->Load(settings);
  INFO(model.status().ToString());
  REQUIRE(model.ok());
  return std::move(*model);
}

Tensor Input(const std::vector<std::vector<double>>& rows, DataType type) {
  std::vector<double> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  int64_t f = static_cast<int64_t>(rows.at(0).size());
  if (type == DataType::kFp64) return Tensor::From<double>("x", type, {(int64_t)rows.size(), f}, flat);
  std::vector<float> f32(flat.begin(), flat.end());
  return Tensor::From<float>("x", DataType::kFp32, {(int64_t)rows.size(), f}, f32);
}

double Value(const Tensor& t, int64_t i) {
  switch (t.datatype) {
    case DataType::kFp32: return t.values<float>()[i];
    case DataType::kFp64: return t.values<double>()[i];
    case DataType::kInt64: return static_cast<double>(t.values<int64_t>()[i]);
    default: FAIL("unexpected output datatype"); return 0;
  }
}

// Compares an output tensor to an oracle file, row by row.
void Compare(const Tensor& out, const std::string& oracle_path, bool exact, double atol) {
  auto expected = ReadRows(oracle_path, ' ');
  REQUIRE(out.shape.size() == 2);
  REQUIRE(out.shape[0] == static_cast<int64_t>(expected.size()));
  const int64_t width = out.shape[1];
  int64_t mismatches = 0;
  double worst = 0;
  for (size_t r = 0; r < expected.size(); ++r) {
    REQUIRE(static_cast<int64_t>(expected[r].size()) == width);
    for (int64_t j = 0; j < width; ++j) {
      double got = Value(out, r * width + j), want = expected[r][j];
      double diff = std::fabs(got - want);
      worst = std::max(worst, diff);
      if (exact ? got != want : !(diff <= atol)) ++mismatches;
    }
  }
  INFO(oracle_path << ": worst difference " << worst);
  CHECK(mismatches == 0);
}

}  // namespace

TEST_CASE("every fixture model matches its oracle over the whole test set") {
  rapidjson::Document manifest = Manifest();
  int checked = 0;
  for (const auto& entry : manifest.GetObject()) {
    const std::string rel = entry.name.GetString();
    const auto& m = entry.value;
    const std::string runtime = m["runtime"].GetString();
    DYNAMIC_SECTION(rel) {
      auto model = LoadFixture(rel, runtime);
      auto rows = ReadRows(kFixtures + "/data/" + m["data"].GetString(), ',');
      REQUIRE(rows.size() == m["rows"].GetUint());
      // XGBoost takes FP32 natively and libsvm FP64: feed each its own type, so no rounding
      // differs from the oracle's.
      Tensor x = Input(rows, runtime == "xgboost" ? DataType::kFp32 : DataType::kFp64);
      double atol = m["atol"].GetDouble();
      for (const auto& o : m["outputs"].GetObject()) {
        const std::string output = o.name.GetString();
        bool exact = false;
        for (const auto& e : m["exact"].GetArray()) exact |= output == e.GetString();
        INFO(rel << " " << output);
        auto result = model->Infer({x}, {output});
        INFO(result.status().ToString());
        REQUIRE(result.ok());
        REQUIRE(result->size() == 1);
        CHECK((*result)[0].name == output);
        Compare((*result)[0], kFixtures + "/" + o.value.GetString(), exact, atol);
        ++checked;
      }
      if (m.HasMember("missing")) {
        auto missing_rows = ReadRows(kFixtures + "/data/" + m["missing"]["data"].GetString(), ',');
        Tensor xm = Input(missing_rows, DataType::kFp32);
        for (const auto& o : m["missing"]["outputs"].GetObject()) {
          auto result = model->Infer({xm}, {o.name.GetString()});
          REQUIRE(result.ok());
          Compare((*result)[0], kFixtures + "/" + o.value.GetString(), false, atol);
        }
      }
    }
  }
}

TEST_CASE("every numeric datatype gives the same prediction as FP32") {
  auto model = LoadFixture("xgb/binary.json", "xgboost");
  auto rows = ReadRows(kFixtures + "/data/agaricus_test.csv", ',');
  rows.resize(50);  // one-hot 0/1 values: exact in every numeric type
  Tensor ref_in = Input(rows, DataType::kFp32);
  auto ref = model->Infer({ref_in}, {});
  REQUIRE(ref.ok());
  for (DataType type : {DataType::kBool, DataType::kUint8, DataType::kUint16, DataType::kUint32,
                        DataType::kUint64, DataType::kInt8, DataType::kInt16, DataType::kInt32,
                        DataType::kInt64, DataType::kFp16, DataType::kFp64}) {
    INFO(DataTypeName(type));
    Tensor t("x", type, ref_in.shape);
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      float v = ref_in.values<float>()[i];
      switch (type) {
        case DataType::kBool: case DataType::kUint8: t.values<uint8_t>()[i] = (uint8_t)v; break;
        case DataType::kUint16: t.values<uint16_t>()[i] = (uint16_t)v; break;
        case DataType::kUint32: t.values<uint32_t>()[i] = (uint32_t)v; break;
        case DataType::kUint64: t.values<uint64_t>()[i] = (uint64_t)v; break;
        case DataType::kInt8: t.values<int8_t>()[i] = (int8_t)v; break;
        case DataType::kInt16: t.values<int16_t>()[i] = (int16_t)v; break;
        case DataType::kInt32: t.values<int32_t>()[i] = (int32_t)v; break;
        case DataType::kInt64: t.values<int64_t>()[i] = (int64_t)v; break;
        case DataType::kFp16: t.values<uint16_t>()[i] = FloatToHalf(v); break;
        case DataType::kFp64: t.values<double>()[i] = v; break;
        default: break;
      }
    }
    auto got = model->Infer({t}, {});
    REQUIRE(got.ok());
    CHECK((*got)[0].data == (*ref)[0].data);
  }
}

TEST_CASE("runtimes refuse requests they cannot serve, naming the problem") {
  auto xgb = LoadFixture("xgb/binary.json", "xgboost");
  auto svm = LoadFixture("svm/csvc.model", "libsvm");
  auto reg = LoadFixture("xgb/regression.json", "xgboost");

  SECTION("wrong feature count names both counts") {
    Tensor t = Tensor::From<float>("x", DataType::kFp32, {1, 10}, std::vector<float>(10, 0.f));
    auto r = xgb->Infer({t}, {});
    REQUIRE(r.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains("126") && Catch::Contains("10"));
  }
  SECTION("unknown output names what the model can compute") {
    Tensor t = Tensor::From<float>("x", DataType::kFp32, {1, 126}, std::vector<float>(126, 0.f));
    auto r = xgb->Infer({t}, {"nope"});
    REQUIRE(r.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains("predict, predict_proba"));
  }
  SECTION("predict_proba of a regression model") {
    Tensor t = Tensor::From<float>("x", DataType::kFp32, {1, 64}, std::vector<float>(64, 0.f));
    auto r = reg->Infer({t}, {"predict_proba"});
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
  SECTION("predict_proba of an SVM trained without probabilities") {
    Tensor t = Tensor::From<double>("x", DataType::kFp64, {1, 64}, std::vector<double>(64, 0.0));
    auto r = svm->Infer({t}, {"predict_proba"});
    REQUIRE(r.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains("probability"));
  }
  SECTION("NaN into libsvm") {
    std::vector<double> v(64, 0.0);
    v[5] = std::nan("");
    Tensor t = Tensor::From<double>("x", DataType::kFp64, {1, 64}, v);
    CHECK(svm->Infer({t}, {}).status().code() == StatusCode::kInvalidArgument);
  }
  SECTION("BYTES, three dimensions, two inputs, shape/data mismatch") {
    Tensor bytes("x", DataType::kBytes, {1, 126});
    CHECK(xgb->Infer({bytes}, {}).status().code() == StatusCode::kInvalidArgument);
    Tensor cube("x", DataType::kFp32, {1, 1, 126});
    CHECK(xgb->Infer({cube}, {}).status().code() == StatusCode::kInvalidArgument);
    Tensor ok("x", DataType::kFp32, {1, 126});
    CHECK(xgb->Infer({ok, ok}, {}).status().code() == StatusCode::kInvalidArgument);
    Tensor short_data = Tensor::From<float>("x", DataType::kFp32, {2, 126}, std::vector<float>(126));
    CHECK(xgb->Infer({short_data}, {}).status().code() == StatusCode::kInvalidArgument);
  }
  SECTION("one row as shape [F], and zero rows") {
    Tensor one = Tensor::From<float>("x", DataType::kFp32, {126}, std::vector<float>(126, 0.f));
    auto r = xgb->Infer({one}, {"predict", "predict_proba"});
    REQUIRE(r.ok());
    CHECK((*r)[0].shape == std::vector<int64_t>{1, 1});
    CHECK((*r)[1].shape == std::vector<int64_t>{1, 2});
    Tensor none("x", DataType::kFp32, {0, 126});
    auto z = xgb->Infer({none}, {"predict", "predict_proba"});
    REQUIRE(z.ok());
    CHECK((*z)[0].shape == std::vector<int64_t>{0, 1});
    CHECK((*z)[1].shape == std::vector<int64_t>{0, 2});
    Tensor none64("x", DataType::kFp64, {0, 64});
    auto zs = svm->Infer({none64}, {"predict", "decision_function"});
    REQUIRE(zs.ok());
    CHECK((*zs)[1].shape == std::vector<int64_t>{0, 45});
  }
}

TEST_CASE("a model file that is not a model is an error, not a crash") {
  const std::string dir = kFixtures + "/broken";
  std::system(("mkdir -p " + dir).c_str());
  std::ofstream(dir + "/garbage.json") << "{\"learner\": [1, 2";
  std::ofstream(dir + "/empty.bst") << "";
  std::ofstream(dir + "/text.model") << "this is not a model\n";
  for (auto [file, runtime] : {std::pair{"garbage.json", "xgboost"}, {"empty.bst", "xgboost"},
                               {"text.model", "libsvm"}}) {
    ModelSettings s;
    s.name = file;
    s.model_path = dir + "/" + file;
    s.display_path = file;
    auto rt = std::string(runtime) == "xgboost" ? MakeXGBoostRuntime() : MakeLibSVMRuntime();
    auto r = rt->Load(s);
    INFO(file << ": " << r.status().ToString());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(r.status().message().find(dir) == std::string::npos);  // no host paths
  }
}
