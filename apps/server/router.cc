#include "router.h"

#include <cctype>
#include <chrono>
#include <exception>
#include <utility>

#include <fmt/format.h>

#include "modelrepo/v2json.h"
#include "modelrepo/version.h"

namespace modelrepo::server {
namespace {

constexpr std::string_view kJson = "application/json";

enum class RouteId {
  kNone,
  kLive,
  kReady,
  kServerMetadata,
  kModelMetadata,
  kModelReady,
  kInfer,
  kIndex,
  kLoad,
  kUnload,
};

struct Match {
  RouteId route = RouteId::kNone;
  std::string_view method;  // the one method the route takes
  const std::string* model = nullptr;
  const std::string* version = nullptr;
};

// The route table of the V2 REST protocol and the model repository extension.
Match MatchRoute(const std::vector<std::string>& s) {
  const size_t n = s.size();
  if (n == 0 || s[0] != "v2") return {};
  if (n == 1) return {RouteId::kServerMetadata, "GET"};
  if (s[1] == "health" && n == 3) {
    if (s[2] == "live") return {RouteId::kLive, "GET"};
    if (s[2] == "ready") return {RouteId::kReady, "GET"};
    return {};
  }
  if (s[1] == "models" && n >= 3) {
    // /v2/models/{m}[/versions/{v}][/ready|/infer]
    const std::string* model = &s[2];
    const std::string* version = nullptr;
    size_t rest = 3;
    if (n >= 5 && s[3] == "versions") {
      version = &s[4];
      rest = 5;
    }
    if (n == rest) return {RouteId::kModelMetadata, "GET", model, version};
    if (n == rest + 1) {
      if (s[rest] == "ready") return {RouteId::kModelReady, "GET", model, version};
      if (s[rest] == "infer") return {RouteId::kInfer, "POST", model, version};
    }
    return {};
  }
  if (s[1] == "repository") {
    if (n == 3 && s[2] == "index") return {RouteId::kIndex, "POST"};
    if (n == 5 && s[2] == "models") {
      if (s[4] == "load") return {RouteId::kLoad, "POST", &s[3]};
      if (s[4] == "unload") return {RouteId::kUnload, "POST", &s[3]};
    }
  }
  return {};
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A name taken from the path must name something inside the repository and nothing else.
Status CheckName(std::string_view what, const std::string& name) {
  if (name.empty()) return Status::InvalidArgument(fmt::format("{} name is empty", what));
  if (name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos) {
    return Status::InvalidArgument(fmt::format("invalid {} name '{}'", what, name));
  }
  return Status::Ok();
}

// Printable, bounded text of a request target for the access log.
std::string LoggableTarget(std::string_view target) {
  constexpr size_t kLimit = 256;
  std::string out;
  for (size_t i = 0; i < target.size() && i < kLimit; ++i) {
    unsigned char c = static_cast<unsigned char>(target[i]);
    if (c < 0x20 || c >= 0x7F || c == '"') {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (target.size() > kLimit) out += "...";
  return out;
}

}  // namespace

bool ConstantTimeEquals(std::string_view expected, std::string_view presented) {
  // Every byte of `expected` is visited whatever `presented` holds; differences are OR-ed, never
  // branched on.
  volatile unsigned char diff = expected.size() == presented.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    unsigned char p = i < presented.size() ? static_cast<unsigned char>(presented[i]) : 0;
    diff = diff | static_cast<unsigned char>(static_cast<unsigned char>(expected[i]) ^ p);
  }
  return diff == 0;
}

bool SplitPath(std::string_view path, std::vector<std::string>* segments) {
  segments->clear();
  if (path.empty() || path[0] != '/') return true;  // no segment matches a route
  size_t pos = 1;
  while (true) {
    size_t end = path.find('/', pos);
    std::string_view raw = path.substr(pos, end == std::string_view::npos ? end : end - pos);
    std::string& out = segments->emplace_back();
    out.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '%') {
        out.push_back(raw[i]);
        continue;
      }
      if (i + 2 >= raw.size()) return false;
      int hi = HexValue(raw[i + 1]);
      int lo = HexValue(raw[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    }
    if (end == std::string_view::npos) return true;
    pos = end + 1;
  }
}

Router::Router(Repository& repository, RouterOptions options)
    : repository_(repository), options_(std::move(options)) {
  if (options_.server_version.empty()) options_.server_version = MODELREPO_VERSION_STRING;
  server_metadata_ = v2json::EncodeServerMetadata(
      {options_.server_name, options_.server_version, {"model_repository"}});
}

void Router::StartupFinished(std::vector<std::string> failed_models) {
  {
    std::lock_guard<std::mutex> lock(failed_mutex_);
    failed_models_.insert(failed_models.begin(), failed_models.end());
  }
  Phase expected = Phase::kStarting;
  phase_.compare_exchange_strong(expected, Phase::kServing, std::memory_order_acq_rel);
}

void Router::BeginDraining() { phase_.store(Phase::kDraining, std::memory_order_release); }

void Router::Log(LogLevel level, std::string_view message) const {
  if (options_.logger) options_.logger(level, message);
}

void Router::Handle(const HttpRequest& request, HttpResponse* response) {
  const auto start = options_.access_log ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
  response->Reset();
  try {
    Route(request, response);
  } catch (const std::exception& e) {
    response->Reset();
    response->status = 500;
    response->content_type = kJson;
    v2json::AppendError("internal server error", &response->body);
    Log(LogLevel::kError, fmt::format("{} {}: {}", request.method, LoggableTarget(request.target), e.what()));
  }
  if (options_.access_log) {
    try {
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      Log(LogLevel::kInfo, fmt::format("{} \"{} {}\" {} {} {:.3f}ms", request.remote.empty() ? "-" : request.remote,
                                       LoggableTarget(request.method), LoggableTarget(request.target),
                                       response->status, response->body.size(), ms));
    } catch (const std::exception&) {
      // A log line that cannot be built is dropped; the answer stands.
    }
  }
}

void Router::Error(const Status& status, HttpResponse* response) {
  response->status = HttpStatus(status.code());
  response->content_type = kJson;
  response->body.clear();
  v2json::AppendError(status.message(), &response->body);
  // Server faults only: 503 (loading, draining) is a state a client retries, not an error here.
  if (response->status >= 500 && response->status != 503) Log(LogLevel::kError, status.message());
}

void Router::Route(const HttpRequest& request, HttpResponse* response) {
  std::string_view path = request.target.substr(0, request.target.find_first_of("?#"));
  if (!path.empty() && path[0] != '/') {  // absolute-form, "http://host:port/v2/...": keep the path
    size_t scheme = path.find("://");
    if (scheme != std::string_view::npos) {
      size_t slash = path.find('/', scheme + 3);
      path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
    }
  }
  thread_local std::vector<std::string> segments;
  if (!SplitPath(path, &segments)) {
    return Error(Status::InvalidArgument("malformed percent-encoding in the request path"), response);
  }
  Match match = MatchRoute(segments);
  if (match.route == RouteId::kNone) {
    return Error(Status::NotFound(fmt::format("no route for {}", LoggableTarget(path))), response);
  }
  // HEAD is GET without the body (the engine leaves it out).
  bool allowed = request.method == match.method || (request.method == "HEAD" && match.method == "GET");
  if (!allowed) {
    std::string_view allow = match.method == "GET" ? "GET, HEAD" : match.method;
    Error(Status::InvalidArgument(fmt::format("method {} is not allowed on {}; use {}",
                                              LoggableTarget(request.method), LoggableTarget(path),
                                              match.method)),
          response);
    response->status = 405;
    response->allow = std::string(allow);
    return;
  }
  if (match.route == RouteId::kLoad || match.route == RouteId::kUnload) {
    if (Status s = CheckManagementAccess(request); !s.ok()) return Error(s, response);
  }
  static const std::string kNoVersion;
  const std::string& model = match.model ? *match.model : kNoVersion;
  const std::string& version = match.version ? *match.version : kNoVersion;
  if (match.model) {
    if (Status s = CheckName("model", model); !s.ok()) return Error(s, response);
  }
  if (match.version) {
    if (Status s = CheckName("version", version); !s.ok()) return Error(s, response);
  }

  switch (match.route) {
    case RouteId::kLive: return;  // 200, empty
    case RouteId::kReady: return ServerReady(response);
    case RouteId::kServerMetadata:
      response->content_type = kJson;
      response->body = server_metadata_;
      return;
    case RouteId::kModelMetadata: return ModelMetadata(model, version, response);
    case RouteId::kModelReady: return ModelReady(model, version, response);
    case RouteId::kInfer: return Infer(model, version, request.body, response);
    case RouteId::kIndex: return Index(request.body, response);
    case RouteId::kLoad: return Load(model, request.body, response);
    case RouteId::kUnload: return Unload(model, request.body, response);
    case RouteId::kNone: break;
  }
}

Status Router::CheckManagementAccess(const HttpRequest& request) const {
  if (!options_.model_control) {
    return Status::PermissionDenied("model control is disabled on this server (--model-control-mode none)");
  }
  if (options_.repository_api_token.empty()) {
    if (!options_.management_requires_token) return Status::Ok();
    return Status::PermissionDenied(
        "load and unload are refused: the server listens on a non-loopback address and has no "
        "repository API token (--repository-api-token)");
  }
  // "Bearer <token>"; the scheme is case-insensitive (RFC 9110), spaces around the token ignored.
  std::string_view auth = request.authorization;
  constexpr std::string_view kScheme = "bearer ";
  bool bearer = auth.size() > kScheme.size();
  for (size_t i = 0; bearer && i < kScheme.size(); ++i) {
    bearer = static_cast<char>(std::tolower(static_cast<unsigned char>(auth[i]))) == kScheme[i];
  }
  if (!bearer) {
    return Status::PermissionDenied("load and unload need the repository API token: Authorization: Bearer <token>");
  }
  std::string_view presented = auth.substr(kScheme.size());
  while (!presented.empty() && presented.front() == ' ') presented.remove_prefix(1);
  while (!presented.empty() && presented.back() == ' ') presented.remove_suffix(1);
  if (!ConstantTimeEquals(options_.repository_api_token, presented)) {
    return Status::PermissionDenied("the repository API token is not valid");
  }
  return Status::Ok();
}

void Router::ServerReady(HttpResponse* response) {
  switch (phase_.load(std::memory_order_acquire)) {
    case Phase::kStarting:
      return Error(Status::InvalidArgument("server is not ready: loading models"), response);
    case Phase::kDraining:
      return Error(Status::Unavailable("server is shutting down"), response);
    case Phase::kServing:
      break;
  }
  if (options_.strict_readiness) {
    std::lock_guard<std::mutex> lock(failed_mutex_);
    if (!failed_models_.empty()) {
      return Error(Status::InvalidArgument(fmt::format("server is not ready: model {} failed to load",
                                                       *failed_models_.begin())),
                   response);
    }
  }
}

void Router::ModelReady(const std::string& model, const std::string& version,
                        HttpResponse* response) {
  if (draining()) return Error(Status::Unavailable("server is shutting down"), response);
  StatusOr<bool> ready = repository_.IsReady(model, version);
  if (!ready.ok()) return Error(ready.status(), response);
  if (!*ready) {
    std::string what = version.empty() ? fmt::format("Model {}", model)
                                       : fmt::format("Model {} version {}", model, version);
    return Error(Status::InvalidArgument(what + " is not ready"), response);
  }
}

void Router::ModelMetadata(const std::string& model, const std::string& version,
                           HttpResponse* response) {
  StatusOr<modelrepo::ModelMetadata> metadata = repository_.Metadata(model, version);
  if (!metadata.ok()) return Error(metadata.status(), response);
  response->content_type = kJson;
  v2json::AppendModelMetadata(*metadata, &response->body);
}

void Router::Infer(const std::string& model, const std::string& version, std::string_view body,
                   HttpResponse* response) {
  StatusOr<v2json::InferRequestMessage> message =
      v2json::DecodeInferRequest(body, v2json::DecodeLimits{options_.max_batch_elements});
  if (!message.ok()) return Error(message.status(), response);
  message->request.model = model;
  message->request.version = version;
  StatusOr<InferResponse> result = repository_.Infer(message->request);
  if (!result.ok()) return Error(result.status(), response);
  response->content_type = kJson;
  if (message->id) {
    v2json::AppendInferResponse(*result, *message->id, &response->body);
  } else {
    v2json::AppendInferResponse(*result, v2json::GenerateRequestId(), &response->body);
  }
}

void Router::Index(std::string_view body, HttpResponse* response) {
  StatusOr<bool> ready_only = v2json::DecodeIndexRequest(body);
  if (!ready_only.ok()) return Error(ready_only.status(), response);
  StatusOr<std::vector<IndexEntry>> entries = repository_.Index(*ready_only);
  if (!entries.ok()) return Error(entries.status(), response);
  response->content_type = kJson;
  v2json::AppendIndex(*entries, &response->body);
}

void Router::Load(const std::string& model, std::string_view body, HttpResponse* response) {
  if (Status s = v2json::DecodeRepositoryRequest(body); !s.ok()) return Error(s, response);
  Status s = repository_.Load(model);
  if (!s.ok()) return Error(s, response);
  if (options_.strict_readiness) {
    std::lock_guard<std::mutex> lock(failed_mutex_);
    failed_models_.erase(model);
  }
}

void Router::Unload(const std::string& model, std::string_view body, HttpResponse* response) {
  if (Status s = v2json::DecodeRepositoryRequest(body); !s.ok()) return Error(s, response);
  Status s = repository_.Unload(model);
  if (!s.ok()) return Error(s, response);
}

}  // namespace modelrepo::server
