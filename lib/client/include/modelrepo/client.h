// Client: a modelrepo-server (or any V2 REST server with the model repository extension, such as
// MLServer or Triton) seen through the same interface as an in-process Repository, so that a host
// application can switch between the two:
//
//   auto remote = modelrepo::Client::Connect("http://127.0.0.1:8080");
//   modelrepo::Repository& repo = **remote;   // or **modelrepo::Repository::Open("models")
//   auto response = repo.Infer(request);
//
// Every call is one blocking HTTP request (cpprestsdk's http_client). HTTP error answers come
// back as the Status the server's code maps to (400 InvalidArgument, 404 NotFound, 503
// Unavailable, 501 Unimplemented, 403 PermissionDenied, other Internal) with the server's
// {"error": ...} message; an unreachable server is Unavailable. Thread-safe; never throws.
#ifndef MODELREPO_CLIENT_H_
#define MODELREPO_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "modelrepo/repository.h"
#include "modelrepo/v2json.h"

namespace modelrepo {

struct ClientOptions {
  // How long one request may take, connection included. Default: 30 s.
  std::chrono::milliseconds timeout{30000};
};

class Client final : public Repository {
 public:
  // `url` is the server's base URL ("http://host:port"). Nothing is sent yet; InvalidArgument
  // when the URL cannot be parsed.
  static StatusOr<std::unique_ptr<Client>> Connect(const std::string& url, ClientOptions options = {});
  ~Client() override;

  // The Repository interface, over HTTP.
  StatusOr<std::vector<IndexEntry>> Index(bool ready_only = false) override;
  Status Load(std::string_view name) override;
  Status Unload(std::string_view name) override;
  StatusOr<InferResponse> Infer(const InferRequest& request) override;
  StatusOr<ModelMetadata> Metadata(std::string_view name, std::string_view version = {}) override;
  StatusOr<bool> IsReady(std::string_view name, std::string_view version = {}) override;
  // The server's URL.
  const std::string& root() const override;

  // The server itself: GET /v2/health/live, /v2/health/ready and /v2.
  StatusOr<bool> IsLive();
  StatusOr<bool> IsServerReady();
  StatusOr<v2json::ServerMetadata> ServerMetadata();

  // Infer with a request id; the response's id is stored in *response_id when given.
  StatusOr<InferResponse> Infer(const InferRequest& request, std::string_view id, std::string* response_id);

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace modelrepo

#endif  // MODELREPO_CLIENT_H_
