// modelrepo-server start <repository-folder>: the V2 REST dataplane and the model repository API
// over one model-repository folder (MLServer's `mlserver start <folder>`).
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "http_engine.h"
#include "log.h"
#include "modelrepo/repository.h"
#include "modelrepo/version.h"
#include "options.h"
#include "router.h"

namespace modelrepo::server {
namespace {

using Clock = std::chrono::steady_clock;

// Loads every model found, one name after another, then opens readiness. Runs beside the HTTP
// engine so that liveness answers while models load.
void LoadAtStartup(Repository& repository, Router& router, bool load, const std::atomic<bool>& stop) {
  std::vector<std::string> failed;
  if (load) {
    auto start = Clock::now();
    std::set<std::string> names;
    if (auto index = repository.Index(); index.ok()) {
      for (const IndexEntry& e : *index) names.insert(e.name);
    } else {
      LogLine(LogLevel::kError, fmt::format("cannot list the repository: {}", index.status().message()));
    }
    for (const std::string& name : names) {
      if (stop.load()) return;
      if (!repository.Load(name).ok()) failed.push_back(name);  // the repository logs why
    }
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    LogLine(failed.empty() ? LogLevel::kInfo : LogLevel::kWarning,
            fmt::format("startup loading finished in {:.1f} ms: {} model(s) loaded, {} failed",
                        ms, names.size() - failed.size(), failed.size()));
  }
  router.StartupFinished(std::move(failed));
}

int Run(int argc, char** argv) {
  auto command_line = ParseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
  if (!command_line.ok()) {
    fmt::print(stderr, "modelrepo-server: {}\nTry 'modelrepo-server --help'.\n", command_line.status().message());
    return 2;
  }
  if (command_line->command == Command::kHelp) {
    fmt::print("{}", UsageText());
    return 0;
  }
  if (command_line->command == Command::kVersion) {
    fmt::print("modelrepo-server {}\n", MODELREPO_VERSION_STRING);
    return 0;
  }
  ServerOptions options = command_line->options;
  if (Status s = ApplySettingsFile(command_line->set_by_flags, &options); !s.ok()) {
    fmt::print(stderr, "modelrepo-server: {}\n", s.message());
    return 2;
  }
  SetLogLevel(options.debug ? LogLevel::kDebug : LogLevel::kInfo);

  // Signals are taken by sigwait below; every thread started from here on inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  RepositoryOptions repository_options;
  repository_options.load_models_at_startup = false;  // loaded below, while already serving
  repository_options.logger = LogLine;
  auto repository = Repository::Open(options.repository, repository_options);
  if (!repository.ok()) {
    LogLine(LogLevel::kError, repository.status().message());
    return 1;
  }

  RouterOptions router_options;
  router_options.server_name = options.server_name;
  router_options.server_version = options.server_version;
  router_options.strict_readiness = options.strict_readiness;
  router_options.access_log = options.debug;
  router_options.logger = LogLine;
  router_options.max_batch_elements = options.max_batch_elements;
  router_options.model_control = options.model_control_mode != "none";
  router_options.repository_api_token = options.repository_api_token;
  router_options.management_requires_token = !IsLoopbackHost(options.host);
  Router router(**repository, router_options);
  if (!router_options.model_control) {
    LogLine(LogLevel::kInfo, "model control mode none: load and unload are disabled");
  } else if (!options.repository_api_token.empty()) {
    LogLine(LogLevel::kInfo, "load and unload require the repository API token");
  } else if (router_options.management_requires_token) {
    LogLine(LogLevel::kWarning, fmt::format("listening on {}, which is not a loopback address, without a repository "
                                            "API token: load and unload are refused", options.host));
  }

  EngineOptions engine_options;
  engine_options.host = options.host;
  engine_options.port = static_cast<uint16_t>(options.http_port);
  engine_options.threads = options.threads;
  engine_options.max_body = options.http_max_body;
  engine_options.idle_timeout = std::chrono::seconds(options.http_idle_timeout_seconds);
  engine_options.max_connections = static_cast<size_t>(options.http_max_connections);
  if (options.http_engine == "cpprest" && options.http_max_connections > 0) {
    LogLine(LogLevel::kWarning, "--http-max-connections is not supported by the cpprest engine: ignored");
  }
  engine_options.logger = LogLine;
  std::unique_ptr<HttpEngine> engine = options.http_engine == "cpprest"
                                           ? MakeCppRestEngine(router, engine_options)
                                           : MakeBeastEngine(router, engine_options);
  if (Status s = engine->Start(); !s.ok()) {
    LogLine(LogLevel::kError, s.message());
    return 1;
  }
  LogLine(LogLevel::kInfo, fmt::format("modelrepo-server {} serving {} on http://{}:{} ({} engine, {} threads)",
                                       MODELREPO_VERSION_STRING, options.repository, options.host,
                                       engine->port(), options.http_engine, options.threads));

  std::atomic<bool> stop_loading{false};
  std::thread loader(LoadAtStartup, std::ref(**repository), std::ref(router),
                     options.load_models_at_startup, std::cref(stop_loading));

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) != 0) {
  }
  auto timeout = std::chrono::duration<double>(options.shutdown_timeout_seconds);
  LogLine(LogLevel::kInfo, fmt::format("{}: shutting down; requests in flight have {} s to finish",
                                       strsignal(signal_number), options.shutdown_timeout_seconds));
  router.BeginDraining();
  stop_loading.store(true);
  engine->StopAccepting();
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout);
  bool idle = false;
  while (!(idle = engine->WaitIdle(std::min(deadline, Clock::now() + std::chrono::milliseconds(100))))) {
    if (Clock::now() >= deadline) break;
    timespec poll{0, 0};
    if (sigtimedwait(&signals, nullptr, &poll) > 0) {
      LogLine(LogLevel::kWarning, "second signal: not waiting for requests in flight");
      break;
    }
  }
  if (!idle) LogLine(LogLevel::kWarning, "closing connections with requests still in flight");
  engine->Stop();
  loader.join();
  LogLine(LogLevel::kInfo, "stopped");
  return 0;
}

}  // namespace
}  // namespace modelrepo::server

int main(int argc, char** argv) {
  try {
    return modelrepo::server::Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "modelrepo-server: fatal: %s\n", e.what());
    return 1;
  }
}
