#define _TURN_OFF_PLATFORM_STRING  // cpprest's U() macro breaks fmt
#include <cpprest/http_client.h>

#include <exception>
#include <utility>

#include <fmt/format.h>

#include "modelrepo/client.h"

namespace modelrepo {
namespace {

using web::http::methods;
using web::http::client::http_client;
using web::http::client::http_client_config;

struct Reply {
  int status = 0;
  std::string body;
};

// The Status an HTTP error answer stands for: the inverse of HttpStatus().
Status StatusFromHttp(const Reply& reply) {
  std::string message = v2json::DecodeError(reply.body);
  if (message.empty()) message = fmt::format("HTTP status {}", reply.status);
  switch (reply.status) {
    case 400: return Status::InvalidArgument(std::move(message));
    case 403: return Status::PermissionDenied(std::move(message));
    case 404: return Status::NotFound(std::move(message));
    case 501: return Status::Unimplemented(std::move(message));
    case 503: return Status::Unavailable(std::move(message));
    default: return Status::Internal(fmt::format("HTTP status {}: {}", reply.status, message));
  }
}

std::string Segment(std::string_view s) { return web::uri::encode_data_string(std::string(s)); }

std::string ModelPath(std::string_view name, std::string_view version) {
  std::string path = "/v2/models/" + Segment(name);
  if (!version.empty()) path += "/versions/" + Segment(version);
  return path;
}

// A boolean endpoint: 200 true, 400 false, anything else an error.
StatusOr<bool> BooleanAnswer(StatusOr<Reply> reply) {
  if (!reply.ok()) return reply.status();
  if (reply->status == 200) return true;
  if (reply->status == 400) return false;
  return StatusFromHttp(*reply);
}

Status EmptyAnswer(StatusOr<Reply> reply) {
  if (!reply.ok()) return reply.status();
  if (reply->status == 200) return Status::Ok();
  return StatusFromHttp(*reply);
}

}  // namespace

struct Client::Impl {
  Impl(std::string u, const http_client_config& config) : url(std::move(u)), http(web::uri(url), config) {}

  StatusOr<Reply> Send(const web::http::method& method, const std::string& path,
                       const std::string* body = nullptr) {
    try {
      web::http::http_request request(method);
      request.set_request_uri(web::uri(path));
      if (body) request.set_body(*body, "application/json");
      web::http::http_response response = http.request(request).get();
      std::vector<unsigned char> bytes = response.extract_vector().get();
      return Reply{response.status_code(), std::string(bytes.begin(), bytes.end())};
    } catch (const std::exception& e) {
      return Status::Unavailable(fmt::format("cannot reach {}: {}", url, e.what()));
    }
  }

  const std::string url;
  http_client http;
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

StatusOr<std::unique_ptr<Client>> Client::Connect(const std::string& url, ClientOptions options) {
  try {
    if (!web::uri::validate(url)) return Status::InvalidArgument(fmt::format("invalid server URL '{}'", url));
    web::uri parsed(url);
    if (parsed.scheme() != "http" && parsed.scheme() != "https") {
      return Status::InvalidArgument(fmt::format("server URL '{}' is not http:// or https://", url));
    }
    http_client_config config;
    config.set_timeout(options.timeout);
    return std::unique_ptr<Client>(new Client(std::make_unique<Impl>(url, config)));
  } catch (const std::exception& e) {
    return Status::InvalidArgument(fmt::format("invalid server URL '{}': {}", url, e.what()));
  }
}

const std::string& Client::root() const { return impl_->url; }

StatusOr<bool> Client::IsLive() { return BooleanAnswer(impl_->Send(methods::GET, "/v2/health/live")); }

StatusOr<bool> Client::IsServerReady() { return BooleanAnswer(impl_->Send(methods::GET, "/v2/health/ready")); }

StatusOr<v2json::ServerMetadata> Client::ServerMetadata() {
  StatusOr<Reply> reply = impl_->Send(methods::GET, "/v2");
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) return StatusFromHttp(*reply);
  return v2json::DecodeServerMetadata(reply->body);
}

StatusOr<std::vector<IndexEntry>> Client::Index(bool ready_only) {
  std::string body = v2json::EncodeIndexRequest(ready_only);
  StatusOr<Reply> reply = impl_->Send(methods::POST, "/v2/repository/index", &body);
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) return StatusFromHttp(*reply);
  return v2json::DecodeIndex(reply->body);
}

Status Client::Load(std::string_view name) {
  return EmptyAnswer(impl_->Send(methods::POST, "/v2/repository/models/" + Segment(name) + "/load"));
}

Status Client::Unload(std::string_view name) {
  return EmptyAnswer(impl_->Send(methods::POST, "/v2/repository/models/" + Segment(name) + "/unload"));
}

StatusOr<InferResponse> Client::Infer(const InferRequest& request) { return Infer(request, {}, nullptr); }

StatusOr<InferResponse> Client::Infer(const InferRequest& request, std::string_view id, std::string* response_id) {
  std::string body = v2json::EncodeInferRequest(request, id);
  StatusOr<Reply> reply = impl_->Send(methods::POST, ModelPath(request.model, request.version) + "/infer", &body);
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) return StatusFromHttp(*reply);
  StatusOr<v2json::InferResponseMessage> message = v2json::DecodeInferResponse(reply->body);
  if (!message.ok()) {
    return Status::Internal(fmt::format("unreadable inference response: {}", message.status().message()));
  }
  if (response_id) *response_id = std::move(message->id);
  return std::move(message->response);
}

StatusOr<ModelMetadata> Client::Metadata(std::string_view name, std::string_view version) {
  StatusOr<Reply> reply = impl_->Send(methods::GET, ModelPath(name, version));
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) return StatusFromHttp(*reply);
  return v2json::DecodeModelMetadata(reply->body);
}

StatusOr<bool> Client::IsReady(std::string_view name, std::string_view version) {
  return BooleanAnswer(impl_->Send(methods::GET, ModelPath(name, version) + "/ready"));
}

}  // namespace modelrepo
