// The transport-neutral core of modelrepo-server: maps one HTTP request (method, target, body)
// to one HTTP response (status, content type, body), following the V2 REST contract
// (shared/spec/v2-rest.md). It knows no socket; each HTTP engine is a thin adapter around it,
// and the unit tests drive it directly.
#ifndef MODELREPO_SERVER_ROUTER_H_
#define MODELREPO_SERVER_ROUTER_H_

#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "modelrepo/repository.h"

namespace modelrepo::server {

struct HttpRequest {
  std::string_view method;  // "GET", "POST", ...
  std::string_view target;  // origin-form request target: path, then optionally ?query
  std::string_view body;
  std::string_view remote;  // peer address, for the access log; may be empty
};

struct HttpResponse {
  int status = 200;
  std::string content_type;  // empty when there is no body
  std::string body;
  std::string allow;         // the Allow header of a 405 answer, else empty

  // Resets to an empty 200 while keeping the body's capacity (engines reuse one per connection).
  void Reset() {
    status = 200;
    content_type.clear();
    body.clear();
    allow.clear();
  }
};

using Logger = std::function<void(LogLevel, std::string_view)>;

struct RouterOptions {
  std::string server_name = "modelrepo-server";
  std::string server_version;  // default: libmodelrepo's version
  // Readiness also requires that every model loaded at startup is READY (failed ones block it
  // until a later load of that model succeeds).
  bool strict_readiness = false;
  // One line per request through `logger` (--debug).
  bool access_log = false;
  // Where the router reports server errors (5xx) and, with access_log, each request.
  Logger logger;
};

class Router {
 public:
  Router(Repository& repository, RouterOptions options);

  // Answers one request. Thread-safe; never throws.
  void Handle(const HttpRequest& request, HttpResponse* response);

  // Lifecycle, as the readiness endpoint reports it. The server starts "starting" (ready answers
  // 400), becomes ready once startup loading is over (names of the models that failed to load, for
  // --strict-readiness), and drains for shutdown (ready answers 503).
  void StartupFinished(std::vector<std::string> failed_models);
  void BeginDraining();
  bool draining() const { return phase_.load(std::memory_order_acquire) == Phase::kDraining; }

 private:
  enum class Phase { kStarting, kServing, kDraining };

  void Route(const HttpRequest& request, HttpResponse* response);
  void ServerReady(HttpResponse* response);
  void ModelReady(const std::string& model, const std::string& version, HttpResponse* response);
  void ModelMetadata(const std::string& model, const std::string& version, HttpResponse* response);
  void Infer(const std::string& model, const std::string& version, std::string_view body,
             HttpResponse* response);
  void Index(std::string_view body, HttpResponse* response);
  void Load(const std::string& model, std::string_view body, HttpResponse* response);
  void Unload(const std::string& model, std::string_view body, HttpResponse* response);

  void Error(const Status& status, HttpResponse* response);
  void Log(LogLevel level, std::string_view message) const;

  Repository& repository_;
  RouterOptions options_;
  std::string server_metadata_;  // the body of GET /v2, encoded once
  std::atomic<Phase> phase_{Phase::kStarting};
  std::mutex failed_mutex_;
  std::set<std::string, std::less<>> failed_models_;  // guarded by failed_mutex_
};

// Splits `path` ("/v2/models/a%20b/infer") into percent-decoded segments. Returns false when
// an escape is malformed.
bool SplitPath(std::string_view path, std::vector<std::string>* segments);

}  // namespace modelrepo::server

#endif  // MODELREPO_SERVER_ROUTER_H_
