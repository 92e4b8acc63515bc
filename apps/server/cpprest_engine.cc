// The cpprestsdk engine: the same router behind cpprestsdk's http_listener, its thread pool sized
// by --threads. Not for untrusted networks: Debian's cpprestsdk 2.10.18 listener has no header
// limit or idle timeout of its own and can be terminated by one malformed chunked request (see
// DESIGN.md). The body limit is enforced here, from Content-Length and again after reading.
#define _TURN_OFF_PLATFORM_STRING  // cpprest's U() macro breaks fmt
#include <cpprest/http_listener.h>
#include <pplx/threadpool.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "http_engine.h"
#include "modelrepo/v2json.h"

namespace modelrepo::server {
namespace {

using web::http::http_request;
using web::http::http_response;
using web::http::experimental::listener::http_listener;
using web::http::experimental::listener::http_listener_config;

// http_listener cannot report the port it bound, so "any free port" is chosen here: bind port 0,
// read the port, release it. Another process could take it in between; the listener then fails
// to open and says so.
StatusOr<uint16_t> PickFreePort(const std::string& host) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  if (inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &addr.sin_addr) != 1) {
    return Status::InvalidArgument(fmt::format("--http-port 0 with the cpprest engine needs an IPv4 host, not '{}'", host));
  }
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Status::Unavailable("cannot create a socket");
  socklen_t len = sizeof(addr);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  if (!ok) return Status::Unavailable(fmt::format("cannot find a free port on {}", host));
  return static_cast<uint16_t>(ntohs(addr.sin_port));
}

http_response MakeResponse(const HttpResponse& out, bool head = false) {
  http_response response(static_cast<web::http::status_code>(out.status));
  if (!out.allow.empty()) response.headers().add("Allow", out.allow);
  if (!out.content_type.empty()) {
    if (head) {
      response.headers().set_content_type(out.content_type);
    } else {
      response.set_body(out.body, out.content_type);
    }
  }
  return response;
}

class CppRestEngine final : public HttpEngine {
 public:
  CppRestEngine(Router& router, EngineOptions options) : router_(router), options_(std::move(options)) {}
  ~CppRestEngine() override { Stop(); }

  Status Start() override {
    try {
      crossplat::threadpool::initialize_with_threads(static_cast<size_t>(options_.threads));
    } catch (const std::exception&) {
      // Already initialised (a second engine in one process): keep the existing pool.
    }
    uint16_t port = options_.port;
    if (port == 0) {
      auto free_port = PickFreePort(options_.host);
      if (!free_port.ok()) return free_port.status();
      port = *free_port;
    }
    try {
      http_listener_config config;
      config.set_timeout(std::chrono::seconds(options_.idle_timeout));
      std::string host = options_.host.find(':') != std::string::npos ? "[" + options_.host + "]" : options_.host;
      listener_ = std::make_unique<http_listener>(web::uri(fmt::format("http://{}:{}/", host, port)), config);
      listener_->support([this](http_request request) { OnRequest(std::move(request)); });
      listener_->open().wait();
    } catch (const std::exception& e) {
      listener_.reset();
      return Status::Unavailable(fmt::format("cannot listen on {}:{}: {}", options_.host, port, e.what()));
    }
    port_ = port;
    return Status::Ok();
  }

  uint16_t port() const override { return port_; }

  void StopAccepting() override { draining_.store(true); }

  bool WaitIdle(std::chrono::steady_clock::time_point deadline) override {
    while (in_flight_.load() > 0) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

  void Stop() override {
    draining_.store(true);
    if (!listener_) return;
    try {
      listener_->close().wait();
    } catch (const std::exception& e) {
      Log(LogLevel::kWarning, fmt::format("closing the listener: {}", e.what()));
    }
    listener_.reset();
  }

 private:
  void Log(LogLevel level, std::string_view message) const {
    if (options_.logger) options_.logger(level, message);
  }

  // Answers without routing (shutdown, oversized body), closing the connection.
  void ReplyError(http_request& request, int status, std::string_view message) {
    HttpResponse out;
    out.status = status;
    out.content_type = "application/json";
    v2json::AppendError(message, &out.body);
    http_response response = MakeResponse(out);
    response.headers().add("Connection", "close");
    Reply(request, std::move(response));
  }

  void Reply(http_request& request, http_response response) {
    request.reply(std::move(response)).then([this](pplx::task<void> done) {
      try {
        done.get();
      } catch (const std::exception&) {
        // The client went away.
      }
      in_flight_.fetch_sub(1);
    });
  }

  void OnRequest(http_request request) {
    in_flight_.fetch_add(1);
    try {
      if (draining_.load()) return ReplyError(request, 503, "server is shutting down");
      uint64_t length = request.headers().content_length();
      if (length > options_.max_body) return ReplyError(request, 413, TooLarge());
      request.extract_vector().then([this, request](pplx::task<std::vector<unsigned char>> body) mutable {
        try {
          Process(request, body.get());
        } catch (const std::exception& e) {
          Log(LogLevel::kWarning, fmt::format("reading a request: {}", e.what()));
          ReplyError(request, 400, "could not read the request body");
        }
      });
    } catch (const std::exception& e) {
      Log(LogLevel::kError, fmt::format("HTTP request: {}", e.what()));
      in_flight_.fetch_sub(1);
    }
  }

  void Process(http_request& request, const std::vector<unsigned char>& body) {
    if (body.size() > options_.max_body) return ReplyError(request, 413, TooLarge());
    std::string method = request.method();
    std::string target = request.relative_uri().to_string();
    std::string authorization;
    if (auto it = request.headers().find("Authorization"); it != request.headers().end()) {
      authorization = it->second;
    }
    HttpRequest in{method, target,
                   std::string_view(reinterpret_cast<const char*>(body.data()), body.size()),
                   request.remote_address(), authorization};
    HttpResponse out;
    router_.Handle(in, &out);
    http_response response = MakeResponse(out, method == web::http::methods::HEAD);
    if (draining_.load()) response.headers().add("Connection", "close");
    Reply(request, std::move(response));
  }

  std::string TooLarge() const {
    return fmt::format("request body is larger than the limit of {} bytes", options_.max_body);
  }

  Router& router_;
  EngineOptions options_;
  std::unique_ptr<http_listener> listener_;
  std::atomic<bool> draining_{false};
  std::atomic<int> in_flight_{0};
  uint16_t port_ = 0;
};

}  // namespace

std::unique_ptr<HttpEngine> MakeCppRestEngine(Router& router, EngineOptions options) {
  return std::make_unique<CppRestEngine>(router, std::move(options));
}

}  // namespace modelrepo::server
