// The XGBoost runtime: models saved by XGBoost (JSON, UBJSON, legacy binary). Tree ensembles
// that XGBoostTreePredictor reproduces exactly (see xgboost_tree_predictor.h) predict with it;
// every other model runs through XGBoost's C API with in-place prediction on dense rows. The
// choice is made once, at load.
//
// Environment: MODELREPO_XGBOOST_NATIVE_PREDICT=0 (read at each load) makes models loaded from
// then on predict through XGBoost's C API only, as before the own predictor existed.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <xgboost/c_api.h>

#include "modelrepo/runtime.h"
#include "modelrepo/tabular.h"
#include "runtimes/errors.h"
#include "runtimes/xgboost_model_check.h"
#include "runtimes/xgboost_tree_predictor.h"

namespace modelrepo {
namespace {

// What the objective makes of the booster's outputs.
enum class Objective {
  kBinaryLogistic,  // predict: probability of class 1
  kBinaryLogitRaw,  // predict: margin; probability = sigmoid(margin)
  kMultiSoftprob,   // predict: K class probabilities
  kMultiSoftmax,    // predict: class index; probabilities = softmax(margins)
  kOther,           // regression, ranking, survival...: predict only
};

Objective ClassifyObjective(std::string_view name) {
  if (name == "binary:logistic") return Objective::kBinaryLogistic;
  if (name == "binary:logitraw") return Objective::kBinaryLogitRaw;
  if (name == "multi:softprob") return Objective::kMultiSoftprob;
  if (name == "multi:softmax") return Objective::kMultiSoftmax;
  return Objective::kOther;
}

std::string LastError(const ModelSettings& settings) {
  return internal::CleanLibraryMessage(XGBGetLastError(), settings.model_path,
                                       settings.display_path);
}

// A proxy DMatrix per thread, reused by every prediction that thread makes.
DMatrixHandle ThreadProxy() {
  struct Proxy {
    DMatrixHandle handle = nullptr;
    Proxy() { XGProxyDMatrixCreate(&handle); }
    ~Proxy() {
      if (handle) XGDMatrixFree(handle);
    }
  };
  thread_local Proxy proxy;
  return proxy.handle;
}

// Whether the own predictor may be used: not when MODELREPO_XGBOOST_NATIVE_PREDICT is "0", and
// only with the XGBoost release whose predictions it reproduces (1.7).
bool OwnPredictorAllowed() {
  const char* env = std::getenv("MODELREPO_XGBOOST_NATIVE_PREDICT");
  if (env && std::strcmp(env, "0") == 0) return false;
  int major = 0, minor = 0, patch = 0;
  XGBoostVersion(&major, &minor, &patch);
  return major == 1 && minor == 7;
}

class XGBoostModel final : public LoadedModel {
 public:
  XGBoostModel(BoosterHandle booster, std::string name, int64_t features, Objective objective,
               std::string objective_name, int64_t num_class,
               std::unique_ptr<const internal::XGBoostTreePredictor> own)
      : booster_(booster), name_(std::move(name)), features_(features), objective_(objective),
        num_class_(num_class), own_(std::move(own)) {
    signature_.platform = "xgboost";
    signature_.inputs.push_back({"input-0", DataType::kFp32, {-1, features_}});
    int64_t width = objective_ == Objective::kMultiSoftprob ? num_class_ : 1;
    signature_.outputs.push_back({"predict", DataType::kFp32, {-1, width}});
    if (has_proba()) {
      int64_t k = objective_ == Objective::kMultiSoftprob || objective_ == Objective::kMultiSoftmax
                      ? num_class_ : 2;
      signature_.outputs.push_back({"predict_proba", DataType::kFp32, {-1, k}});
    }
    (void)objective_name;
  }
  ~XGBoostModel() override { XGBoosterFree(booster_); }

  const ModelSignature& signature() const override { return signature_; }

  StatusOr<std::vector<Tensor>> Infer(const std::vector<Tensor>& inputs,
                                      const std::vector<std::string>& outputs) const override {
    StatusOr<const Tensor*> input = SingleInput(inputs, name_);
    if (!input.ok()) return input.status();
    FeatureMatrix<float> x;
    if (Status s = ToFeatureMatrix(**input, features_, name_, &x); !s.ok()) return s;

    static const std::vector<std::string> kDefault{"predict"};
    const std::vector<std::string>& wanted = outputs.empty() ? kDefault : outputs;
    for (const auto& o : wanted) {
      if (o == "predict" || (o == "predict_proba" && has_proba())) continue;
      return internal::UnknownOutput(name_, o, signature_.outputs);
    }

    if (own_) return OwnInfer(x, wanted);

    std::vector<Tensor> result;
    std::vector<float> values;  // type-0 prediction, computed once
    int64_t width = 0;
    auto predict = [&]() -> Status {
      if (!values.empty() || x.rows() == 0) return Status::Ok();
      return Predict(x, /*margin=*/false, &values, &width);
    };
    for (const auto& o : wanted) {
      if (Status s = predict(); !s.ok()) return s;
      if (x.rows() == 0) width = objective_ == Objective::kMultiSoftprob ? num_class_ : 1;
      if (o == "predict") {
        result.push_back(Tensor::From<float>(o, DataType::kFp32, {x.rows(), width}, values));
        continue;
      }
      StatusOr<Tensor> proba = Probabilities(x, values, width);
      if (!proba.ok()) return proba.status();
      result.push_back(std::move(*proba));
    }
    return result;
  }

  bool uses_own_predictor() const { return own_ != nullptr; }

 private:
  bool has_proba() const { return objective_ != Objective::kOther; }

  // Infer with the own predictor: the same outputs, shapes and values as the XGBoost path below
  // (the probabilities are derived from XGBoost's type-0 or margin outputs by the same code),
  // written straight into the output tensors.
  StatusOr<std::vector<Tensor>> OwnInfer(const FeatureMatrix<float>& x,
                                         const std::vector<std::string>& wanted) const {
    const int64_t rows = x.rows();
    std::vector<Tensor> result;
    result.reserve(wanted.size());
    // The type-0 predictions (rows x output_width), once computed into an output tensor: the
    // outputs that need them again copy or read them instead of predicting twice.
    const float* type0 = nullptr;
    auto type0_into = [&](Tensor&& t) {
      if (type0) {
        if (!t.data.empty()) std::memcpy(t.values<float>(), type0, t.data.size());
      } else {
        own_->Predict(x.data(), rows, t.values<float>());
      }
      result.push_back(std::move(t));
      type0 = result.back().values<float>();
    };
    for (const auto& o : wanted) {
      if (o == "predict") {
        type0_into(Tensor(o, DataType::kFp32, {rows, own_->output_width()}));
        continue;
      }
      switch (objective_) {
        case Objective::kMultiSoftprob:
          type0_into(Tensor(o, DataType::kFp32, {rows, num_class_}));
          break;
        case Objective::kBinaryLogistic:
        case Objective::kBinaryLogitRaw: {
          Tensor t(o, DataType::kFp32, {rows, 2});
          float* p = t.values<float>();
          for (int64_t i = 0; i < rows; ++i) {
            float value;
            if (type0) {
              value = type0[i];
            } else {
              own_->Predict(x.row(i), 1, &value);
            }
            double v = value;
            double prob = objective_ == Objective::kBinaryLogistic ? v : 1.0 / (1.0 + std::exp(-v));
            p[2 * i] = static_cast<float>(1.0 - prob);
            p[2 * i + 1] = static_cast<float>(prob);
          }
          result.push_back(std::move(t));
          break;
        }
        case Objective::kMultiSoftmax: {
          const int64_t k = num_class_;
          Tensor t(o, DataType::kFp32, {rows, k});
          float* p = t.values<float>();
          own_->PredictMargin(x.data(), rows, p);
          for (int64_t i = 0; i < rows; ++i) {  // in place: each value is read before written
            float* m = p + i * k;
            double top = m[0];
            for (int64_t j = 1; j < k; ++j) top = std::max<double>(top, m[j]);
            double sum = 0;
            for (int64_t j = 0; j < k; ++j) sum += std::exp(m[j] - top);
            for (int64_t j = 0; j < k; ++j) m[j] = static_cast<float>(std::exp(m[j] - top) / sum);
          }
          result.push_back(std::move(t));
          break;
        }
        case Objective::kOther:
          return internal::UnknownOutput(name_, o, signature_.outputs);
      }
    }
    return result;
  }

  // In-place prediction on dense rows; NaN is a missing value.
  Status Predict(const FeatureMatrix<float>& x, bool margin, std::vector<float>* out,
                 int64_t* width) const {
    char array[160];
    auto n = fmt::format_to_n(array, sizeof array - 1,
                              R"({{"data":[{},true],"shape":[{},{}],"typestr":"<f4","version":3}})",
                              reinterpret_cast<uintptr_t>(x.data()), x.rows(), x.cols());
    *n.out = '\0';
    const char* config =
        margin ? R"({"type":1,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false,"missing":NaN,"cache_id":0})"
               : R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false,"missing":NaN,"cache_id":0})";
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* result = nullptr;
    if (XGBoosterPredictFromDense(booster_, array, config, ThreadProxy(), &shape, &dim,
                                  &result) != 0) {
      return Status::Internal(fmt::format("model {}: prediction failed: {}", name_,
                                          internal::CleanLibraryMessage(XGBGetLastError(), "", "")));
    }
    uint64_t total = 1;
    for (bst_ulong i = 0; i < dim; ++i) total *= shape[i];
    if (dim == 0 || shape[0] != static_cast<bst_ulong>(x.rows()) || total % x.rows() != 0) {
      return Status::Internal(fmt::format("model {}: unexpected prediction shape", name_));
    }
    *width = static_cast<int64_t>(total / x.rows());
    out->assign(result, result + total);  // the buffer is reused by this thread's next call
    return Status::Ok();
  }

  StatusOr<Tensor> Probabilities(const FeatureMatrix<float>& x, const std::vector<float>& values,
                                 int64_t width) const {
    const int64_t rows = x.rows();
    switch (objective_) {
      case Objective::kMultiSoftprob:
        return Tensor::From<float>("predict_proba", DataType::kFp32, {rows, width}, values);
      case Objective::kBinaryLogistic:
      case Objective::kBinaryLogitRaw: {
        Tensor t("predict_proba", DataType::kFp32, {rows, 2});
        float* p = t.values<float>();
        for (int64_t i = 0; i < rows; ++i) {
          double v = values[i];
          double prob = objective_ == Objective::kBinaryLogistic ? v : 1.0 / (1.0 + std::exp(-v));
          p[2 * i] = static_cast<float>(1.0 - prob);
          p[2 * i + 1] = static_cast<float>(prob);
        }
        return t;
      }
      case Objective::kMultiSoftmax: {
        std::vector<float> margins;
        int64_t k = num_class_;
        if (rows > 0) {
          if (Status s = Predict(x, /*margin=*/true, &margins, &k); !s.ok()) return s;
        }
        Tensor t("predict_proba", DataType::kFp32, {rows, k});
        float* p = t.values<float>();
        for (int64_t i = 0; i < rows; ++i) {
          const float* m = margins.data() + i * k;
          double top = m[0];
          for (int64_t j = 1; j < k; ++j) top = std::max<double>(top, m[j]);
          double sum = 0;
          for (int64_t j = 0; j < k; ++j) sum += std::exp(m[j] - top);
          for (int64_t j = 0; j < k; ++j) p[i * k + j] = static_cast<float>(std::exp(m[j] - top) / sum);
        }
        return t;
      }
      case Objective::kOther: break;
    }
    return internal::UnknownOutput(name_, "predict_proba", signature_.outputs);
  }

  BoosterHandle booster_;
  std::string name_;
  int64_t features_;
  Objective objective_;
  int64_t num_class_;
  std::unique_ptr<const internal::XGBoostTreePredictor> own_;  // null: XGBoost predicts
  ModelSignature signature_;
};

class XGBoostRuntime final : public Runtime {
 public:
  std::string name() const override { return "xgboost"; }
  std::vector<std::string> model_file_names() const override {
    return {"model.bst", "model.json", "model.ubj"};
  }
  bool ClaimsFile(const std::string& file) const override {
    return internal::HasExtension(file, {".bst", ".json", ".ubj"});
  }

  StatusOr<std::unique_ptr<LoadedModel>> Load(const ModelSettings& settings) override {
    const std::string what = internal::DescribeModel(settings);
    // XGBoost reads exactly the bytes that were checked, never the file itself.
    StatusOr<std::string> bytes = internal::ReadModelFile(settings.model_path, settings.display_path);
    if (!bytes.ok()) return Status::InvalidArgument(fmt::format("{}: {}", what, bytes.status().message()));
    // The own predictor, built from the model as the booster exports it (the export that
    // LoadCheckedBooster checks), when it reproduces this model's predictions exactly.
    std::unique_ptr<const internal::XGBoostTreePredictor> own;
    std::function<void(std::string_view)> build_own;
    if (OwnPredictorAllowed()) {
      build_own = [&own](std::string_view json) {
        std::string why_not;
        own = internal::XGBoostTreePredictor::Build(json, &why_not);
      };
    }
    StatusOr<void*> loaded = internal::LoadCheckedBooster(std::move(*bytes), build_own);
    if (!loaded.ok()) {
      return Status(loaded.status().code(), fmt::format("{}: {}: {}", what, settings.display_path,
                                                        loaded.status().message()));
    }
    BoosterHandle booster = *loaded;
    std::unique_ptr<void, int (*)(BoosterHandle)> guard(booster, XGBoosterFree);
    std::string nthread = settings.Extra("nthread", "1");
    if (XGBoosterSetParam(booster, "nthread", nthread.c_str()) != 0) {
      return Status::InvalidArgument(fmt::format("{}: invalid nthread '{}'", what, nthread));
    }
    bst_ulong features = 0;
    if (XGBoosterGetNumFeature(booster, &features) != 0) {
      return Status::InvalidArgument(fmt::format("{}: cannot read the feature count: {}", what,
                                                 LastError(settings)));
    }
    bst_ulong len = 0;
    const char* config = nullptr;
    if (XGBoosterSaveJsonConfig(booster, &len, &config) != 0) {
      return Status::InvalidArgument(fmt::format("{}: cannot read the configuration: {}", what,
                                                 LastError(settings)));
    }
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag>(config, len);
    std::string objective;
    int64_t num_class = 0;
    if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("learner")) {
      const auto& learner = doc["learner"];
      if (learner.IsObject() && learner.HasMember("objective") && learner["objective"].IsObject() &&
          learner["objective"].HasMember("name") && learner["objective"]["name"].IsString()) {
        objective = learner["objective"]["name"].GetString();
      }
      if (learner.IsObject() && learner.HasMember("learner_model_param") &&
          learner["learner_model_param"].IsObject() &&
          learner["learner_model_param"].HasMember("num_class") &&
          learner["learner_model_param"]["num_class"].IsString()) {
        num_class = std::atoll(learner["learner_model_param"]["num_class"].GetString());
      }
    }
    Objective kind = ClassifyObjective(objective);
    if ((kind == Objective::kMultiSoftprob || kind == Objective::kMultiSoftmax) && num_class < 2) {
      return Status::InvalidArgument(
          fmt::format("{}: objective {} with num_class {}", what, objective, num_class));
    }
    if (features == 0) {
      return Status::InvalidArgument(fmt::format("{}: the model has no features", what));
    }
    if (own && (own->num_feature() != static_cast<int64_t>(features) ||
                (kind == Objective::kMultiSoftprob || kind == Objective::kMultiSoftmax
                     ? own->num_groups() != num_class : own->num_groups() != 1))) {
      own.reset();
    }
    guard.release();
    return std::unique_ptr<LoadedModel>(new XGBoostModel(booster, settings.name,
                                                         static_cast<int64_t>(features), kind,
                                                         objective, num_class, std::move(own)));
  }
};

}  // namespace

std::shared_ptr<Runtime> MakeXGBoostRuntime() { return std::make_shared<XGBoostRuntime>(); }

bool internal::XGBoostModelUsesOwnPredictor(const LoadedModel& model) {
  auto* xgb = dynamic_cast<const XGBoostModel*>(&model);
  return xgb && xgb->uses_own_predictor();
}

}  // namespace modelrepo
