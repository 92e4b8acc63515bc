// Repository: the models of one model-repository folder, their lifecycle, and inference on them.
//
//   auto repo = modelrepo::Repository::Open("examples/models");
//   if (!repo.ok()) { ... repo.status().message() ... }
//   (*repo)->Unload("mushroom-xgboost");
//   (*repo)->Load("mushroom-xgboost");
//   modelrepo::InferRequest req;
//   req.model = "mushroom-xgboost";
//   req.inputs.push_back(modelrepo::Tensor::From<float>("x", modelrepo::DataType::kFp32, {1, 126}, row));
//   auto res = (*repo)->Infer(req);
//
// Lifecycle of one model version (what Index reports):
//
//   UNAVAILABLE --Load--> LOADING --ok--> READY --Unload--> UNLOADING --last request ends--> UNAVAILABLE
//        ^                  |                |  ^                                            ("unloaded")
//        +----failed--------+                |  |
//          (reason = why)                    +--+ Load again: reload; the old copy serves until
//                                                 the new one is READY, and stays if it fails
//
// Every method is thread-safe. Load and Unload of one model name are serialised; calls for
// different models never wait on each other, and no Load or Unload blocks inference on another
// model. Slow work (reading files, building models) never runs under a repository-wide lock.
#ifndef MODELREPO_REPOSITORY_H_
#define MODELREPO_REPOSITORY_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "modelrepo/runtime.h"
#include "modelrepo/status.h"
#include "modelrepo/tensor.h"

namespace modelrepo {

enum class ModelState : int {
  kUnavailable = 0,
  kLoading = 1,
  kReady = 2,
  kUnloading = 3,
};
// "UNAVAILABLE", "LOADING", "READY", "UNLOADING"
std::string_view ModelStateName(ModelState state);

// One model version found in the repository.
struct IndexEntry {
  std::string name;
  std::string version;  // empty when the model has no version
  ModelState state = ModelState::kUnavailable;
  std::string reason;   // why it is UNAVAILABLE ("unloaded", a load error, a settings error)
};

struct ModelMetadata {
  std::string name;
  std::vector<std::string> versions;  // every version found for this name, ascending
  std::string platform;
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
};

struct InferRequest {
  std::string model;
  std::string version;  // empty: the default version (the highest READY one)
  std::vector<Tensor> inputs;
  std::vector<std::string> outputs;  // names to compute; empty: the model's default output
};

struct InferResponse {
  std::string model_name;
  std::string model_version;  // empty when the model has no version
  std::vector<Tensor> outputs;
};

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

struct RepositoryOptions {
  // Load every model found when the repository is opened (MLServer's load_models_at_startup).
  // Models that fail are UNAVAILABLE with their reason; Open still succeeds. Default: true.
  bool load_models_at_startup = true;

  // Runtimes added beside the built-in "xgboost" and "libsvm". A runtime with a built-in's name
  // replaces it. Default: none.
  std::vector<std::shared_ptr<Runtime>> runtimes;

  // Whether the built-in runtimes are registered. Default: true.
  bool builtin_runtimes = true;

  // Where the repository reports loads, unloads and their outcomes. Default: nowhere.
  // Called from whichever thread did the work; must be thread-safe.
  std::function<void(LogLevel, std::string_view)> logger;
};

class Repository {
 public:
  // Opens the repository folder `root` (which must exist) and scans it; loads every model when
  // options.load_models_at_startup is set.
  static StatusOr<std::unique_ptr<Repository>> Open(const std::string& root,
                                                    RepositoryOptions options = {});

  virtual ~Repository() = default;
  Repository(const Repository&) = delete;
  Repository& operator=(const Repository&) = delete;

  // Rescans the folder and lists every model version, sorted by name then version; with
  // ready_only, only the READY ones.
  virtual StatusOr<std::vector<IndexEntry>> Index(bool ready_only = false) = 0;

  // Rescans the folder, then loads every version of `name` found there, returning once they are
  // READY. Loading a loaded model reloads it: the old copy keeps serving until the new one is
  // READY, and keeps serving if the new one fails. NotFound for an unknown name; InvalidArgument
  // with the reason when a version fails to load.
  virtual Status Load(std::string_view name) = 0;

  // Stops new requests to every version of `name` at once and returns; running requests finish,
  // and each version's model is freed when its last request ends (UNLOADING until then).
  // NotFound when no version of `name` is loaded.
  virtual Status Unload(std::string_view name) = 0;

  // Runs inference. NotFound for an unknown or unloaded model or version; Unavailable while it is
  // still loading; InvalidArgument for a request the model cannot take.
  virtual StatusOr<InferResponse> Infer(const InferRequest& request) = 0;

  // Metadata of a loaded model version (empty version: the default one). NotFound otherwise.
  virtual StatusOr<ModelMetadata> Metadata(std::string_view name,
                                           std::string_view version = {}) = 0;

  // Whether the version (empty: the default one) is READY. NotFound when the repository has
  // no model of that name or no such version.
  virtual StatusOr<bool> IsReady(std::string_view name, std::string_view version = {}) = 0;

  // The folder this repository serves.
  virtual const std::string& root() const = 0;

 protected:
  Repository() = default;
};

}  // namespace modelrepo

#endif  // MODELREPO_REPOSITORY_H_
