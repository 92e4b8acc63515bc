// Helpers for the unit tests: temporary repositories and a fake runtime whose loads and
// inferences the test controls.
#ifndef MODELREPO_TESTS_UNIT_TEST_UTIL_H_
#define MODELREPO_TESTS_UNIT_TEST_UTIL_H_

#include <stdlib.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "modelrepo/repository.h"

namespace testutil {

namespace fs = std::filesystem;

// A folder under the system's temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "modelrepo-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

  // Writes `text` to path_/rel, creating folders.
  void Write(const std::string& rel, const std::string& text) const {
    fs::create_directories((path_ / rel).parent_path());
    std::ofstream(path_ / rel, std::ios::binary | std::ios::trunc) << text;
  }

 private:
  fs::path path_;
};

// A gate that threads wait at until the test opens it.
class Gate {
 public:
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
  }
  // Blocks until `n` threads have reached Wait.
  void AwaitWaiters(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return waiting_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int waiting_ = 0;
};

// What the fake runtime does; shared between the test and the runtime.
struct FakeControl {
  std::atomic<int> loads{0};         // Load calls
  std::atomic<int> live_models{0};   // models built and not yet destroyed
  std::shared_ptr<Gate> infer_gate;  // when set, every Infer waits at it
  std::shared_ptr<Gate> load_gate;   // when set, every Load waits at it
  std::mutex mu;
};

// Model files of the fake runtime (*.fake) hold text: "fail <reason>" makes the load fail;
// anything else is the model's value, which its single output "predict" returns as INT64.
class FakeRuntime : public modelrepo::Runtime {
 public:
  explicit FakeRuntime(std::shared_ptr<FakeControl> control) : control_(std::move(control)) {}
  std::string name() const override { return "fake"; }
  std::vector<std::string> model_file_names() const override { return {"model.fake"}; }
  bool ClaimsFile(const std::string& f) const override {
    return f.size() > 5 && f.compare(f.size() - 5, 5, ".fake") == 0;
  }
  modelrepo::StatusOr<std::unique_ptr<modelrepo::LoadedModel>> Load(
      const modelrepo::ModelSettings& settings) override;

 private:
  std::shared_ptr<FakeControl> control_;
};

// model-settings.json text for a model of the fake runtime.
inline std::string FakeSettings(const std::string& name, const std::string& version = "") {
  std::string s = "{\"implementation\": \"fake\"";
  if (!name.empty()) s += ", \"name\": \"" + name + "\"";
  if (!version.empty()) s += ", \"parameters\": {\"version\": \"" + version + "\"}";
  return s + "}";
}

inline modelrepo::RepositoryOptions FakeOptions(std::shared_ptr<FakeControl> control,
                                                bool load_all = true) {
  modelrepo::RepositoryOptions options;
  options.load_models_at_startup = load_all;
  options.runtimes.push_back(std::make_shared<FakeRuntime>(std::move(control)));
  return options;
}

// Runs the fake model's inference; returns its value or -1 with the status in *status.
int64_t InferValue(modelrepo::Repository& repo, const std::string& name,
                   const std::string& version = "", modelrepo::Status* status = nullptr);

// The index entry for (name, version), or one with state name "ABSENT".
modelrepo::IndexEntry Entry(modelrepo::Repository& repo, const std::string& name,
                            const std::string& version = "");

}  // namespace testutil

#endif  // MODELREPO_TESTS_UNIT_TEST_UTIL_H_
