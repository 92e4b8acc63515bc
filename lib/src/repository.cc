#include "modelrepo/repository.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>

#include <fmt/format.h>

#include "discovery.h"
#include "runtimes/errors.h"

namespace modelrepo {

std::string_view ModelStateName(ModelState state) {
  switch (state) {
    case ModelState::kUnavailable: return "UNAVAILABLE";
    case ModelState::kLoading: return "LOADING";
    case ModelState::kReady: return "READY";
    case ModelState::kUnloading: return "UNLOADING";
  }
  return "UNAVAILABLE";
}

std::string ModelSettings::Extra(const std::string& key, const std::string& fallback) const {
  for (const auto& [k, v] : extra) {
    if (k == key) return v;
  }
  return fallback;
}

namespace {

namespace fs = std::filesystem;
using internal::FoundModel;
using internal::VersionOrder;

using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// model-settings.json may declare the inputs; where both it and the model know the feature count
// (the last dimension of the first input), they must agree.
Status CheckDeclaredInputs(const ModelSettings& settings, const ModelSignature& signature) {
  if (settings.inputs.empty() || signature.inputs.empty()) return Status::Ok();
  const auto& declared = settings.inputs[0].shape;
  const auto& actual = signature.inputs[0].shape;
  if (declared.empty() || actual.empty() || declared.back() < 0 || actual.back() < 0) {
    return Status::Ok();
  }
  if (declared.back() != actual.back()) {
    return Status::InvalidArgument(fmt::format(
        "{}: model-settings.json declares {} features but the model file has {}",
        internal::DescribeModel(settings.name, settings.version), declared.back(), actual.back()));
  }
  return Status::Ok();
}

// One loaded model version. Requests hold it through a shared_ptr; the last holder frees it.
struct Servable {
  std::unique_ptr<LoadedModel> model;
  ModelSettings settings;
  uint64_t serial = 0;
};
using ServablePtr = std::shared_ptr<const Servable>;

// The state of one version of a model.
struct VersionSlot {
  std::optional<FoundModel> on_disk;  // what the last scan found; empty once removed from disk
  ModelState state = ModelState::kUnavailable;
  std::string reason;          // last load failure or "unloaded"
  ServablePtr serving;         // set exactly when READY (or READY while reloading)
  uint64_t draining_serial = 0;  // the servable whose release ends UNLOADING

  std::string_view shown_reason() const {
    if (state == ModelState::kUnavailable && on_disk && !on_disk->error.empty()) {
      return on_disk->error;
    }
    return reason;
  }
  bool removable() const { return !on_disk && state == ModelState::kUnavailable; }
};

// Every version of one model name.
struct ModelGroup {
  explicit ModelGroup(std::string n) : name(std::move(n)) {}
  const std::string name;
  std::mutex op_mutex;  // serialises Load and Unload of this name; held across slow work
  std::mutex mu;        // guards versions; never held across slow work or a servable release
  std::map<std::string, VersionSlot, VersionOrder> versions;
};

}  // namespace

class RepositoryImpl final : public Repository {
 public:
  RepositoryImpl(std::string root, fs::path canonical, RepositoryOptions options)
      : root_(std::move(root)), canonical_(std::move(canonical)), options_(std::move(options)) {
    if (options_.builtin_runtimes) {
      registry_.Add(MakeXGBoostRuntime());
      registry_.Add(MakeLibSVMRuntime());
    }
    for (auto& r : options_.runtimes) {
      if (r) registry_.Add(r);
    }
  }

  void Start() {
    Rescan();
    if (!options_.load_models_at_startup) return;
    std::vector<std::string> names;
    {
      std::shared_lock lock(groups_mu_);
      for (const auto& [name, group] : groups_) names.push_back(name);
    }
    for (const auto& name : names) LoadGroup(name, /*rescan=*/false);
  }

  const std::string& root() const override { return root_; }

  StatusOr<std::vector<IndexEntry>> Index(bool ready_only) override {
    Rescan();
    std::vector<IndexEntry> entries;
    std::shared_lock lock(groups_mu_);
    for (const auto& [name, group] : groups_) {
      std::lock_guard glock(group->mu);
      for (const auto& [version, slot] : group->versions) {
        if (ready_only && slot.state != ModelState::kReady) continue;
        entries.push_back({name, version, slot.state, std::string(slot.shown_reason())});
      }
    }
    return entries;
  }

  Status Load(std::string_view name) override { return LoadGroup(std::string(name), true); }

  Status Unload(std::string_view name) override {
    std::shared_ptr<ModelGroup> group = FindGroup(name);
    if (!group) return NotFoundError(name);
    std::lock_guard op(group->op_mutex);
    std::vector<ServablePtr> releasing;
    {
      std::lock_guard lock(group->mu);
      for (auto& [version, slot] : group->versions) {
        if (!slot.serving) continue;
        slot.state = ModelState::kUnloading;
        slot.reason.clear();
        slot.draining_serial = slot.serving->serial;
        releasing.push_back(std::move(slot.serving));
        slot.serving.reset();
      }
    }
    if (releasing.empty()) return NotFoundError(name);
    Log(LogLevel::kInfo, fmt::format("unloading model {}: new requests refused, {} version(s) "
                                     "freed when their running requests end",
                                     name, releasing.size()));
    releasing.clear();  // frees now unless requests are still running
    return Status::Ok();
  }

  StatusOr<InferResponse> Infer(const InferRequest& request) override {
    StatusOr<ServablePtr> servable = Acquire(request.model, request.version);
    if (!servable.ok()) return servable.status();
    const Servable& s = **servable;
    StatusOr<std::vector<Tensor>> outputs = Status::Internal("not run");
    try {
      outputs = s.model->Infer(request.inputs, request.outputs);
    } catch (const std::exception& e) {
      return Status::Internal(fmt::format("{} failed: {}", internal::DescribeModel(s.settings.name, s.settings.version), e.what()));
    } catch (...) {
      return Status::Internal(fmt::format("{} failed", internal::DescribeModel(s.settings.name, s.settings.version)));
    }
    if (!outputs.ok()) return outputs.status();
    InferResponse response;
    response.model_name = s.settings.name;
    response.model_version = s.settings.version;
    response.outputs = std::move(*outputs);
    return response;
  }

  StatusOr<ModelMetadata> Metadata(std::string_view name, std::string_view version) override {
    StatusOr<ServablePtr> servable = Acquire(name, version);
    if (!servable.ok()) return servable.status();
    const Servable& s = **servable;
    const ModelSignature& sig = s.model->signature();
    ModelMetadata md;
    md.name = s.settings.name;
    md.platform = !s.settings.platform.empty() ? s.settings.platform : sig.platform;
    md.inputs = !s.settings.inputs.empty() ? s.settings.inputs : sig.inputs;
    md.outputs = !s.settings.outputs.empty() ? s.settings.outputs : sig.outputs;
    if (std::shared_ptr<ModelGroup> group = FindGroup(name)) {
      std::lock_guard lock(group->mu);
      for (const auto& [v, slot] : group->versions) {
        if (!v.empty()) md.versions.push_back(v);
      }
    }
    return md;
  }

  StatusOr<bool> IsReady(std::string_view name, std::string_view version) override {
    std::shared_ptr<ModelGroup> group = FindGroup(name);
    if (!group) return NotFoundError(name);
    std::lock_guard lock(group->mu);
    if (version.empty()) {
      for (const auto& [v, slot] : group->versions) {
        if (slot.serving) return true;
      }
      return false;
    }
    auto it = group->versions.find(version);
    if (it == group->versions.end()) return NotFoundError(name, version);
    return it->second.serving != nullptr;
  }

 private:
  static Status NotFoundError(std::string_view name, std::string_view version = {}) {
    if (version.empty()) return Status::NotFound(fmt::format("Model {} not found", name));
    return Status::NotFound(fmt::format("Model {} with version {} not found", name, version));
  }

  void Log(LogLevel level, std::string message) const {
    if (options_.logger) options_.logger(level, message);
  }

  std::shared_ptr<ModelGroup> FindGroup(std::string_view name) const {
    std::shared_lock lock(groups_mu_);
    auto it = groups_.find(name);
    return it == groups_.end() ? nullptr : it->second;
  }

  // The servable a request for (name, version) should use: the version asked for, or the
  // greatest READY one.
  StatusOr<ServablePtr> Acquire(std::string_view name, std::string_view version) const {
    std::shared_lock lock(groups_mu_);
    auto git = groups_.find(name);
    if (git == groups_.end()) return NotFoundError(name);
    ModelGroup& group = *git->second;
    std::lock_guard glock(group.mu);
    if (version.empty()) {
      bool loading = false;
      for (auto it = group.versions.rbegin(); it != group.versions.rend(); ++it) {
        if (it->second.serving) return it->second.serving;
        loading |= it->second.state == ModelState::kLoading;
      }
      if (loading) return Status::Unavailable(fmt::format("Model {} is loading", name));
      return NotFoundError(name);
    }
    auto it = group.versions.find(version);
    if (it == group.versions.end()) return NotFoundError(name, version);
    if (it->second.serving) return it->second.serving;
    if (it->second.state == ModelState::kLoading) {
      return Status::Unavailable(fmt::format("Model {} version {} is loading", name, version));
    }
    return NotFoundError(name, version);
  }

  // Reads the folder again and merges what it finds: new models and versions appear,
  // settings are refreshed for the next load, and those gone from disk disappear once they
  // are not loaded.
  void Rescan() {
    std::lock_guard scan(scan_mu_);
    // Walk again only when the folder changed, or when a model gone from disk was just freed.
    bool forget = forget_->exchange(false);
    if (!watch_.Changed() && !forget) return;
    std::vector<fs::path> dirs;
    std::vector<FoundModel> found = internal::ScanRepository(canonical_, registry_, &dirs);
    watch_.Watch(dirs);
    std::map<std::string, std::vector<FoundModel*>, std::less<>> by_name;
    for (auto& m : found) by_name[m.name].push_back(&m);

    std::unique_lock lock(groups_mu_);
    for (auto& [name, models] : by_name) {
      auto& group = groups_[name];
      if (!group) group = std::make_shared<ModelGroup>(name);
    }
    for (auto git = groups_.begin(); git != groups_.end();) {
      ModelGroup& group = *git->second;
      auto fit = by_name.find(git->first);
      {
        std::lock_guard glock(group.mu);
        for (auto& [version, slot] : group.versions) slot.on_disk.reset();
        if (fit != by_name.end()) {
          for (FoundModel* m : fit->second) group.versions[m->version].on_disk = std::move(*m);
        }
        for (auto vit = group.versions.begin(); vit != group.versions.end();) {
          vit = vit->second.removable() ? group.versions.erase(vit) : std::next(vit);
        }
      }
      // A name with no version left on disk or in memory leaves the repository.
      bool empty;
      {
        std::lock_guard glock(group.mu);
        empty = group.versions.empty();
      }
      git = empty ? groups_.erase(git) : std::next(git);
    }
  }

  Status LoadGroup(const std::string& name, bool rescan) {
    if (rescan) Rescan();
    std::shared_ptr<ModelGroup> group = FindGroup(name);
    if (!group) return NotFoundError(name);
    std::lock_guard op(group->op_mutex);

    struct Job {
      std::string version;
      std::optional<ModelSettings> settings;  // empty: cannot load, see error
      std::string error;
      ServablePtr loaded;
    };
    std::vector<Job> jobs;
    std::vector<ServablePtr> releasing;
    {
      std::lock_guard lock(group->mu);
      for (auto& [version, slot] : group->versions) {
        if (!slot.on_disk) {
          // Loaded before, now gone from disk: a reload drops it.
          if (slot.serving) {
            slot.state = ModelState::kUnloading;
            slot.draining_serial = slot.serving->serial;
            releasing.push_back(std::move(slot.serving));
            slot.serving.reset();
          }
          continue;
        }
        Job job{version, std::nullopt, slot.on_disk->error, nullptr};
        if (job.error.empty()) {
          job.settings = slot.on_disk->settings;
          if (!slot.serving) {
            slot.state = ModelState::kLoading;
            slot.reason.clear();
          }
        }
        jobs.push_back(std::move(job));
      }
    }
    releasing.clear();
    if (jobs.empty()) return NotFoundError(name);

    for (Job& job : jobs) {
      if (!job.settings) continue;
      auto start = Clock::now();
      StatusOr<ServablePtr> loaded = Build(*job.settings, group);
      if (loaded.ok()) {
        job.loaded = std::move(*loaded);
        Log(LogLevel::kInfo, fmt::format("loaded {} from {} in {:.1f} ms",
                                         internal::DescribeModel(name, job.version),
                                         job.settings->display_path, MillisSince(start)));
      } else {
        job.error = loaded.status().message();
      }
    }

    std::string first_error;
    {
      std::lock_guard lock(group->mu);
      for (Job& job : jobs) {
        auto it = group->versions.find(job.version);
        if (it == group->versions.end()) continue;  // cannot happen: LOADING slots are kept
        VersionSlot& slot = it->second;
        if (job.loaded) {
          if (slot.serving) releasing.push_back(std::move(slot.serving));
          slot.serving = std::move(job.loaded);
          slot.state = ModelState::kReady;
          slot.reason.clear();
          continue;
        }
        if (first_error.empty()) first_error = job.error;
        if (slot.serving) {
          slot.state = ModelState::kReady;  // a failed reload keeps the old copy serving
        } else {
          slot.state = ModelState::kUnavailable;
          slot.reason = job.error;
        }
      }
    }
    releasing.clear();  // replaced copies are freed when their last request ends
    for (const Job& job : jobs) {
      if (!job.loaded && !job.error.empty()) {
        Log(LogLevel::kError, fmt::format("failed to load {}: {}", internal::DescribeModel(name, job.version),
                                          job.error));
      }
    }
    if (!first_error.empty()) return Status::InvalidArgument(first_error);
    return Status::Ok();
  }

  // Loads one version through its runtime and wraps it so that its release, once unloaded,
  // marks the version UNAVAILABLE.
  StatusOr<ServablePtr> Build(const ModelSettings& settings,
                              const std::shared_ptr<ModelGroup>& group) {
    Runtime* runtime = registry_.Find(settings.implementation);
    if (!runtime) {
      return Status::InvalidArgument(
          fmt::format("no runtime named '{}' for {}", settings.implementation,
                      internal::DescribeModel(settings.name, settings.version)));
    }
    StatusOr<std::unique_ptr<LoadedModel>> model = Status::Internal("not loaded");
    try {
      model = runtime->Load(settings);
    } catch (const std::exception& e) {
      model = Status::Internal(fmt::format("runtime {} failed: {}", runtime->name(), e.what()));
    } catch (...) {
      model = Status::Internal(fmt::format("runtime {} failed", runtime->name()));
    }
    if (!model.ok()) return model.status();
    if (!*model) return Status::Internal(fmt::format("runtime {} returned no model", runtime->name()));
    if (Status s = CheckDeclaredInputs(settings, (*model)->signature()); !s.ok()) return s;

    auto* servable = new Servable{std::move(*model), settings, ++next_serial_};
    std::weak_ptr<ModelGroup> weak = group;
    auto logger = options_.logger;
    auto forget = forget_;
    return ServablePtr(servable, [weak, logger, forget](const Servable* s) {
      std::string version = s->settings.version;
      std::string name = s->settings.name;
      uint64_t serial = s->serial;
      delete s;
      std::shared_ptr<ModelGroup> g = weak.lock();
      if (!g) return;
      bool unloaded = false;
      {
        std::lock_guard lock(g->mu);
        auto it = g->versions.find(version);
        if (it != g->versions.end() && it->second.state == ModelState::kUnloading &&
            it->second.draining_serial == serial) {
          it->second.state = ModelState::kUnavailable;
          it->second.reason = "unloaded";
          unloaded = true;
          if (!it->second.on_disk) forget->store(true);
        }
      }
      if (unloaded && logger) logger(LogLevel::kInfo, fmt::format("unloaded {}", internal::DescribeModel(name, version)));
    });
  }

  const std::string root_;
  const fs::path canonical_;
  const RepositoryOptions options_;
  internal::RuntimeRegistry registry_;
  std::atomic<uint64_t> next_serial_{0};

  std::mutex scan_mu_;  // one rescan at a time
  internal::TreeWatch watch_;  // guarded by scan_mu_
  // Set when a version no longer on disk is freed, so the next rescan drops it.
  std::shared_ptr<std::atomic<bool>> forget_ = std::make_shared<std::atomic<bool>>(false);
  mutable std::shared_mutex groups_mu_;
  std::map<std::string, std::shared_ptr<ModelGroup>, std::less<>> groups_;
};

StatusOr<std::unique_ptr<Repository>> Repository::Open(const std::string& root,
                                                       RepositoryOptions options) {
  std::error_code ec;
  fs::path canonical = fs::canonical(root, ec);
  if (ec || !fs::is_directory(canonical, ec)) {
    return Status::NotFound(fmt::format("model repository folder {} not found", root));
  }
  try {
    auto repo = std::make_unique<RepositoryImpl>(root, canonical, std::move(options));
    repo->Start();
    return std::unique_ptr<Repository>(std::move(repo));
  } catch (const std::exception& e) {
    return Status::Internal(fmt::format("cannot open model repository: {}", e.what()));
  }
}

}  // namespace modelrepo
