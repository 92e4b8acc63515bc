// Discovery: finding the model versions of a repository folder from its model-settings.json files.
// Internal to libmodelrepo.
#ifndef MODELREPO_SRC_DISCOVERY_H_
#define MODELREPO_SRC_DISCOVERY_H_

#include <filesystem>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "modelrepo/runtime.h"

namespace modelrepo::internal {

// The runtimes a repository can use, by implementation name, in registration order.
class RuntimeRegistry {
 public:
  // Adds or replaces (same name) a runtime.
  void Add(std::shared_ptr<Runtime> runtime);
  // The runtime registered under `name` (after aliases), or nullptr.
  Runtime* Find(std::string_view name) const;
  const std::vector<std::shared_ptr<Runtime>>& runtimes() const { return runtimes_; }

 private:
  std::vector<std::shared_ptr<Runtime>> runtimes_;
};

// One model version found on disk: its settings, or why it cannot be loaded.
struct FoundModel {
  std::string name;
  std::string version;
  std::string settings_path;  // relative to the repository root, for messages
  ModelSettings settings;     // complete when error is empty
  std::string error;          // non-empty: the version cannot be loaded, and why
};

// Largest model-settings.json read; larger ones are reported as errors.
constexpr uintmax_t kMaxSettingsBytes = 1 << 20;

// Walks `root` (a canonical folder path) for model-settings.json files and returns the model
// versions they describe, sorted by name then version. Never throws; problems with one file
// become that entry's error. Two files naming the same version yield one entry with an error.
// `dirs`, when given, receives every folder walked (root included).
std::vector<FoundModel> ScanRepository(const std::filesystem::path& root,
                                       const RuntimeRegistry& registry,
                                       std::vector<std::filesystem::path>* dirs = nullptr);

// Tells whether anything changed in a folder tree since the last look, through inotify, so that
// an unchanged repository is not walked again on every index. Where inotify is not available
// (or runs out of watches) it says "changed" every time, and the repository is walked as before.
class TreeWatch {
 public:
  TreeWatch();
  ~TreeWatch();
  TreeWatch(const TreeWatch&) = delete;
  TreeWatch& operator=(const TreeWatch&) = delete;

  // Whether anything may have changed since the last call; consumes the pending events.
  bool Changed();
  // Watches these folders too (those already watched are skipped).
  void Watch(const std::vector<std::filesystem::path>& dirs);

 private:
  int fd_ = -1;
  bool dirty_ = true;
  std::map<int, std::string> paths_;  // watch descriptor -> folder
  std::set<std::string> watched_;
};

// Parses one model-settings.json text. `settings_dir` is the folder holding it, `root` the
// repository root (both canonical). Fills `found` (name, version, settings or error).
void ParseModelSettings(std::string_view json, const std::filesystem::path& root,
                        const std::filesystem::path& settings_dir,
                        const RuntimeRegistry& registry, FoundModel* found);

// The order of versions: versions that are both integers compare numerically, others as strings,
// no version comes first and integers come before other strings (so the order is total). The default version of a model
// is the greatest READY one.
bool VersionLess(std::string_view a, std::string_view b);
struct VersionOrder {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return VersionLess(a, b); }
};

// Longest model name or version.
constexpr size_t kMaxNameBytes = 256;

// Whether a name can be a model name or version: 1 to kMaxNameBytes bytes, no '/', '\\' or
// control characters (so names cannot traverse paths or forge log lines), not "." or "..".
bool IsValidModelName(std::string_view name);

}  // namespace modelrepo::internal

#endif  // MODELREPO_SRC_DISCOVERY_H_
