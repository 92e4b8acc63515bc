// The own XGBoost tree predictor against XGBoost's C API: every XGBoost fixture model, the
// example model and models trained here with python3-xgboost are loaded twice, once predicting
// with the own predictor and once through XGBoost (MODELREPO_XGBOOST_NATIVE_PREDICT=0), and must
// give bitwise identical outputs (memcmp) on their test sets and on adversarial rows: NaN, ±inf,
// ±0, huge and tiny values, values exactly at split conditions and one float either side.
// Models outside what the own predictor reproduces must be left to XGBoost.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "modelrepo/runtime.h"
#include "runtimes/xgboost_tree_predictor.h"

using namespace modelrepo;

namespace {

const std::string kFixtures = MODELREPO_FIXTURES_DIR;
const std::string kExamples = MODELREPO_EXAMPLES_DIR;
const std::string kTestData = MODELREPO_TEST_DATA_DIR;
constexpr const char* kEnv = "MODELREPO_XGBOOST_NATIVE_PREDICT";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Loads a model with the own predictor allowed (the default) or forced off.
std::unique_ptr<LoadedModel> Load(const std::string& path, bool allow_own) {
  if (allow_own) {
    ::unsetenv(kEnv);
  } else {
    ::setenv(kEnv, "0", 1);
  }
  ModelSettings settings;
  settings.name = path.substr(path.rfind('/') + 1);
  settings.implementation = "xgboost";
  settings.model_path = path;
  settings.display_path = settings.name;
  auto model = MakeXGBoostRuntime()->Load(settings);
  ::unsetenv(kEnv);
  INFO(path << ": " << model.status().ToString());
  REQUIRE(model.ok());
  return std::move(*model);
}

// A CSV of floats (strtof reads "nan"); returns the values row-major and sets *cols.
std::vector<float> ReadCsv(const std::string& path, int64_t* cols) {
  std::istringstream in(ReadFile(path));
  std::vector<float> values;
  std::string line;
  *cols = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    int64_t n = 0;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) {
      values.push_back(std::strtof(cell.c_str(), nullptr));
      ++n;
    }
    if (*cols == 0) *cols = n;
    REQUIRE(n == *cols);
  }
  return values;
}

// Every (feature, condition) of the numerical splits of a JSON model, the floats read exactly.
std::vector<std::pair<int64_t, float>> Splits(const std::string& json_path) {
  std::string text = ReadFile(json_path);
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseNanAndInfFlag>(text.c_str());
  REQUIRE(!doc.HasParseError());
  const auto& trees = doc["learner"]["gradient_booster"]["model"]["trees"];
  std::set<std::pair<int64_t, float>> splits;
  for (const auto& tree : trees.GetArray()) {
    const auto& left = tree["left_children"];
    for (rapidjson::SizeType i = 0; i < left.Size(); ++i) {
      if (std::string(left[i].GetString()) == "-1") continue;
      splits.emplace(std::atoll(tree["split_indices"][i].GetString()),
                     std::strtof(tree["split_conditions"][i].GetString(), nullptr));
    }
  }
  return {splits.begin(), splits.end()};
}

// Rows meant to find any difference in the walk: whole rows of special values; test rows with one
// feature set to a split condition or its float neighbours; rows mixing all of these at random.
std::vector<float> AdversarialRows(const std::vector<float>& test, int64_t f,
                                   const std::vector<std::pair<int64_t, float>>& splits) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float max = std::numeric_limits<float>::max();
  const float denorm = std::numeric_limits<float>::denorm_min();
  const std::vector<float> specials{nan, -nan, inf, -inf, 0.0f, -0.0f, max, -max, 1e30f, -1e30f,
                                    3e38f, denorm, -denorm, 1.0f, -1.0f, 0.5f, 1e-30f};
  std::vector<float> rows;
  for (float v : specials) rows.insert(rows.end(), f, v);
  const int64_t test_rows = static_cast<int64_t>(test.size()) / f;
  std::vector<std::vector<float>> per_feature(f);
  size_t k = 0;
  for (const auto& [feature, cond] : splits) {
    per_feature[feature].push_back(cond);
    for (float v : {cond, std::nextafter(cond, inf), std::nextafter(cond, -inf)}) {
      const float* base = test.data() + (k++ % test_rows) * f;
      rows.insert(rows.end(), base, base + f);
      rows[rows.size() - f + feature] = v;
    }
  }
  std::mt19937 rng(12345);
  for (int r = 0; r < 3000; ++r) {
    const float* base = test.data() + (r % test_rows) * f;
    for (int64_t j = 0; j < f; ++j) {
      const auto& conds = per_feature[j];
      float v = base[j];
      switch (rng() % 6) {
        case 0: v = specials[rng() % specials.size()]; break;
        case 1: case 2:
          if (!conds.empty()) v = conds[rng() % conds.size()];
          break;
        case 3:
          if (!conds.empty()) v = std::nextafter(conds[rng() % conds.size()], rng() % 2 ? inf : -inf);
          break;
        default: break;
      }
      rows.push_back(v);
    }
  }
  return rows;
}

// Infers with both models, output by output and all outputs at once; compares bytes.
void CompareBitwise(const LoadedModel& own, const LoadedModel& ref, const std::vector<float>& x,
                    int64_t f, const std::string& what) {
  const int64_t rows = static_cast<int64_t>(x.size()) / f;
  Tensor input = Tensor::From<float>("input-0", DataType::kFp32, {rows, f}, x);
  std::vector<std::vector<std::string>> requests{{}};
  std::vector<std::string> all;
  for (const auto& spec : ref.signature().outputs) {
    requests.push_back({spec.name});
    all.push_back(spec.name);
  }
  requests.push_back(all);
  std::reverse(all.begin(), all.end());
  requests.push_back(all);
  for (const auto& outputs : requests) {
    auto a = own.Infer({input}, outputs);
    auto b = ref.Infer({input}, outputs);
    INFO(what << ": " << rows << " rows; " << a.status().ToString() << " / " << b.status().ToString());
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    REQUIRE(a->size() == b->size());
    for (size_t i = 0; i < a->size(); ++i) {
      const Tensor& ta = (*a)[i];
      const Tensor& tb = (*b)[i];
      INFO("output " << tb.name);
      CHECK(ta.name == tb.name);
      CHECK(ta.datatype == tb.datatype);
      REQUIRE(ta.shape == tb.shape);
      REQUIRE(ta.data.size() == tb.data.size());
      if (!ta.data.empty() && std::memcmp(ta.data.data(), tb.data.data(), ta.data.size()) != 0) {
        size_t n = ta.data.size() / sizeof(float), diff = 0, first = n;
        for (size_t j = 0; j < n; ++j) {
          if (std::memcmp(&ta.values<float>()[j], &tb.values<float>()[j], sizeof(float)) != 0) {
            ++diff;
            first = std::min(first, j);
          }
        }
        INFO(diff << " of " << n << " values differ; first at " << first << ": own "
                  << ta.values<float>()[first] << ", XGBoost " << tb.values<float>()[first]);
        FAIL_CHECK("outputs differ");
      }
    }
  }
}

// Both predictors on the test set, the adversarial rows, each of the first rows alone (shape
// [1, F]) and zero rows.
void CheckModel(const std::string& model_path, const std::string& json_path,
                const std::vector<std::string>& data_paths) {
  auto own = Load(model_path, true);
  auto ref = Load(model_path, false);
  REQUIRE(internal::XGBoostModelUsesOwnPredictor(*own));
  REQUIRE_FALSE(internal::XGBoostModelUsesOwnPredictor(*ref));
  int64_t f = 0;
  std::vector<float> test;
  for (const auto& path : data_paths) {
    std::vector<float> rows = ReadCsv(path, &f);
    CompareBitwise(*own, *ref, rows, f, model_path + " on " + path);
    test.insert(test.end(), rows.begin(), rows.end());
  }
  std::vector<float> adversarial = AdversarialRows(test, f, Splits(json_path));
  CompareBitwise(*own, *ref, adversarial, f, model_path + " on adversarial rows");
  for (int64_t r = 0; r < 40; ++r) {
    std::vector<float> one(adversarial.begin() + r * f, adversarial.begin() + (r + 1) * f);
    CompareBitwise(*own, *ref, one, f, model_path + " on one adversarial row");
  }
  CompareBitwise(*own, *ref, {}, f, model_path + " on zero rows");
}

std::string JsonTwin(std::string rel) {
  size_t dot = rel.rfind('.');
  return rel.substr(0, dot) + ".json";
}

}  // namespace

TEST_CASE("own XGBoost predictor: bitwise equal to XGBoost on every fixture model") {
  rapidjson::Document manifest;
  std::string text = ReadFile(kFixtures + "/MANIFEST.json");
  manifest.Parse(text.c_str());
  REQUIRE(manifest.IsObject());
  int models = 0;
  for (const auto& entry : manifest.GetObject()) {
    if (std::string(entry.value["runtime"].GetString()) != "xgboost") continue;
    const std::string rel = entry.name.GetString();
    DYNAMIC_SECTION(rel) {
      std::vector<std::string> data{kFixtures + "/data/" + entry.value["data"].GetString()};
      if (entry.value.HasMember("missing")) {
        data.push_back(kFixtures + "/data/" + entry.value["missing"]["data"].GetString());
      }
      CheckModel(kFixtures + "/" + rel, kFixtures + "/" + JsonTwin(rel), data);
    }
    ++models;
  }
  CHECK(models >= 7);
}

TEST_CASE("own XGBoost predictor: bitwise equal to XGBoost on the example model") {
  const std::string model = kExamples + "/mushroom-xgboost/model.json";
  CheckModel(model, model,
             {kFixtures + "/data/agaricus_test.csv", kFixtures + "/data/agaricus_test_missing.csv"});
}

// The models of make_predictor_models.py, made once per test run (Catch enters the test case once
// per section) in a temporary directory removed at exit.
const std::string& GeneratedModels() {
  static const std::string dir = [] {
    char dir_template[] = "/tmp/modelrepo-predictor-test.XXXXXX";
    REQUIRE(::mkdtemp(dir_template) != nullptr);
    std::string d = dir_template;
    const std::string cmd = "/usr/bin/python3 " + kTestData + "/make_predictor_models.py " + d;
    REQUIRE(std::system(cmd.c_str()) == 0);
    static struct Cleanup {
      std::string dir;
      ~Cleanup() { std::system(("rm -rf " + dir).c_str()); }
    } cleanup{d};
    return d;
  }();
  return dir;
}

TEST_CASE("own XGBoost predictor: generated models, and what is left to XGBoost") {
  const std::string& dir = GeneratedModels();
  std::istringstream list(ReadFile(dir + "/models.txt"));
  std::string file, data, expect;
  int own_models = 0, xgboost_models = 0;
  while (list >> file >> data >> expect) {
    const std::string path = dir + "/" + file;
    DYNAMIC_SECTION(file) {
      if (expect == "own") {
        CheckModel(path, path, {dir + "/" + data});
      } else {
        // Left to XGBoost: the same answers (or the same refusal: XGBoost 1.7 has no in-place
        // prediction for gblinear) as with the own predictor switched off.
        auto model = Load(path, true);
        auto ref = Load(path, false);
        CHECK_FALSE(internal::XGBoostModelUsesOwnPredictor(*model));
        int64_t f = 0;
        std::vector<float> x = ReadCsv(dir + "/" + data, &f);
        Tensor input = Tensor::From<float>("input-0", DataType::kFp32, {(int64_t)x.size() / f, f}, x);
        auto a = model->Infer({input}, {});
        auto b = ref->Infer({input}, {});
        REQUIRE(a.status().code() == b.status().code());
        if (a.ok()) CHECK((*a)[0].data == (*b)[0].data);
      }
    }
    (expect == "own" ? own_models : xgboost_models)++;
  }
  CHECK(own_models >= 10);
  CHECK(xgboost_models >= 5);
}

TEST_CASE("own XGBoost predictor: MODELREPO_XGBOOST_NATIVE_PREDICT=0 leaves every model to XGBoost") {
  auto own = Load(kFixtures + "/xgb/binary.json", true);
  auto ref = Load(kFixtures + "/xgb/binary.json", false);
  CHECK(internal::XGBoostModelUsesOwnPredictor(*own));
  CHECK_FALSE(internal::XGBoostModelUsesOwnPredictor(*ref));
}

TEST_CASE("own XGBoost predictor: refuses what it does not reproduce") {
  std::string why;
  std::string model = ReadFile(kFixtures + "/xgb/binary.json");
  CHECK(internal::XGBoostTreePredictor::Build(model, &why) != nullptr);
  auto refused = [&](const std::string& from, const std::string& to) {
    std::string m = model;
    size_t at = m.find(from);
    REQUIRE(at != std::string::npos);
    m.replace(at, from.size(), to);
    why.clear();
    bool built = internal::XGBoostTreePredictor::Build(m, &why) != nullptr;
    INFO(from << " -> " << to << ": " << why);
    CHECK_FALSE(built);
    CHECK_FALSE(why.empty());
  };
  refused("\"binary:logistic\"", "\"count:poisson\"");
  refused("\"name\":\"gbtree\"", "\"name\":\"dart\"");
  refused("\"split_type\":[0", "\"split_type\":[1");
  refused("\"num_target\":\"1\"", "\"num_target\":\"2\"");
  refused("\"right_children\":[2", "\"right_children\":[3");  // not left + 1
  refused("\"base_score\":\"5E-1\"", "\"base_score\":\"1E0\"");
  CHECK(internal::XGBoostTreePredictor::Build("{", &why) == nullptr);
}
