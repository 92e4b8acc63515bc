// The transport-neutral core of modelrepo-server: maps one HTTP request (method, target, body)
// to one HTTP response (status, content type, body), following the V2 REST contract
// (shared/spec/v2-rest.md). It knows no socket; each HTTP engine is a thin adapter around it,
// and the unit tests drive it directly.
#ifndef MODELREPO_SERVER_ROUTER_H_
#define MODELREPO_SERVER_ROUTER_H_

#include <atomic>
#include <cstdint>
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
  std::string_view authorization = {};  // the Authorization header's value; empty when absent
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
  // Where the router reports server errors (5xx but 503) and, with access_log, each request.
  Logger logger;

  // The most tensor elements one inference request may hold, all inputs together
  // (--max-batch-elements); larger requests are refused (400) before their data is allocated.
  int64_t max_batch_elements = int64_t{1} << 24;

  // Management (load and unload). Off: both answer 403 (--model-control-mode none).
  bool model_control = true;
  // Non-empty: load and unload require "Authorization: Bearer <token>", else 403.
  std::string repository_api_token;
  // With no token set, refuse load and unload anyway (403): the server listens beyond loopback.
  bool management_requires_token = false;
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

  // Ok when the request may load or unload models; PermissionDenied saying why not.
  Status CheckManagementAccess(const HttpRequest& request) const;

  void Error(const Status& status, HttpResponse* response);
  void Log(LogLevel level, std::string_view message) const;

  Repository& repository_;
  RouterOptions options_;
  std::string server_metadata_;  // the body of GET /v2, encoded once
  std::atomic<Phase> phase_{Phase::kStarting};
  std::mutex failed_mutex_;
  std::set<std::string, std::less<>> failed_models_;  // guarded by failed_mutex_
};

// Compares a presented secret with the expected one in time that depends only on the expected
// one's length, so response timing reveals nothing about how much of a guess was right.
bool ConstantTimeEquals(std::string_view expected, std::string_view presented);

// Splits `path` ("/v2/models/a%20b/infer") into percent-decoded segments. Returns false when
// an escape is malformed.
bool SplitPath(std::string_view path, std::vector<std::string>* segments);

}  // namespace modelrepo::server

#endif  // MODELREPO_SERVER_ROUTER_H_
