#include "test_util.h"

#include <fstream>
#include <iterator>

namespace testutil {
namespace {

class FakeModel : public modelrepo::LoadedModel {
 public:
  FakeModel(int64_t value, std::shared_ptr<FakeControl> control)
      : value_(value), control_(std::move(control)) {
    ++control_->live_models;
    signature_.platform = "fake";
    signature_.outputs.push_back({"predict", modelrepo::DataType::kInt64, {1}});
  }
  ~FakeModel() override { --control_->live_models; }
  const modelrepo::ModelSignature& signature() const override { return signature_; }
  modelrepo::StatusOr<std::vector<modelrepo::Tensor>> Infer(
      const std::vector<modelrepo::Tensor>&, const std::vector<std::string>&) const override {
    std::shared_ptr<Gate> gate;
    {
      std::lock_guard lock(control_->mu);
      gate = control_->infer_gate;
    }
    if (gate) gate->Wait();
    return std::vector<modelrepo::Tensor>{modelrepo::Tensor::From<int64_t>(
        "predict", modelrepo::DataType::kInt64, {1}, std::vector<int64_t>{value_})};
  }

 private:
  int64_t value_;
  std::shared_ptr<FakeControl> control_;
  modelrepo::ModelSignature signature_;
};

}  // namespace

modelrepo::StatusOr<std::unique_ptr<modelrepo::LoadedModel>> FakeRuntime::Load(
    const modelrepo::ModelSettings& settings) {
  ++control_->loads;
  std::shared_ptr<Gate> gate;
  {
    std::lock_guard lock(control_->mu);
    gate = control_->load_gate;
  }
  if (gate) gate->Wait();
  std::ifstream in(settings.model_path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.rfind("fail", 0) == 0) {
    return modelrepo::Status::InvalidArgument("fake load failure:" + text.substr(4));
  }
  return std::unique_ptr<modelrepo::LoadedModel>(
      new FakeModel(std::atoll(text.c_str()), control_));
}

int64_t InferValue(modelrepo::Repository& repo, const std::string& name,
                   const std::string& version, modelrepo::Status* status) {
  modelrepo::InferRequest req;
  req.model = name;
  req.version = version;
  auto res = repo.Infer(req);
  if (status) *status = res.status();
  if (!res.ok()) return -1;
  return res->outputs.at(0).values<int64_t>()[0];
}

modelrepo::IndexEntry Entry(modelrepo::Repository& repo, const std::string& name,
                            const std::string& version) {
  auto index = repo.Index();
  if (index.ok()) {
    for (const auto& e : *index) {
      if (e.name == name && e.version == version) return e;
    }
  }
  return {name, version, modelrepo::ModelState::kUnavailable, "ABSENT"};
}

}  // namespace testutil
