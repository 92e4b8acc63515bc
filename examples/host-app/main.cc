// A host application of libmodelrepo: opens a model repository in-process and runs the
// walkthrough (index, unload, load, inference on both example models), printing each step.
//
//   app MODEL_REPOSITORY_FOLDER         e.g. app examples/models
#include <cstdio>
#include <string>
#include <vector>

#include <modelrepo/modelrepo.h>

namespace {

// The first rows of examples/data/agaricus.txt.test (126 features, these ones set) and
// digits.test.libsvm (64 features).
const std::vector<int> kMushroomOnes = {0,  8,  18, 20, 23, 33, 35, 38,  41,  52,  55,
                                        64, 68, 76, 85, 87, 91, 94, 101, 105, 116, 121};
const std::vector<double> kDigit = {
     0,  0,  1, 11, 14, 15,  3,  0,  0,  1, 13, 16, 12, 16,  8,  0,
     0,  8, 16,  4,  6, 16,  5,  0,  0,  5, 15, 11, 13, 14,  0,  0,
     0,  0,  2, 12, 16, 13,  0,  0,  0,  0,  0, 13, 16, 16,  6,  0,
     0,  0,  0, 16, 16, 16,  7,  0,  0,  0,  0, 11, 13, 12,  1,  0};

bool Check(const modelrepo::Status& status, const char* what) {
  if (status.ok()) return true;
  std::fprintf(stderr, "%s failed: %s\n", what, status.ToString().c_str());
  return false;
}

bool PrintIndex(modelrepo::Repository& repo) {
  auto index = repo.Index();
  if (!Check(index.status(), "index")) return false;
  for (const modelrepo::IndexEntry& e : *index) {
    std::string line = "  " + e.name + " " + e.version + " " +
                       std::string(modelrepo::ModelStateName(e.state));
    if (!e.reason.empty()) line += " (" + e.reason + ")";
    std::printf("%s\n", line.c_str());
  }
  return true;
}

std::string Shape(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

bool PrintInfer(modelrepo::Repository& repo, modelrepo::InferRequest request) {
  auto response = repo.Infer(request);
  if (!Check(response.status(), ("infer " + request.model).c_str())) return false;
  for (const modelrepo::Tensor& t : response->outputs) {
    std::printf("  %s %s %s:", t.name.c_str(), std::string(modelrepo::DataTypeName(t.datatype)).c_str(),
                Shape(t.shape).c_str());
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      switch (t.datatype) {
        case modelrepo::DataType::kFp32: std::printf(" %.6f", t.values<float>()[i]); break;
        case modelrepo::DataType::kFp64: std::printf(" %.6f", t.values<double>()[i]); break;
        case modelrepo::DataType::kInt64:
          std::printf(" %lld", static_cast<long long>(t.values<int64_t>()[i]));
          break;
        default: std::printf(" ?"); break;
      }
    }
    std::printf("\n");
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s MODEL_REPOSITORY_FOLDER\n", argv[0]);
    return 2;
  }
  std::printf("libmodelrepo %s, repository %s\n", MODELREPO_VERSION_STRING, argv[1]);
  auto opened = modelrepo::Repository::Open(argv[1]);  // loads every model
  if (!Check(opened.status(), "open")) return 1;
  modelrepo::Repository& repo = **opened;

  std::printf("== 1. index\n");
  if (!PrintIndex(repo)) return 1;
  std::printf("== 2. unload mushroom-xgboost\n");
  if (!Check(repo.Unload("mushroom-xgboost"), "unload")) return 1;
  std::printf("== 3. index\n");
  if (!PrintIndex(repo)) return 1;
  std::printf("== 4. load mushroom-xgboost\n");
  if (!Check(repo.Load("mushroom-xgboost"), "load")) return 1;
  std::printf("== 5. index\n");
  if (!PrintIndex(repo)) return 1;

  std::printf("== 6. infer mushroom-xgboost, outputs predict and predict_proba\n");
  std::vector<float> mushroom(126, 0.0f);
  for (int i : kMushroomOnes) mushroom[i] = 1.0f;
  modelrepo::InferRequest xgb;
  xgb.model = "mushroom-xgboost";
  xgb.inputs.push_back(
      modelrepo::Tensor::From<float>("input-0", modelrepo::DataType::kFp32, {1, 126}, mushroom));
  xgb.outputs = {"predict", "predict_proba"};
  if (!PrintInfer(repo, xgb)) return 1;

  std::printf("== 7. infer mnist-svm version v0.1.0, default output\n");
  modelrepo::InferRequest svm;
  svm.model = "mnist-svm";
  svm.version = "v0.1.0";
  svm.inputs.push_back(
      modelrepo::Tensor::From<double>("predict", modelrepo::DataType::kFp64, {1, 64}, kDigit));
  if (!PrintInfer(repo, svm)) return 1;

  std::printf("== 8. an error: infer a model that does not exist\n");
  svm.model = "no-such-model";
  auto missing = repo.Infer(svm);
  std::printf("  %s (HTTP %d)\n", missing.status().ToString().c_str(),
              modelrepo::HttpStatus(missing.status().code()));
  return missing.status().code() == modelrepo::StatusCode::kNotFound ? 0 : 1;
}
