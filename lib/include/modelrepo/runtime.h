// The runtime interface: how a kind of model file is loaded and run.
//
// libmodelrepo ships two runtimes ("xgboost", "libsvm"); a host application can add its own
// (RepositoryOptions::runtimes) the way MLServer users write custom runtimes. A runtime knows
// nothing of the repository or of HTTP: it turns settings into a LoadedModel, and a LoadedModel
// turns input tensors into output tensors.
#ifndef MODELREPO_RUNTIME_H_
#define MODELREPO_RUNTIME_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "modelrepo/status.h"
#include "modelrepo/tensor.h"

namespace modelrepo {

// One model version as its model-settings.json describes it, with paths resolved.
struct ModelSettings {
  std::string name;            // model name (settings "name", else derived from the folder)
  std::string version;         // parameters.version; empty when the model has none
  std::string implementation;  // runtime name after aliases ("xgboost", "libsvm", ...)
  std::string platform;        // settings "platform"; free text reported by metadata
  std::vector<TensorSpec> inputs;   // declared inputs, possibly empty
  std::vector<TensorSpec> outputs;  // declared outputs, possibly empty
  // Absolute path of the model file (a regular file inside the repository), or of the folder
  // for runtimes that take one.
  std::string model_path;
  // Path of the model file relative to the repository root: what messages show.
  std::string display_path;
  // parameters.extra as a compact JSON object text ("{}" when absent); runtime options.
  std::string extra_json = "{}";
  // Flat string view of parameters.extra's scalar members, for simple options.
  std::vector<std::pair<std::string, std::string>> extra;

  // The value of extra[key], or `fallback`.
  std::string Extra(const std::string& key, const std::string& fallback = "") const;
};

// What a loaded model tells about itself, for metadata and request checks.
struct ModelSignature {
  std::string platform;             // e.g. "xgboost", "libsvm"
  std::vector<TensorSpec> inputs;   // e.g. one FP32 input of shape [-1, F]
  std::vector<TensorSpec> outputs;  // every output it can compute; the first is the default
};

// A model ready to serve. Immutable after load: Infer is called from many threads at once
// and must be thread-safe. It is destroyed when the last request using it ends.
class LoadedModel {
 public:
  virtual ~LoadedModel() = default;

  // Computes the requested outputs (by name, in that order) from the inputs; an empty list
  // means the default output. Errors in the request are InvalidArgument.
  virtual StatusOr<std::vector<Tensor>> Infer(const std::vector<Tensor>& inputs,
                                              const std::vector<std::string>& outputs) const = 0;

  virtual const ModelSignature& signature() const = 0;
};

// A kind of model. Load may be called from several threads at once, for different models.
class Runtime {
 public:
  virtual ~Runtime() = default;

  // The implementation name model-settings.json uses to choose this runtime.
  virtual std::string name() const = 0;

  // File names looked for, in order, when parameters.uri is a folder (or absent).
  virtual std::vector<std::string> model_file_names() const = 0;

  // Whether a model file of this name (no implementation given) belongs to this runtime.
  virtual bool ClaimsFile(const std::string& file_name) const = 0;

  // Loads the model the settings describe. A file that is broken, hostile or of the wrong kind is
  // an InvalidArgument error with a reason naming the problem, never a crash.
  virtual StatusOr<std::unique_ptr<LoadedModel>> Load(const ModelSettings& settings) = 0;
};

// The built-in runtimes.
std::shared_ptr<Runtime> MakeXGBoostRuntime();
std::shared_ptr<Runtime> MakeLibSVMRuntime();

}  // namespace modelrepo

#endif  // MODELREPO_RUNTIME_H_
