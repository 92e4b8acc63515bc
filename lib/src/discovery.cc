#include "discovery.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

namespace modelrepo::internal {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSettingsFile = "model-settings.json";

// Implementation names of other servers that mean one of ours.
constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
    {"mlserver_xgboost.XGBoostModel", "xgboost"},
};

// Implementations that load pickles, which run arbitrary code: never loaded.
constexpr std::string_view kPickleImplementations[] = {
    "mlserver_sklearn.SKLearnModel",
    "mlserver_lightgbm.LightGBMModel",
    "mlserver_mlflow.MLflowRuntime",
};
constexpr std::string_view kPickleExtensions[] = {".pkl", ".pickle", ".joblib", ".sav"};

const char* kPickleAdvice =
    "pickle and joblib files can run arbitrary code when loaded and are never loaded; export the "
    "model to a format this server reads (XGBoost: booster.save_model('model.json'); SVM: a "
    "libsvm model file)";

std::string_view Resolve(std::string_view implementation) {
  for (auto [alias, name] : kAliases) {
    if (implementation == alias) return name;
  }
  return implementation;
}

bool IsPickleFile(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(std::begin(kPickleExtensions), std::end(kPickleExtensions), ext) !=
         std::end(kPickleExtensions);
}

// `p` relative to root, for messages (never an absolute host path).
std::string Display(const fs::path& root, const fs::path& p) {
  std::error_code ec;
  fs::path rel = p.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") return p.filename().string();
  return rel.generic_string();
}

bool Within(const fs::path& root, const fs::path& p) {
  auto r = root.begin(), q = p.begin();
  for (; r != root.end(); ++r, ++q) {
    if (q == p.end() || *r != *q) return false;
  }
  return true;
}

// Control characters and backslashes as \xNN.
std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f || c == '\\') out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  return out;
}

bool IsInteger(std::string_view s, unsigned long long* value) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *value);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::string ScalarToString(const rapidjson::Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  if (v.IsDouble()) return fmt::format("{}", v.GetDouble());
  return {};
}

// Parses [{"name", "datatype", "shape"}, ...]; returns an error text or "".
std::string ParseSpecs(const rapidjson::Value& v, const char* field, std::vector<TensorSpec>* out) {
  if (!v.IsArray()) return fmt::format("'{}' must be a list", field);
  for (const auto& e : v.GetArray()) {
    if (!e.IsObject()) return fmt::format("'{}' entries must be objects", field);
    TensorSpec spec;
    if (auto it = e.FindMember("name"); it != e.MemberEnd()) {
      if (!it->value.IsString()) return fmt::format("'{}[].name' must be a string", field);
      spec.name = it->value.GetString();
    }
    if (auto it = e.FindMember("datatype"); it != e.MemberEnd()) {
      auto type = it->value.IsString() ? ParseDataType(it->value.GetString()) : std::nullopt;
      if (!type) return fmt::format("'{}[].datatype' is not a V2 datatype", field);
      spec.datatype = *type;
    }
    if (auto it = e.FindMember("shape"); it != e.MemberEnd()) {
      if (!it->value.IsArray()) return fmt::format("'{}[].shape' must be a list", field);
      for (const auto& d : it->value.GetArray()) {
        if (!d.IsInt64() || d.GetInt64() < -1) {
          return fmt::format("'{}[].shape' must hold integers >= -1", field);
        }
        spec.shape.push_back(d.GetInt64());
      }
    }
    out->push_back(std::move(spec));
  }
  return {};
}

// Finds the model file for settings whose uri is the folder `dir`.
std::string FindInFolder(const fs::path& dir, const RuntimeRegistry& registry,
                         const std::string& implementation, fs::path* file,
                         std::string* runtime_name) {
  std::vector<std::string> tried;
  std::error_code ec;
  for (const auto& runtime : registry.runtimes()) {
    if (!implementation.empty() && runtime->name() != implementation) continue;
    auto names = runtime->model_file_names();
    if (names.empty() && !implementation.empty()) {  // the runtime takes the folder itself
      *file = dir;
      *runtime_name = runtime->name();
      return {};
    }
    for (const auto& name : names) {
      if (fs::exists(dir / name, ec)) {
        *file = dir / name;
        *runtime_name = runtime->name();
        return {};
      }
      tried.push_back(name);
    }
  }
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (IsPickleFile(entry.path())) {
      return fmt::format("model file {} is a pickle: {}", entry.path().filename().string(),
                         kPickleAdvice);
    }
  }
  return fmt::format("no model file found (looked for {})", fmt::join(tried, ", "));
}

}  // namespace

void RuntimeRegistry::Add(std::shared_ptr<Runtime> runtime) {
  for (auto& r : runtimes_) {
    if (r->name() == runtime->name()) {
      r = std::move(runtime);
      return;
    }
  }
  runtimes_.push_back(std::move(runtime));
}

Runtime* RuntimeRegistry::Find(std::string_view name) const {
  name = Resolve(name);
  for (const auto& r : runtimes_) {
    if (r->name() == name) return r.get();
  }
  return nullptr;
}

bool IsValidModelName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes || name == "." || name == "..") return false;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f || c == '/' || c == '\\') return false;
  }
  return true;
}

bool VersionLess(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return a.empty() && !b.empty();  // no version first
  unsigned long long x, y;
  bool xi = IsInteger(a, &x), yi = IsInteger(b, &y);
  if (xi && yi) return x < y || (x == y && a < b);  // "01" and "1": still a total order
  if (xi != yi) return xi;
  return a < b;
}

void ParseModelSettings(std::string_view json, const fs::path& root, const fs::path& settings_dir,
                        const RuntimeRegistry& registry, FoundModel* found) {
  found->settings_path = Display(root, settings_dir / kSettingsFile);
  // Names default to the folder's; refined below once the settings are read.
  std::string folder = settings_dir == root ? std::string() : settings_dir.filename().string();
  found->name = folder;
  auto fail = [&](std::string why) {
    found->error = fmt::format("{}: {}", found->settings_path, why);
  };

  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag>(json.data(),
                                                                                json.size());
  if (doc.HasParseError()) {
    return fail(fmt::format("invalid JSON at offset {}: {}", doc.GetErrorOffset(),
                            rapidjson::GetParseError_En(doc.GetParseError())));
  }
  if (!doc.IsObject()) return fail("must hold a JSON object");

  const rapidjson::Value* params = nullptr;
  if (auto it = doc.FindMember("parameters"); it != doc.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsObject()) return fail("'parameters' must be an object");
    params = &it->value;
  }
  auto param = [&](const char* key) -> const rapidjson::Value* {
    if (!params) return nullptr;
    auto it = params->FindMember(key);
    return it == params->MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
  };

  if (const auto* v = param("version")) {
    if (!v->IsString() && !v->IsNumber()) return fail("'parameters.version' must be a string");
    found->version = ScalarToString(*v);
  }

  std::string explicit_name;
  if (auto it = doc.FindMember("name"); it != doc.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsString()) return fail("'name' must be a string");
    explicit_name = it->value.GetString();
  }
  if (!explicit_name.empty()) {
    found->name = explicit_name;
  } else if (settings_dir != root && settings_dir.parent_path() != root) {
    // <name>/<version>/model-settings.json: the folder is a version folder when it is named
    // after parameters.version, or, without one, when its name is an integer (Triton's layout).
    unsigned long long n;
    bool version_folder = found->version.empty() ? IsInteger(folder, &n) : folder == found->version;
    if (version_folder) {
      found->name = settings_dir.parent_path().filename().string();
      if (found->version.empty()) found->version = folder;
    }
  }
  if (!IsValidModelName(found->name)) {
    // Listed under a printable form of the name, so the index and logs carry no raw control
    // characters.
    found->name = found->name.empty() ? "<root>" : Printable(found->name.substr(0, kMaxNameBytes));
    return fail("the model needs a name of at most 256 bytes without '/', '\\' or control "
                "characters, other than '.' and '..'");
  }
  if (!found->version.empty() && !IsValidModelName(found->version)) {
    found->version = Printable(found->version.substr(0, kMaxNameBytes));
    return fail("the version must not contain '/', '\\' or control characters, nor be '.' or '..'");
  }

  ModelSettings& s = found->settings;
  s.name = found->name;
  s.version = found->version;

  if (auto it = doc.FindMember("platform"); it != doc.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsString()) return fail("'platform' must be a string");
    s.platform = it->value.GetString();
  }
  for (const char* field : {"inputs", "outputs"}) {
    if (auto it = doc.FindMember(field); it != doc.MemberEnd() && !it->value.IsNull()) {
      auto& specs = std::string_view(field) == "inputs" ? s.inputs : s.outputs;
      if (auto err = ParseSpecs(it->value, field, &specs); !err.empty()) return fail(err);
    }
  }
  if (const auto* extra = param("extra")) {
    if (!extra->IsObject()) return fail("'parameters.extra' must be an object");
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    extra->Accept(w);
    s.extra_json.assign(buf.GetString(), buf.GetSize());
    for (const auto& m : extra->GetObject()) {
      if (!m.value.IsObject() && !m.value.IsArray() && !m.value.IsNull()) {
        s.extra.emplace_back(m.name.GetString(), ScalarToString(m.value));
      }
    }
  }

  std::string implementation;
  if (auto it = doc.FindMember("implementation"); it != doc.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsString()) return fail("'implementation' must be a string");
    implementation = it->value.GetString();
  }
  for (std::string_view pickle : kPickleImplementations) {
    if (implementation == pickle) {
      return fail(fmt::format("implementation {} is not supported: {}", implementation,
                              kPickleAdvice));
    }
  }
  if (!implementation.empty()) {
    Runtime* runtime = registry.Find(implementation);
    if (!runtime) {
      std::vector<std::string> known;
      for (const auto& r : registry.runtimes()) known.push_back(r->name());
      return fail(fmt::format("unknown implementation '{}' (this server has: {})", implementation,
                              fmt::join(known, ", ")));
    }
    implementation = runtime->name();
  }

  // The model file: parameters.uri relative to the settings folder, default the folder itself.
  fs::path target = settings_dir;
  if (const auto* uri = param("uri")) {
    if (!uri->IsString()) return fail("'parameters.uri' must be a string");
    std::string_view u(uri->GetString(), uri->GetStringLength());
    if (u.find('\0') != std::string_view::npos) return fail("'parameters.uri' contains NUL");
    fs::path p(std::string{u});
    target = (p.is_absolute() ? p : settings_dir / p).lexically_normal();
  }
  std::error_code ec;
  fs::path resolved = fs::weakly_canonical(target, ec);
  if (ec || !Within(root, resolved)) {
    return fail("'parameters.uri' leaves the repository folder");
  }
  if (!fs::exists(resolved, ec)) {
    return fail(fmt::format("model file {} not found", Display(root, resolved)));
  }
  fs::path file = resolved;
  if (fs::is_directory(resolved, ec)) {
    std::string runtime_name;
    if (auto err = FindInFolder(resolved, registry, implementation, &file, &runtime_name);
        !err.empty()) {
      return fail(err);
    }
    if (implementation.empty()) implementation = runtime_name;
    file = fs::weakly_canonical(file, ec);
    if (ec || !Within(root, file)) return fail("the model file leaves the repository folder");
  }
  if (IsPickleFile(file)) {
    return fail(fmt::format("model file {} is a pickle: {}", Display(root, file), kPickleAdvice));
  }
  if (implementation.empty()) {
    for (const auto& r : registry.runtimes()) {
      if (r->ClaimsFile(file.filename().string())) {
        implementation = r->name();
        break;
      }
    }
    if (implementation.empty()) {
      return fail(fmt::format("cannot tell which runtime reads {}; set 'implementation'",
                              Display(root, file)));
    }
  }
  if (file != resolved || !fs::is_directory(file, ec)) {
    struct stat st;
    if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return fail(fmt::format("model file {} is not a regular file", Display(root, file)));
    }
  }
  s.implementation = implementation;
  s.model_path = file.string();
  s.display_path = Display(root, file);
}

std::vector<FoundModel> ScanRepository(const fs::path& root, const RuntimeRegistry& registry,
                                       std::vector<fs::path>* walked) {
  std::vector<fs::path> dirs;
  std::error_code ec;
  if (walked) walked->push_back(root);
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (walked && it->is_directory(type_ec) && !it->is_symlink(type_ec)) walked->push_back(it->path());
    if (it->path().filename() == kSettingsFile && it->is_regular_file(type_ec)) {
      dirs.push_back(it->path().parent_path());
    }
  }
  std::sort(dirs.begin(), dirs.end());

  std::vector<FoundModel> found;
  found.reserve(dirs.size());
  for (const auto& dir : dirs) {
    FoundModel m;
    fs::path path = dir / kSettingsFile;
    std::error_code size_ec;
    uintmax_t size = fs::file_size(path, size_ec);
    if (size_ec || size > kMaxSettingsBytes) {
      m.settings_path = Display(root, path);
      m.name = dir == root ? "<root>" : dir.filename().string();
      m.error = fmt::format("{}: {}", m.settings_path,
                            size_ec ? "cannot be read" : "larger than 1 MiB");
    } else {
      std::ifstream in(path, std::ios::binary);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      ParseModelSettings(text, root, dir, registry, &m);
    }
    found.push_back(std::move(m));
  }

  // Two files describing one version: keep one entry, unloadable, saying so.
  std::stable_sort(found.begin(), found.end(), [](const FoundModel& a, const FoundModel& b) {
    if (a.name != b.name) return a.name < b.name;
    return VersionLess(a.version, b.version);
  });
  std::vector<FoundModel> unique;
  for (auto& m : found) {
    if (!unique.empty() && unique.back().name == m.name && unique.back().version == m.version) {
      FoundModel& first = unique.back();
      first.error = fmt::format("model {}{}{} is defined twice: {} and {}", m.name,
                                m.version.empty() ? "" : " version ", m.version,
                                first.settings_path, m.settings_path);
      continue;
    }
    unique.push_back(std::move(m));
  }
  return unique;
}

TreeWatch::TreeWatch() : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}

TreeWatch::~TreeWatch() {
  if (fd_ >= 0) ::close(fd_);
}

bool TreeWatch::Changed() {
  if (fd_ < 0) return true;
  alignas(inotify_event) char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) break;  // EAGAIN: nothing more pending
    for (ssize_t off = 0; off < n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buf + off);
      off += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      dirty_ = true;
      if (e->mask & IN_IGNORED) {  // the folder is gone: forget it, so it is watched if it returns
        auto it = paths_.find(e->wd);
        if (it != paths_.end()) {
          watched_.erase(it->second);
          paths_.erase(it);
        }
      }
    }
  }
  bool changed = dirty_;
  dirty_ = false;
  return changed;
}

void TreeWatch::Watch(const std::vector<fs::path>& dirs) {
  if (fd_ < 0) return;
  constexpr uint32_t kMask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE |
                             IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |
                             IN_ONLYDIR | IN_DONT_FOLLOW;
  for (const auto& dir : dirs) {
    std::string path = dir.string();
    if (watched_.count(path)) continue;
    int wd = ::inotify_add_watch(fd_, path.c_str(), kMask);
    if (wd < 0) {  // out of watches, or the folder just went away: stop trusting the watch
      ::close(fd_);
      fd_ = -1;
      return;
    }
    paths_[wd] = path;
    watched_.insert(path);
    // Files may have appeared in this folder before its watch existed: look again next time.
    dirty_ = true;
  }
}

}  // namespace modelrepo::internal
