// An in-memory Repository for router tests: models and versions with a state, scripted errors,
// and an Infer that echoes its inputs (or returns what a test sets).
#ifndef MODELREPO_TESTS_SERVER_FAKE_REPOSITORY_H_
#define MODELREPO_TESTS_SERVER_FAKE_REPOSITORY_H_

#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "modelrepo/repository.h"

namespace modelrepo::testing {

class FakeRepository final : public Repository {
 public:
  struct Version {
    ModelState state = ModelState::kReady;
    std::string reason;
  };

  // name -> version ("" for an unversioned model) -> state
  std::map<std::string, std::map<std::string, Version>> models;
  // Load of these names fails with this error (InvalidArgument).
  std::map<std::string, std::string> load_errors;
  // When set, Infer answers with it instead of echoing.
  std::function<StatusOr<InferResponse>(const InferRequest&)> infer;
  // The last request Infer received.
  InferRequest last_request;
  int index_calls = 0;

  FakeRepository() {
    models["alpha"][""] = {};
    models["beta"]["1"] = {};
    models["beta"]["2"] = {};
  }

  StatusOr<std::vector<IndexEntry>> Index(bool ready_only) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++index_calls;
    std::vector<IndexEntry> out;
    for (const auto& [name, versions] : models) {
      for (const auto& [version, v] : versions) {
        if (ready_only && v.state != ModelState::kReady) continue;
        out.push_back({name, version, v.state, v.reason});
      }
    }
    return out;
  }

  Status Load(std::string_view name) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = models.find(std::string(name));
    if (it == models.end()) return Status::NotFound("Model " + std::string(name) + " not found");
    if (auto e = load_errors.find(it->first); e != load_errors.end()) {
      for (auto& [version, v] : it->second) {
        v.state = ModelState::kUnavailable;
        v.reason = e->second;
      }
      return Status::InvalidArgument(e->second);
    }
    for (auto& [version, v] : it->second) v = {};
    return Status::Ok();
  }

  Status Unload(std::string_view name) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = models.find(std::string(name));
    bool any = false;
    if (it != models.end()) {
      for (auto& [version, v] : it->second) {
        if (v.state != ModelState::kReady) continue;
        v = {ModelState::kUnavailable, "unloaded"};
        any = true;
      }
    }
    if (!any) return Status::NotFound("Model " + std::string(name) + " not found");
    return Status::Ok();
  }

  StatusOr<InferResponse> Infer(const InferRequest& request) override {
    std::string version;
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_request = request;
      auto found = Find(request.model, request.version);
      if (!found.ok()) return found.status();
      version = *found;
    }
    if (infer) return infer(request);
    InferResponse response;
    response.model_name = request.model;
    response.model_version = version;
    for (const Tensor& t : request.inputs) {
      Tensor out = t;
      out.name = request.outputs.empty() ? "predict" : request.outputs.front();
      response.outputs.push_back(std::move(out));
    }
    return response;
  }

  StatusOr<ModelMetadata> Metadata(std::string_view name, std::string_view version) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto found = Find(name, version);
    if (!found.ok()) return found.status();
    ModelMetadata md;
    md.name = std::string(name);
    for (const auto& [v, state] : models[md.name]) {
      if (!v.empty()) md.versions.push_back(v);
    }
    md.platform = "fake";
    md.inputs = {{"input-0", DataType::kFp32, {-1, 3}}};
    md.outputs = {{"predict", DataType::kFp32, {-1, 3}}};
    return md;
  }

  StatusOr<bool> IsReady(std::string_view name, std::string_view version) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = models.find(std::string(name));
    if (it == models.end()) return Status::NotFound("Model " + std::string(name) + " not found");
    if (version.empty()) {
      for (const auto& [v, state] : it->second) {
        if (state.state == ModelState::kReady) return true;
      }
      return false;
    }
    auto v = it->second.find(std::string(version));
    if (v == it->second.end()) {
      return Status::NotFound("Model " + std::string(name) + " with version " + std::string(version) + " not found");
    }
    return v->second.state == ModelState::kReady;
  }

  const std::string& root() const override { return root_; }

 private:
  // The version a request would use: the one asked for, else the highest READY one.
  StatusOr<std::string> Find(std::string_view name, std::string_view version) {
    auto it = models.find(std::string(name));
    if (it == models.end()) return Status::NotFound("Model " + std::string(name) + " not found");
    if (version.empty()) {
      for (auto v = it->second.rbegin(); v != it->second.rend(); ++v) {
        if (v->second.state == ModelState::kReady) return v->first;
      }
      return Status::NotFound("Model " + std::string(name) + " not found");
    }
    auto v = it->second.find(std::string(version));
    if (v == it->second.end() || v->second.state != ModelState::kReady) {
      return Status::NotFound("Model " + std::string(name) + " with version " + std::string(version) + " not found");
    }
    return v->first;
  }

  std::mutex mu_;
  std::string root_ = "fake";
};

}  // namespace modelrepo::testing

#endif  // MODELREPO_TESTS_SERVER_FAKE_REPOSITORY_H_
