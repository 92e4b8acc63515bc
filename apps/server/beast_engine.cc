// The Boost.Beast engine: asynchronous HTTP/1.1 with keep-alive on N threads, each running its
// own io_context. Connections are dealt round-robin to the threads and stay on theirs, so a
// connection's handlers never run concurrently without a strand, and no thread wakes another.
// Each request is answered on the thread that read it; each connection reuses its read buffer
// and response body. Timeouts are deadlines that a once-a-second sweep per thread enforces,
// rather than a timer armed for every socket operation.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "http_engine.h"
#include "modelrepo/v2json.h"

namespace modelrepo::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::chrono::seconds kWriteTimeout{60};
// After an error answer the connection is closed gracefully: the rest of the request is read and
// dropped for at most this long, so that the client sees the answer rather than a reset.
constexpr std::chrono::seconds kLingerTimeout{5};
// A connection keeps a response buffer up to this size between requests.
constexpr size_t kKeepCapacity = 1 << 20;
// A request body larger than what is buffered is read in chunks of up to this size (the read
// buffer grows to it for such requests; small requests keep a small buffer).
constexpr size_t kLargeReadBuffer = 64 * 1024;
// The read buffer of a new connection.
constexpr size_t kInitialReadBuffer = 4 * 1024;
// How often each thread checks its connections' deadlines.
constexpr std::chrono::seconds kSweepInterval{1};

std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

// RFC 7231 IMF-fixdate, computed once a second per thread.
beast::string_view HttpDate() {
  thread_local std::time_t cached = -1;
  thread_local char text[40];
  thread_local size_t length = 0;
  std::time_t now = std::time(nullptr);
  if (now != cached) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    gmtime_r(&now, &tm);
    auto r = fmt::format_to_n(text, sizeof(text) - 1, "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
                              kDays[tm.tm_wday % 7], tm.tm_mday, kMonths[tm.tm_mon % 12],
                              tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    length = r.size;
    cached = now;
  }
  return {text, length};
}

class BeastEngine;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, BeastEngine& engine);
  ~Session();

  void Start() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::ReadRequest, shared_from_this()));
  }
  // Graceful shutdown: closes the connection now when it waits for a request that has not begun.
  void Drain() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->idle_ && self->buffer_.size() == 0 && !(self->parser_ && self->parser_->got_some())) {
        beast::error_code ec;
        self->stream_.cancel(ec);
      }
    });
  }
  // On the connection's own thread: closes it when its deadline has passed (the pending
  // operation then completes with an error, as a timed-out one would).
  void CheckDeadline(std::chrono::steady_clock::time_point now) {
    if (now >= deadline_) Close();
  }

 private:
  void ReadRequest();
  void ReadHead();
  // Feeds the parser what is buffered, at most `max_bytes` of it, until it has the whole head
  // (head) or the whole message (!head), or needs more bytes. Returns the bytes it took; sets ec
  // on a parse error (needing more is not one).
  std::size_t PutBuffered(bool head, std::size_t max_bytes, beast::error_code& ec);
  void OnHeader(beast::error_code ec, std::size_t);
  void ReadBody();
  void OnBody(beast::error_code ec, std::size_t);
  void OnReadError(beast::error_code ec);
  void Process();
  void BuildResponse(unsigned version, bool keep_alive, bool head);
  void OnWrite(bool close, beast::error_code ec, std::size_t);
  void Fail(int status, std::string_view message);
  void Linger();
  void Discard();
  void Close();

  void ExpiresAfter(std::chrono::steady_clock::duration d) {
    deadline_ = std::chrono::steady_clock::now() + d;
  }

  tcp::socket stream_;
  BeastEngine& engine_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::empty_body> continue_{http::status::continue_, 11};
  http::response<http::string_body> res_;
  HttpResponse out_;
  std::string remote_;
  bool idle_ = false;  // waiting for a request that has not started
  std::size_t head_bytes_ = 0;  // of the current request's head, parsed so far
};

class BeastEngine final : public HttpEngine {
 public:
  BeastEngine(Router& router, EngineOptions options)
      : router_(router), options_(std::move(options)) {
    const int n = std::max(1, options_.threads);
    for (int i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>());
    acceptor_.emplace(workers_[0]->ioc);
    accept_retry_.emplace(workers_[0]->ioc);
  }

  ~BeastEngine() override { Stop(); }

  Status Start() override {
    beast::error_code ec;
    tcp::resolver resolver(workers_[0]->ioc);
    auto results = resolver.resolve(options_.host, std::to_string(options_.port),
                                    tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      return Status::InvalidArgument(fmt::format("cannot resolve host '{}': {}", options_.host, ec.message()));
    }
    tcp::endpoint endpoint = results.begin()->endpoint();
    acceptor_->open(endpoint.protocol(), ec);
    if (!ec) acceptor_->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(endpoint, ec);
    if (!ec) acceptor_->listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::Unavailable(fmt::format("cannot listen on {}:{}: {}", options_.host, options_.port, ec.message()));
    }
    port_ = acceptor_->local_endpoint(ec).port();
    Accept();
    for (size_t i = 0; i < workers_.size(); ++i) {
      Sweep(i);
      threads_.emplace_back([this, i] { Run(i); });
    }
    return Status::Ok();
  }

  uint16_t port() const override { return port_; }

  void StopAccepting() override {
    draining_.store(true);
    net::post(acceptor_->get_executor(), [this] {
      beast::error_code ec;
      acceptor_->close(ec);
      accept_retry_->cancel();
    });
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard<std::mutex> lock(sessions_mutex_);
      for (auto& [ptr, entry] : sessions_) {
        if (auto s = entry.session.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) s->Drain();
  }

  bool WaitIdle(std::chrono::steady_clock::time_point deadline) override {
    while (true) {
      {
        std::lock_guard<std::mutex> lock(sessions_mutex_);
        if (sessions_.empty()) return true;
      }
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  void Stop() override {
    draining_.store(true);
    for (auto& w : workers_) w->ioc.stop();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

  Router& router() { return router_; }
  const EngineOptions& options() const { return options_; }
  bool draining() const { return draining_.load(std::memory_order_relaxed); }

  void Unregister(Session* session) {
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    sessions_.erase(session);
  }

  void Log(LogLevel level, std::string_view message) const {
    if (options_.logger) options_.logger(level, message);
  }

 private:
  // One thread and its io_context (concurrency hint 1: a single thread runs it).
  struct Worker {
    net::io_context ioc{1};
    net::executor_work_guard<net::io_context::executor_type> work = net::make_work_guard(ioc);
    net::steady_timer sweep{ioc};
  };
  struct Entry {
    std::weak_ptr<Session> session;
    size_t worker;
  };

  void Run(size_t i) {
    while (true) {
      try {
        workers_[i]->ioc.run();
        return;
      } catch (const std::exception& e) {
        // The handler that threw dropped its connection; the others carry on.
        Log(LogLevel::kError, fmt::format("HTTP worker: {}", e.what()));
      }
    }
  }

  // Closes the connections of worker i whose deadline has passed, then runs again in a second.
  void Sweep(size_t i) {
    Worker& w = *workers_[i];
    w.sweep.expires_after(kSweepInterval);
    w.sweep.async_wait([this, i](beast::error_code ec) {
      if (ec) return;
      std::vector<std::shared_ptr<Session>> mine;
      {
        std::lock_guard<std::mutex> lock(sessions_mutex_);
        for (auto& [ptr, entry] : sessions_) {
          if (entry.worker != i) continue;
          if (auto s = entry.session.lock()) mine.push_back(std::move(s));
        }
      }
      const auto now = std::chrono::steady_clock::now();
      for (auto& s : mine) s->CheckDeadline(now);  // on worker i's thread, as its handlers are
      Sweep(i);
    });
  }

  void Accept() {
    next_worker_ = (next_worker_ + 1) % workers_.size();
    acceptor_->async_accept(workers_[next_worker_]->ioc,
                            beast::bind_front_handler(&BeastEngine::OnAccept, this, next_worker_));
  }

  void OnAccept(size_t worker, beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_->is_open()) return;
    if (ec) {
      // Out of file descriptors and the like: back off instead of spinning.
      Log(LogLevel::kWarning, fmt::format("accept: {}", ec.message()));
      accept_retry_->expires_after(std::chrono::milliseconds(100));
      accept_retry_->async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec && acceptor_->is_open()) Accept();
      });
      return;
    }
    if (!draining() && !OverConnectionLimit()) {
      auto session = std::make_shared<Session>(std::move(socket), *this);
      {
        std::lock_guard<std::mutex> lock(sessions_mutex_);
        sessions_.emplace(session.get(), Entry{session, worker});
      }
      session->Start();
    }
    Accept();  // a socket not given to a session is closed here
  }

  // Whether accepting one more connection would pass --http-max-connections. The first refusal
  // after a time below the limit is logged, not each one.
  bool OverConnectionLimit() {
    if (options_.max_connections == 0) return false;
    size_t open = 0;
    {
      std::lock_guard<std::mutex> lock(sessions_mutex_);
      open = sessions_.size();
    }
    if (open < options_.max_connections) {
      limit_logged_ = false;
      return false;
    }
    if (!limit_logged_) {
      Log(LogLevel::kWarning, fmt::format("{} connections open, the limit (--http-max-connections): "
                                          "closing new ones until some end", open));
      limit_logged_ = true;
    }
    return true;
  }

  Router& router_;
  EngineOptions options_;
  std::mutex sessions_mutex_;
  std::unordered_map<Session*, Entry> sessions_;  // guarded by sessions_mutex_
  bool limit_logged_ = false;                     // on the accepting thread only
  std::atomic<bool> draining_{false};
  // After sessions_: handlers they still hold unregister on destruction.
  std::vector<std::unique_ptr<Worker>> workers_;
  std::optional<tcp::acceptor> acceptor_;         // on worker 0
  std::optional<net::steady_timer> accept_retry_;  // on worker 0
  size_t next_worker_ = 0;                        // on worker 0
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
};

Session::Session(tcp::socket&& socket, BeastEngine& engine) : stream_(std::move(socket)), engine_(engine) {
  beast::error_code ec;
  stream_.set_option(tcp::no_delay(true), ec);
  tcp::endpoint peer = stream_.remote_endpoint(ec);
  if (!ec) remote_ = fmt::format("{}:{}", peer.address().to_string(), peer.port());
  buffer_.reserve(kInitialReadBuffer);  // a whole small request per read
}

Session::~Session() { engine_.Unregister(this); }

void Session::ReadRequest() {
  if (engine_.draining()) return Close();
  const EngineOptions& options = engine_.options();
  parser_.emplace();
  parser_->header_limit(options.max_header);
  parser_->body_limit(options.max_body);
  idle_ = true;
  head_bytes_ = 0;
  ExpiresAfter(options.idle_timeout);
  ReadHead();
}

// Beast's parser consumes a head in pieces and applies its own limit to each piece, not to the
// whole (a head of many short fields passes it), so the head is read here, counting every byte.
void Session::ReadHead() {
  const std::size_t limit = engine_.options().max_header;
  beast::error_code ec;
  // The parser sees at most one byte past the limit, even when more is buffered (a pipelined
  // request read together with the previous body).
  head_bytes_ += PutBuffered(true, limit + 1 - head_bytes_, ec);
  if (ec) return OnHeader(ec, 0);
  if (head_bytes_ > limit) return OnHeader(http::error::header_limit, 0);
  if (parser_->is_header_done()) return OnHeader({}, 0);
  if (head_bytes_ + buffer_.size() > limit) return OnHeader(http::error::header_limit, 0);
  // Room for one byte past the limit, so that a head over it is seen as such.
  const std::size_t room = limit + 1 - (head_bytes_ + buffer_.size());
  stream_.async_read_some(buffer_.prepare(std::min<std::size_t>(room, kLargeReadBuffer)),
                          [self = shared_from_this()](beast::error_code read_ec, std::size_t n) {
                            self->buffer_.commit(n);
                            if (read_ec == net::error::eof) {
                              read_ec = self->parser_->got_some() || self->head_bytes_ > 0
                                            ? http::error::partial_message
                                            : http::error::end_of_stream;
                            }
                            if (read_ec) return self->OnHeader(read_ec, 0);
                            self->ReadHead();
                          });
}

void Session::OnHeader(beast::error_code ec, std::size_t) {
  idle_ = false;
  if (ec) return OnReadError(ec);
  // RFC 9112 6.3: a request whose last transfer coding is not chunked has no knowable length;
  // read as body-less, its bytes would be taken for the next request.
  if (parser_->get().count(http::field::transfer_encoding) && !parser_->chunked()) {
    return Fail(400, "malformed HTTP request: Transfer-Encoding must end in chunked");
  }
  if (parser_->is_done()) return Process();
  const auto& req = parser_->get();
  if (beast::iequals(req[http::field::expect], "100-continue")) {
    continue_.version(req.version());
    return http::async_write(stream_, continue_,
                             [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
                               if (write_ec) return self->Close();
                               self->ReadBody();
                             });
  }
  // The body, or part of it, usually came with the header: parse what is buffered now rather
  // than through another asynchronous read (which would complete through the scheduler).
  PutBuffered(false, std::numeric_limits<std::size_t>::max(), ec);
  if (ec) return OnReadError(ec);
  if (parser_->is_done()) return Process();
  ReadBody();
}

std::size_t Session::PutBuffered(bool head, std::size_t max_bytes, beast::error_code& ec) {
  std::size_t taken = 0;
  while (buffer_.size() > 0 && taken < max_bytes &&
         !(head ? parser_->is_header_done() : parser_->is_done())) {
    const std::size_t window = std::min(buffer_.size(), max_bytes - taken);
    std::size_t used = parser_->put(net::const_buffer(buffer_.data().data(), window), ec);
    buffer_.consume(used);
    taken += used;
    if (ec == http::error::need_more) {
      ec = {};
      break;
    }
    if (ec || used == 0) break;
  }
  return taken;
}

void Session::ReadBody() {
  ExpiresAfter(engine_.options().idle_timeout);
  // A large body arrives in many segments: read it in large chunks, not the buffer's current
  // capacity (a read takes at most what the buffer has room for).
  if (auto length = parser_->content_length(); length && *length > buffer_.capacity() - buffer_.size()) {
    buffer_.reserve(std::min<std::size_t>(buffer_.size() + *length, kLargeReadBuffer));
  }
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnBody, shared_from_this()));
}

void Session::OnBody(beast::error_code ec, std::size_t) {
  if (ec) return OnReadError(ec);
  Process();
}

void Session::OnReadError(beast::error_code ec) {
  if (ec == http::error::body_limit) {
    return Fail(413, fmt::format("request body is larger than the limit of {} bytes",
                                 engine_.options().max_body));
  }
  if (ec == http::error::header_limit) return Fail(431, "request header is too large");
  if (ec.category() == beast::http::make_error_code(http::error::bad_target).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    return Fail(400, fmt::format("malformed HTTP request: {}", ec.message()));
  }
  // End of stream, timeout, reset, cancellation by a graceful shutdown: nothing to answer.
  Close();
}

void Session::Process() {
  const auto& req = parser_->get();
  HttpRequest request{View(req.method_string()), View(req.target()), req.body(), remote_,
                      View(req[http::field::authorization])};
  engine_.router().Handle(request, &out_);
  BuildResponse(req.version(), req.keep_alive() && !engine_.draining(), req.method() == http::verb::head);
  parser_.reset();  // the request and its body are no longer needed
  bool close = !res_.keep_alive();
  ExpiresAfter(kWriteTimeout);
  http::async_write(stream_, res_, beast::bind_front_handler(&Session::OnWrite, shared_from_this(), close));
}

void Session::BuildResponse(unsigned version, bool keep_alive, bool head) {
  res_.clear();
  res_.result(static_cast<unsigned>(out_.status));
  res_.version(version);
  res_.set(http::field::date, HttpDate());
  if (!out_.content_type.empty()) res_.set(http::field::content_type, out_.content_type);
  if (!out_.allow.empty()) res_.set(http::field::allow, out_.allow);
  res_.body().swap(out_.body);
  res_.keep_alive(keep_alive);
  res_.prepare_payload();
  if (head) res_.body().clear();  // Content-Length stays that of the GET answer
}

void Session::OnWrite(bool close, beast::error_code ec, std::size_t) {
  out_.body.swap(res_.body());  // keep the buffer for the next answer
  if (out_.body.capacity() > kKeepCapacity) std::string().swap(out_.body);
  if (ec) return Close();
  if (close) {
    beast::error_code ignored;
    stream_.shutdown(tcp::socket::shutdown_send, ignored);
    return Close();
  }
  ReadRequest();
}

void Session::Fail(int status, std::string_view message) {
  out_.Reset();
  out_.status = status;
  out_.content_type = "application/json";
  v2json::AppendError(message, &out_.body);
  BuildResponse(11, false, false);
  parser_.reset();
  ExpiresAfter(kWriteTimeout);
  http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) return self->Close();
    self->Linger();
  });
}

void Session::Linger() {
  beast::error_code ec;
  stream_.shutdown(tcp::socket::shutdown_send, ec);
  ExpiresAfter(kLingerTimeout);  // one deadline for all the reads below
  buffer_.clear();
  Discard();
}

void Session::Discard() {
  stream_.async_read_some(buffer_.prepare(64 * 1024), [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) return self->Close();
    self->Discard();
  });
}

void Session::Close() {
  deadline_ = std::chrono::steady_clock::time_point::max();
  beast::error_code ec;
  stream_.close(ec);
}

}  // namespace

std::unique_ptr<HttpEngine> MakeBeastEngine(Router& router, EngineOptions options) {
  return std::make_unique<BeastEngine>(router, std::move(options));
}

}  // namespace modelrepo::server
