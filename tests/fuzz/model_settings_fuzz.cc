// Fuzzes the model-settings.json parser: any bytes give a name and either settings or an error.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "discovery.h"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path root = [] {
    fs::path r = fs::temp_directory_path() / "modelrepo-fuzz-settings";
    fs::create_directories(r / "m" / "1");
    return fs::canonical(r);
  }();
  static const modelrepo::internal::RuntimeRegistry registry = [] {
    modelrepo::internal::RuntimeRegistry r;
    r.Add(modelrepo::MakeXGBoostRuntime());
    r.Add(modelrepo::MakeLibSVMRuntime());
    return r;
  }();
  std::string_view json(reinterpret_cast<const char*>(data), size);
  for (const fs::path& dir : {root / "m", root / "m" / "1"}) {
    modelrepo::internal::FoundModel found;
    modelrepo::internal::ParseModelSettings(json, root, dir, registry, &found);
    if (found.name.empty()) __builtin_trap();
    if (found.error.empty() && !modelrepo::internal::IsValidModelName(found.name)) __builtin_trap();
  }
  return 0;
}
