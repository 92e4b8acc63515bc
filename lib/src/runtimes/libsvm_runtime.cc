// The libsvm runtime: models written by libsvm's svm-train / svm_save_model. The only file that
// includes <libsvm/svm.h>.
#include <cmath>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <libsvm/svm.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modelrepo/runtime.h"
#include "modelrepo/tabular.h"
#include "runtimes/errors.h"
#include "runtimes/libsvm_model_file.h"

namespace modelrepo {
namespace {

// svm_load_model is not thread-safe (static line buffer, setlocale): one load at a time.
std::mutex g_load_mutex;

class LibSVMModel final : public LoadedModel {
 public:
  LibSVMModel(svm_model* model, std::string name, internal::LibSVMModelInfo info, int64_t features)
      : model_(model), name_(std::move(name)), info_(std::move(info)), features_(features) {
    const int k = info_.nr_class;
    decision_width_ = info_.is_classifier() ? k * (k - 1) / 2 : 1;
    signature_.platform = "libsvm";
    signature_.inputs.push_back({"input-0", DataType::kFp64, {-1, features_}});
    signature_.outputs.push_back(
        {"predict", info_.is_regression() ? DataType::kFp64 : DataType::kInt64, {-1, 1}});
    if (has_proba()) signature_.outputs.push_back({"predict_proba", DataType::kFp64, {-1, k}});
    signature_.outputs.push_back({"decision_function", DataType::kFp64, {-1, decision_width_}});
  }
  ~LibSVMModel() override { svm_free_and_destroy_model(&model_); }

  const ModelSignature& signature() const override { return signature_; }

  StatusOr<std::vector<Tensor>> Infer(const std::vector<Tensor>& inputs,
                                      const std::vector<std::string>& outputs) const override {
    StatusOr<const Tensor*> input = SingleInput(inputs, name_);
    if (!input.ok()) return input.status();
    FeatureMatrix<double> x;
    if (Status s = ToFeatureMatrix(**input, features_, name_, &x); !s.ok()) return s;
    if (features_ < 0 && x.cols() < info_.max_index) {
      return Status::InvalidArgument(fmt::format(
          "model {} expects at least {} features, input '{}' has {}", name_, info_.max_index,
          (*input)->name, x.cols()));
    }
    const int64_t n = x.rows() * x.cols();
    for (int64_t i = 0; i < n; ++i) {
      if (!std::isfinite(x.data()[i])) {
        return Status::InvalidArgument(fmt::format(
            "model {} takes no missing (NaN) or infinite values; input '{}' has one at row {}",
            name_, (*input)->name, i / std::max<int64_t>(x.cols(), 1)));
      }
    }

    static const std::vector<std::string> kDefault{"predict"};
    const std::vector<std::string>& wanted = outputs.empty() ? kDefault : outputs;
    for (const auto& o : wanted) {
      if (o == "predict" || o == "decision_function" || (o == "predict_proba" && has_proba())) continue;
      if (o == "predict_proba") {
        return Status::InvalidArgument(fmt::format(
            "model {} has no output 'predict_proba': it was not trained with probability "
            "estimates (svm-train -b 1); it can compute: predict, decision_function", name_));
      }
      return internal::UnknownOutput(name_, o, signature_.outputs);
    }

    thread_local std::vector<svm_node> nodes;
    std::vector<Tensor> result;
    const int64_t rows = x.rows();
    for (const auto& o : wanted) {
      if (o == "predict") {
        Tensor t(o, info_.is_regression() ? DataType::kFp64 : DataType::kInt64, {rows, 1});
        for (int64_t r = 0; r < rows; ++r) {
          double label = svm_predict(model_, Row(x, r, &nodes));
          if (info_.is_regression()) t.values<double>()[r] = label;
          else t.values<int64_t>()[r] = static_cast<int64_t>(std::llround(label));
        }
        result.push_back(std::move(t));
      } else if (o == "predict_proba") {
        const int k = info_.nr_class;
        Tensor t(o, DataType::kFp64, {rows, k});
        for (int64_t r = 0; r < rows; ++r) {
          svm_predict_probability(model_, Row(x, r, &nodes), t.values<double>() + r * k);
        }
        result.push_back(std::move(t));
      } else {
        Tensor t(o, DataType::kFp64, {rows, decision_width_});
        for (int64_t r = 0; r < rows; ++r) {
          svm_predict_values(model_, Row(x, r, &nodes), t.values<double>() + r * decision_width_);
        }
        result.push_back(std::move(t));
      }
    }
    return result;
  }

 private:
  bool has_proba() const { return info_.is_classifier() && info_.has_probability; }

  // Row r as libsvm's sparse nodes: 1-based indices, zeros left out, -1 terminated.
  static const svm_node* Row(const FeatureMatrix<double>& x, int64_t r, std::vector<svm_node>* nodes) {
    nodes->clear();
    const double* row = x.row(r);
    for (int64_t j = 0; j < x.cols(); ++j) {
      if (row[j] != 0.0) nodes->push_back({static_cast<int>(j + 1), row[j]});
    }
    nodes->push_back({-1, 0.0});
    return nodes->data();
  }

  svm_model* model_;
  std::string name_;
  internal::LibSVMModelInfo info_;
  int64_t features_;  // -1: not declared; any count >= info_.max_index
  int decision_width_;
  ModelSignature signature_;
};

class LibSVMRuntime final : public Runtime {
 public:
  std::string name() const override { return "libsvm"; }
  std::vector<std::string> model_file_names() const override {
    return {"model.libsvm", "model.svm", "model.txt"};
  }
  bool ClaimsFile(const std::string& file) const override {
    return internal::HasExtension(file, {".libsvm", ".svm", ".model", ".txt"});
  }

  StatusOr<std::unique_ptr<LoadedModel>> Load(const ModelSettings& settings) override {
    const std::string what = internal::DescribeModel(settings);
    StatusOr<std::string> bytes = internal::ReadModelFile(settings.model_path, settings.display_path);
    if (!bytes.ok()) return Status::InvalidArgument(fmt::format("{}: {}", what, bytes.status().message()));
    const std::string& text = *bytes;
    StatusOr<internal::LibSVMModelInfo> info = internal::CheckLibSVMModel(text);
    if (!info.ok()) {
      return Status::InvalidArgument(
          fmt::format("{}: {}: {}", what, settings.display_path, info.status().message()));
    }

    // The declared feature count, when model-settings.json gives one.
    int64_t features = -1;
    if (!settings.inputs.empty() && !settings.inputs[0].shape.empty()) {
      features = settings.inputs[0].shape.back();
      if (features > 0 && features < info->max_index) {
        return Status::InvalidArgument(fmt::format(
            "{}: inputs declare {} features but support vectors use feature {}", what, features,
            info->max_index));
      }
      if (features <= 0) features = -1;
    }

    // libsvm reads the very bytes that were checked, from an anonymous in-memory file, so a
    // file changed on disk after the check cannot reach it.
    int fd = ::memfd_create("modelrepo-libsvm", MFD_CLOEXEC);
    if (fd < 0) return Status::Internal(fmt::format("{}: memfd_create failed", what));
    bool written = true;
    for (size_t off = 0; off < text.size() && written;) {
      ssize_t n = ::write(fd, text.data() + off, text.size() - off);
      written = n > 0;
      off += written ? static_cast<size_t>(n) : 0;
    }
    svm_model* model = nullptr;
    if (written) {
      std::lock_guard lock(g_load_mutex);
      model = svm_load_model(fmt::format("/proc/self/fd/{}", fd).c_str());
    }
    ::close(fd);
    if (!model) {
      return Status::InvalidArgument(fmt::format("{}: libsvm cannot read {}", what, settings.display_path));
    }
    return std::unique_ptr<LoadedModel>(new LibSVMModel(model, settings.name, std::move(*info), features));
  }
};

}  // namespace

std::shared_ptr<Runtime> MakeLibSVMRuntime() { return std::make_shared<LibSVMRuntime>(); }

}  // namespace modelrepo
