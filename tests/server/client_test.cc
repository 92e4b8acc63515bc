// modelrepo::Client against the real modelrepo-server (each engine), checked against an
// in-process Repository over a copy of the same folder: remote and local must answer alike.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "modelrepo/client.h"
#include "modelrepo/repository.h"

using namespace modelrepo;
namespace fs = std::filesystem;

namespace {

fs::path CopyExamples(const std::string& tag) {
  std::random_device rd;
  fs::path dir = fs::temp_directory_path() / ("modelrepo-client-test-" + tag + "-" + std::to_string(rd()));
  fs::copy(MODELREPO_EXAMPLES_DIR, dir, fs::copy_options::recursive);
  return dir;
}

// modelrepo-server started on a free port; its log is drained on a thread.
class ServerProcess {
 public:
  ServerProcess(const fs::path& repository, const std::string& engine) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      dup2(fds[1], 1);
      dup2(fds[1], 2);
      close(fds[0]);
      close(fds[1]);
      execl(MODELREPO_SERVER_BINARY, MODELREPO_SERVER_BINARY, "start", repository.c_str(), "--http-port", "0",
            "--http-engine", engine.c_str(), "--threads", "2", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    fd_ = fds[0];
    reader_ = std::thread([this] {
      char buf[4096];
      ssize_t n;
      while ((n = read(fd_, buf, sizeof(buf))) > 0) {
        std::lock_guard<std::mutex> lock(mu_);
        log_.append(buf, static_cast<size_t>(n));
      }
    });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::regex listening(R"(on (http://[0-9.]+:\d+) )");
    while (url_.empty() && std::chrono::steady_clock::now() < deadline) {
      std::smatch m;
      std::string text = log();
      if (std::regex_search(text, m, listening)) url_ = m[1];
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    INFO(log());
    REQUIRE_FALSE(url_.empty());
  }

  ~ServerProcess() {
    if (pid_ > 0) Stop();
  }

  // SIGTERM; returns the exit code.
  int Stop() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    reader_.join();
    close(fd_);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  const std::string& url() const { return url_; }
  std::string log() {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::thread reader_;
  std::mutex mu_;
  std::string log_;
  std::string url_;
};

InferRequest MushroomRequest() {
  // Row 0 of the agaricus test set (MLServer's transcript), then a row of zeros.
  std::vector<float> rows(2 * 126, 0.0f);
  for (int i : {0, 8, 18, 20, 23, 33, 35, 38, 41, 52, 55, 64, 68, 76, 85, 87, 91, 94, 101, 105, 116, 121}) rows[i] = 1;
  InferRequest r;
  r.model = "mushroom-xgboost";
  r.inputs.push_back(Tensor::From<float>("predict", DataType::kFp32, {2, 126}, rows));
  r.outputs = {"predict", "predict_proba"};
  return r;
}

InferRequest DigitsRequest() {
  std::vector<double> row = {0, 0, 1, 11, 14, 15, 3, 0, 0, 1, 13, 16, 12, 16, 8, 0, 0, 8, 16, 4, 6, 16,
                             5, 0, 0, 5, 15, 11, 13, 14, 0, 0, 0, 0, 2, 12, 16, 13, 0, 0, 0, 0, 0, 13,
                             16, 16, 6, 0, 0, 0, 0, 16, 16, 16, 7, 0, 0, 0, 0, 11, 13, 12, 1, 0};
  InferRequest r;
  r.model = "mnist-svm";
  r.version = "v0.1.0";
  r.inputs.push_back(Tensor::From<double>("predict", DataType::kFp64, {1, 64}, row));
  r.outputs = {"predict", "decision_function"};
  return r;
}

bool IsTrue(const StatusOr<bool>& answer) { return answer.ok() && *answer; }
bool IsFalse(const StatusOr<bool>& answer) { return answer.ok() && !*answer; }

void CheckSameResponse(const StatusOr<InferResponse>& remote, const StatusOr<InferResponse>& local) {
  REQUIRE(remote.ok());
  REQUIRE(local.ok());
  CHECK(remote->model_name == local->model_name);
  CHECK(remote->model_version == local->model_version);
  REQUIRE(remote->outputs.size() == local->outputs.size());
  for (size_t i = 0; i < local->outputs.size(); ++i) {
    CHECK(remote->outputs[i].name == local->outputs[i].name);
    CHECK(remote->outputs[i].datatype == local->outputs[i].datatype);
    CHECK(remote->outputs[i].shape == local->outputs[i].shape);
    CHECK(remote->outputs[i].data == local->outputs[i].data);  // bit for bit, through JSON
  }
}

}  // namespace

TEST_CASE("the walkthrough, remote equal to in-process", "[client]") {
  for (std::string engine : {"beast", "cpprest"}) {
    SECTION(engine) {
      fs::path remote_dir = CopyExamples("remote");
      fs::path local_dir = CopyExamples("local");
      ServerProcess server(remote_dir, engine);
      auto connected = Client::Connect(server.url());
      REQUIRE(connected.ok());
      Client& client = **connected;
      auto opened = Repository::Open(local_dir.string());
      REQUIRE(opened.ok());
      Repository& local = **opened;

      CHECK(IsTrue(client.IsLive()));
      for (int i = 0; i < 300 && !IsTrue(client.IsServerReady()); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      REQUIRE(IsTrue(client.IsServerReady()));
      auto meta = client.ServerMetadata();
      REQUIRE(meta.ok());
      CHECK(meta->name == "modelrepo-server");
      CHECK(client.root() == server.url());

      // Used through the Repository interface, as a host application would.
      Repository& remote = client;
      auto index = remote.Index();
      REQUIRE(index.ok());
      auto local_index = local.Index();
      REQUIRE(local_index.ok());
      REQUIRE(index->size() == 2);
      for (size_t i = 0; i < 2; ++i) {
        CHECK((*index)[i].name == (*local_index)[i].name);
        CHECK((*index)[i].version == (*local_index)[i].version);
        CHECK((*index)[i].state == ModelState::kReady);
      }

      CheckSameResponse(remote.Infer(MushroomRequest()), local.Infer(MushroomRequest()));
      CheckSameResponse(remote.Infer(DigitsRequest()), local.Infer(DigitsRequest()));

      auto md = remote.Metadata("mnist-svm", "v0.1.0");
      auto local_md = local.Metadata("mnist-svm", "v0.1.0");
      REQUIRE(md.ok());
      REQUIRE(local_md.ok());
      CHECK(md->name == local_md->name);
      CHECK(md->versions == local_md->versions);
      CHECK(md->platform == local_md->platform);
      CHECK(md->inputs.size() == local_md->inputs.size());
      CHECK(md->outputs.size() == local_md->outputs.size());

      // unload, index, load, index
      REQUIRE(remote.Unload("mushroom-xgboost").ok());
      index = remote.Index();
      REQUIRE(index.ok());
      CHECK((*index)[1].name == "mushroom-xgboost");
      CHECK((*index)[1].state == ModelState::kUnavailable);
      CHECK((*index)[1].reason == "unloaded");
      auto ready_only = remote.Index(true);
      REQUIRE(ready_only.ok());
      CHECK(ready_only->size() == 1);
      CHECK(IsFalse(remote.IsReady("mushroom-xgboost")));
      auto gone = remote.Infer(MushroomRequest());
      CHECK(gone.status() == Status::NotFound("Model mushroom-xgboost not found"));
      CHECK(remote.Unload("mushroom-xgboost").code() == StatusCode::kNotFound);
      REQUIRE(remote.Load("mushroom-xgboost").ok());
      CHECK(IsTrue(remote.IsReady("mushroom-xgboost")));
      CheckSameResponse(remote.Infer(MushroomRequest()), local.Infer(MushroomRequest()));

      // Errors come back as the same Status the in-process call gives.
      InferRequest bad = DigitsRequest();
      bad.inputs[0] = Tensor::From<double>("predict", DataType::kFp64, {1, 3}, std::vector<double>{1, 2, 3});
      CHECK(remote.Infer(bad).status() == local.Infer(bad).status());
      CHECK(remote.Load("no-such-model") == local.Load("no-such-model"));
      CHECK(remote.IsReady("no-such-model").status() == local.IsReady("no-such-model").status());
      CHECK(remote.Metadata("mnist-svm", "v9").status() == local.Metadata("mnist-svm", "v9").status());

      std::string id;
      REQUIRE(client.Infer(DigitsRequest(), "req-7", &id).ok());
      CHECK(id == "req-7");

      INFO(server.log());
      CHECK(server.Stop() == 0);
      fs::remove_all(remote_dir);
      fs::remove_all(local_dir);
    }
  }
}

TEST_CASE("bad URLs and unreachable servers", "[client]") {
  CHECK(Client::Connect("not a url").status().code() == StatusCode::kInvalidArgument);
  CHECK(Client::Connect("ftp://127.0.0.1/").status().code() == StatusCode::kInvalidArgument);
  ClientOptions options;
  options.timeout = std::chrono::milliseconds(2000);
  auto client = Client::Connect("http://127.0.0.1:1", options);
  REQUIRE(client.ok());
  auto live = (*client)->IsLive();
  REQUIRE_FALSE(live.ok());
  CHECK(live.status().code() == StatusCode::kUnavailable);
  CHECK_THAT(live.status().message(), Catch::StartsWith("cannot reach http://127.0.0.1:1"));
  CHECK((*client)->Index().status().code() == StatusCode::kUnavailable);
}
