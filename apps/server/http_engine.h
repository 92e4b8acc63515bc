// An HTTP engine: sockets and HTTP/1.1 in, Router::Handle per request, bytes out. Engines hold no
// protocol logic; each lives in one file (beast_engine.cc, cpprest_engine.cc).
#ifndef MODELREPO_SERVER_HTTP_ENGINE_H_
#define MODELREPO_SERVER_HTTP_ENGINE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "modelrepo/status.h"
#include "router.h"

namespace modelrepo::server {

struct EngineOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port
  int threads = 1;
  uint64_t max_body = uint64_t{64} << 20;  // larger bodies are answered 413
  uint32_t max_header = 16 * 1024;         // larger request heads are answered 431
  // A connection waiting this long for (the rest of) a request is closed.
  std::chrono::seconds idle_timeout{60};
  // Open connections at most (Beast engine); 0: no limit but the process's file descriptors.
  // Connections beyond it are closed at once.
  size_t max_connections = 0;
  Logger logger;
};

class HttpEngine {
 public:
  virtual ~HttpEngine() = default;

  // Binds, listens and starts serving on its own threads. Returns once connections are accepted.
  virtual Status Start() = 0;
  // The port it listens on (the chosen one when started with port 0).
  virtual uint16_t port() const = 0;
  // Graceful shutdown, first step: stop taking new connections and requests; idle keep-alive
  // connections are closed and busy ones close after their answer.
  virtual void StopAccepting() = 0;
  // Waits until no request is in flight or `deadline` passes. True when idle.
  virtual bool WaitIdle(std::chrono::steady_clock::time_point deadline) = 0;
  // Closes every connection and joins the threads.
  virtual void Stop() = 0;
};

std::unique_ptr<HttpEngine> MakeBeastEngine(Router& router, EngineOptions options);
std::unique_ptr<HttpEngine> MakeCppRestEngine(Router& router, EngineOptions options);

}  // namespace modelrepo::server

#endif  // MODELREPO_SERVER_HTTP_ENGINE_H_
