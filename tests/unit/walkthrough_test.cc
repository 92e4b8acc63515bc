// MLServer's walkthrough, in process, on the bundled example repository.
#include <cmath>

#include <catch2/catch.hpp>

#include "test_util.h"

using namespace modelrepo;

namespace {

// The first row of agaricus.txt.test and of digits.test.libsvm (MLServer's transcript rows).
std::vector<float> MushroomRow() {
  std::vector<float> row(126, 0.f);
  for (int f : {1, 9, 19, 21, 24, 34, 36, 39, 42, 53, 56, 65, 69, 77, 86, 88, 92, 95, 102, 106, 117, 122}) {
    row[f - 1] = 1.f;
  }
  return row;
}
const std::vector<double> kDigitRow = {
    0, 0, 1, 11, 14, 15, 3, 0, 0, 1, 13, 16, 12, 16, 8, 0, 0, 8, 16, 4, 6, 16,
    5, 0, 0, 5, 15, 11, 13, 14, 0, 0, 0, 0, 2, 12, 16, 13, 0, 0, 0, 0, 0, 13,
    16, 16, 6, 0, 0, 0, 0, 16, 16, 16, 7, 0, 0, 0, 0, 11, 13, 12, 1, 0};

std::vector<std::string> States(Repository& repo) {
  std::vector<std::string> out;
  for (const auto& e : repo.Index().value()) {
    out.push_back(e.name + " " + e.version + " " + std::string(ModelStateName(e.state)) + " " + e.reason);
  }
  return out;
}

}  // namespace

TEST_CASE("the MLServer walkthrough, in process") {
  auto opened = Repository::Open(MODELREPO_EXAMPLES_DIR);
  REQUIRE(opened.ok());
  Repository& repo = **opened;

  CHECK(States(repo) == std::vector<std::string>{"mnist-svm v0.1.0 READY ",
                                                 "mushroom-xgboost v0.1.0 READY "});
  REQUIRE(repo.Unload("mushroom-xgboost").ok());
  CHECK(States(repo) == std::vector<std::string>{"mnist-svm v0.1.0 READY ",
                                                 "mushroom-xgboost v0.1.0 UNAVAILABLE unloaded"});
  InferRequest req;
  req.model = "mushroom-xgboost";
  req.inputs.push_back(Tensor::From<float>("predict", DataType::kFp32, {1, 126}, MushroomRow()));
  CHECK(repo.Infer(req).status().code() == StatusCode::kNotFound);

  REQUIRE(repo.Load("mushroom-xgboost").ok());
  CHECK(States(repo) == std::vector<std::string>{"mnist-svm v0.1.0 READY ",
                                                 "mushroom-xgboost v0.1.0 READY "});

  auto res = repo.Infer(req);
  REQUIRE(res.ok());
  CHECK(res->model_name == "mushroom-xgboost");
  CHECK(res->model_version == "v0.1.0");
  REQUIRE(res->outputs.size() == 1);
  const Tensor& p = res->outputs[0];
  CHECK(p.name == "predict");
  CHECK(p.datatype == DataType::kFp32);
  CHECK(p.shape == std::vector<int64_t>{1, 1});
  CHECK(p.values<float>()[0] == 0.28583016991615295f);  // MLServer's answer for this row

  req.outputs = {"predict_proba"};
  auto proba = repo.Infer(req);
  REQUIRE(proba.ok());
  CHECK(proba->outputs[0].shape == std::vector<int64_t>{1, 2});
  CHECK(std::fabs(proba->outputs[0].values<float>()[1] - 0.28583017f) < 1e-7);

  InferRequest digits;
  digits.model = "mnist-svm";
  digits.version = "v0.1.0";
  digits.inputs.push_back(Tensor::From<double>("predict", DataType::kFp64, {1, 64}, kDigitRow));
  auto label = repo.Infer(digits);
  REQUIRE(label.ok());
  CHECK(label->outputs[0].datatype == DataType::kInt64);
  CHECK(label->outputs[0].values<int64_t>()[0] == 8);
  digits.outputs = {"predict_proba"};
  CHECK(repo.Infer(digits).status().code() == StatusCode::kInvalidArgument);
  digits.version = "v9";
  digits.outputs.clear();
  CHECK(repo.Infer(digits).status().message() == "Model mnist-svm with version v9 not found");
}
