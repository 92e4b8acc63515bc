// modelrepo-server's command line and the repository's settings.json.
#ifndef MODELREPO_SERVER_OPTIONS_H_
#define MODELREPO_SERVER_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "modelrepo/status.h"

namespace modelrepo::server {

struct ServerOptions {
  std::string repository;  // the model-repository folder
  std::string host = "127.0.0.1";
  int http_port = 8080;    // 0: any free port (the log line says which)
  std::string http_engine = "beast";  // "beast" or "cpprest"
  int threads = 0;         // 0: the number of cores
  bool load_models_at_startup = true;
  bool strict_readiness = false;
  bool debug = false;
  uint64_t http_max_body = uint64_t{64} << 20;
  int64_t max_batch_elements = int64_t{1} << 24;  // tensor elements an inference request may hold
  double shutdown_timeout_seconds = 30;
  int http_idle_timeout_seconds = 60;  // for a request's head, its body, and between requests
  int http_max_connections = 0;        // 0: no limit (Beast engine)
  // Management (load/unload) access. "explicit": load and unload are served; "none": they answer
  // 403 and the index stays readable (Triton's --model-control-mode).
  std::string model_control_mode = "explicit";
  // When set, load and unload require "Authorization: Bearer <token>". From
  // --repository-api-token, --repository-api-token-file or MODELREPO_REPOSITORY_API_TOKEN.
  std::string repository_api_token;
  std::string server_name = "modelrepo-server";
  std::string server_version;  // empty: libmodelrepo's version
};

enum class Command { kStart, kHelp, kVersion };

struct CommandLine {
  Command command = Command::kStart;
  ServerOptions options;
  // The settings.json keys a flag already set (flags win over the file).
  std::vector<std::string> set_by_flags;
};

// Parses `modelrepo-server start <repository-folder> [flags]`, `--help`, `--version`.
// Errors are InvalidArgument with a message for the user.
StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

// Reads settings.json text (MLServer's server settings): host, http_port, load_models_at_startup,
// debug, server_name, server_version; every other key is ignored. Keys listed in `set_by_flags`
// keep the flag's value.
Status ApplySettings(std::string_view json, const std::vector<std::string>& set_by_flags,
                     ServerOptions* options);

// Whether `host` names only this machine (127.0.0.0/8, ::1, localhost).
bool IsLoopbackHost(std::string_view host);

// Reads <repository>/settings.json when it exists.
Status ApplySettingsFile(const std::vector<std::string>& set_by_flags, ServerOptions* options);

std::string UsageText();

}  // namespace modelrepo::server

#endif  // MODELREPO_SERVER_OPTIONS_H_
