// The model lifecycle, driven through a fake runtime whose loads and inferences block on gates
// the test opens: unload drains running requests, reloads keep the old copy serving, failures
// keep what was serving, and many threads at once leave a consistent repository.
#include <chrono>
#include <future>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "test_util.h"

using namespace modelrepo;
using namespace testutil;

namespace {

struct Fixture {
  TempDir dir;
  std::shared_ptr<FakeControl> control = std::make_shared<FakeControl>();
  std::unique_ptr<Repository> repo;

  void Open(bool load_all = true) {
    auto r = Repository::Open(dir.str(), FakeOptions(control, load_all));
    REQUIRE(r.ok());
    repo = std::move(*r);
  }
  void SetInferGate(std::shared_ptr<Gate> g) {
    std::lock_guard lock(control->mu);
    control->infer_gate = std::move(g);
  }
  void SetLoadGate(std::shared_ptr<Gate> g) {
    std::lock_guard lock(control->mu);
    control->load_gate = std::move(g);
  }
};

}  // namespace

TEST_CASE_METHOD(Fixture, "unload lets a running request finish, then frees the model") {
  dir.Write("m/model-settings.json", FakeSettings("m"));
  dir.Write("m/model.fake", "1");
  Open();
  REQUIRE(Entry(*repo, "m").state == ModelState::kReady);

  auto gate = std::make_shared<Gate>();
  SetInferGate(gate);
  auto running = std::async(std::launch::async, [&] { return InferValue(*repo, "m"); });
  gate->AwaitWaiters(1);
  SetInferGate(nullptr);

  REQUIRE(repo->Unload("m").ok());  // returns while the request still runs
  CHECK(Entry(*repo, "m").state == ModelState::kUnloading);
  Status st;
  CHECK(InferValue(*repo, "m", "", &st) == -1);
  CHECK(st.code() == StatusCode::kNotFound);
  CHECK(st.message() == "Model m not found");
  CHECK(control->live_models == 1);  // still held by the running request
  CHECK(repo->IsReady("m").value() == false);

  gate->Open();
  CHECK(running.get() == 1);  // the running request completed normally
  CHECK(control->live_models == 0);
  auto e = Entry(*repo, "m");
  CHECK(e.state == ModelState::kUnavailable);
  CHECK(e.reason == "unloaded");

  CHECK(repo->Unload("m").code() == StatusCode::kNotFound);  // not loaded any more
  REQUIRE(repo->Load("m").ok());
  CHECK(InferValue(*repo, "m") == 1);
  CHECK(Entry(*repo, "m").reason.empty());
}

TEST_CASE_METHOD(Fixture, "unload with nothing running frees at once") {
  dir.Write("m/model-settings.json", FakeSettings("m"));
  dir.Write("m/model.fake", "1");
  Open();
  REQUIRE(repo->Unload("m").ok());
  CHECK(control->live_models == 0);
  CHECK(Entry(*repo, "m").state == ModelState::kUnavailable);
  CHECK(Entry(*repo, "m").reason == "unloaded");
}

TEST_CASE_METHOD(Fixture, "a reload keeps the old copy serving until the new one is ready") {
  dir.Write("m/model-settings.json", FakeSettings("m"));
  dir.Write("m/model.fake", "1");
  Open();
  dir.Write("m/model.fake", "2");

  auto load_gate = std::make_shared<Gate>();
  SetLoadGate(load_gate);
  auto reload = std::async(std::launch::async, [&] { return repo->Load("m"); });
  load_gate->AwaitWaiters(1);
  SetLoadGate(nullptr);
  // While the new copy loads, the old one answers and the index says READY.
  CHECK(InferValue(*repo, "m") == 1);
  CHECK(Entry(*repo, "m").state == ModelState::kReady);

  // A request holding the old copy when the swap happens finishes on it.
  auto infer_gate = std::make_shared<Gate>();
  SetInferGate(infer_gate);
  auto old_request = std::async(std::launch::async, [&] { return InferValue(*repo, "m"); });
  infer_gate->AwaitWaiters(1);
  SetInferGate(nullptr);

  load_gate->Open();
  REQUIRE(reload.get().ok());
  CHECK(InferValue(*repo, "m") == 2);
  CHECK(control->live_models == 2);  // the old copy is still held
  infer_gate->Open();
  CHECK(old_request.get() == 1);
  CHECK(control->live_models == 1);  // freed by its last request
  CHECK(Entry(*repo, "m").state == ModelState::kReady);
}

TEST_CASE_METHOD(Fixture, "a failed reload leaves the old copy serving, unchanged") {
  dir.Write("m/model-settings.json", FakeSettings("m"));
  dir.Write("m/model.fake", "1");
  Open();
  dir.Write("m/model.fake", "fail broken weights");
  Status s = repo->Load("m");
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(s.message(), Catch::Contains("broken weights"));
  CHECK(InferValue(*repo, "m") == 1);
  CHECK(Entry(*repo, "m").state == ModelState::kReady);
  CHECK(control->live_models == 1);
}

TEST_CASE_METHOD(Fixture, "a failed load is UNAVAILABLE with its reason, the others serve") {
  dir.Write("bad/model-settings.json", FakeSettings("bad"));
  dir.Write("bad/model.fake", "fail corrupt file");
  dir.Write("good/model-settings.json", FakeSettings("good"));
  dir.Write("good/model.fake", "7");
  Open();
  auto bad = Entry(*repo, "bad");
  CHECK(bad.state == ModelState::kUnavailable);
  CHECK_THAT(bad.reason, Catch::Contains("corrupt file"));
  CHECK(InferValue(*repo, "good") == 7);
  Status st;
  InferValue(*repo, "bad", "", &st);
  CHECK(st.code() == StatusCode::kNotFound);
  CHECK(repo->Load("bad").code() == StatusCode::kInvalidArgument);
  dir.Write("bad/model.fake", "3");  // fixed on disk
  REQUIRE(repo->Load("bad").ok());
  CHECK(InferValue(*repo, "bad") == 3);
  CHECK(Entry(*repo, "bad").reason.empty());
}

TEST_CASE_METHOD(Fixture, "a slow load of one model blocks nothing on another") {
  dir.Write("slow/model-settings.json", FakeSettings("slow"));
  dir.Write("slow/model.fake", "1");
  dir.Write("fast/model-settings.json", FakeSettings("fast"));
  dir.Write("fast/model.fake", "2");
  Open(/*load_all=*/false);
  REQUIRE(repo->Load("fast").ok());

  auto gate = std::make_shared<Gate>();
  SetLoadGate(gate);
  auto slow = std::async(std::launch::async, [&] { return repo->Load("slow"); });
  gate->AwaitWaiters(1);
  SetLoadGate(nullptr);

  // All of this completes while "slow" is still loading.
  CHECK(Entry(*repo, "slow").state == ModelState::kLoading);
  Status st;
  InferValue(*repo, "slow", "", &st);
  CHECK(st.code() == StatusCode::kUnavailable);
  CHECK(InferValue(*repo, "fast") == 2);
  CHECK(repo->Unload("fast").ok());
  CHECK(repo->Load("fast").ok());
  CHECK(repo->Metadata("fast").ok());
  CHECK(slow.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);

  gate->Open();
  REQUIRE(slow.get().ok());
  CHECK(InferValue(*repo, "slow") == 1);
}

TEST_CASE_METHOD(Fixture, "load and unload of one model are serialised") {
  dir.Write("m/model-settings.json", FakeSettings("m"));
  dir.Write("m/model.fake", "1");
  Open(/*load_all=*/false);
  auto gate = std::make_shared<Gate>();
  SetLoadGate(gate);
  auto load = std::async(std::launch::async, [&] { return repo->Load("m"); });
  gate->AwaitWaiters(1);
  SetLoadGate(nullptr);
  auto unload = std::async(std::launch::async, [&] { return repo->Unload("m"); });
  // The unload waits for the load (it would otherwise find nothing to unload and say so).
  CHECK(unload.wait_for(std::chrono::milliseconds(100)) == std::future_status::timeout);
  gate->Open();
  CHECK(load.get().ok());
  CHECK(unload.get().ok());
  CHECK(Entry(*repo, "m").reason == "unloaded");
  CHECK(control->live_models == 0);
}

TEST_CASE_METHOD(Fixture, "versions: each is served, the default is the highest ready one") {
  dir.Write("m/1/model-settings.json", "{\"implementation\": \"fake\"}");
  dir.Write("m/1/model.fake", "1");
  dir.Write("m/2/model-settings.json", "{\"implementation\": \"fake\"}");
  dir.Write("m/2/model.fake", "2");
  dir.Write("m/10/model-settings.json", "{\"implementation\": \"fake\"}");
  dir.Write("m/10/model.fake", "fail no good");
  Open();
  CHECK(InferValue(*repo, "m", "1") == 1);
  CHECK(InferValue(*repo, "m", "2") == 2);
  CHECK(InferValue(*repo, "m") == 2);  // 10 failed: the highest READY is 2
  Status st;
  InferValue(*repo, "m", "10", &st);
  CHECK(st.code() == StatusCode::kNotFound);
  InferValue(*repo, "m", "3", &st);
  CHECK(st.message() == "Model m with version 3 not found");
  CHECK(repo->IsReady("m", "2").value());
  CHECK_FALSE(repo->IsReady("m", "10").value());
  CHECK(repo->IsReady("m", "3").status().code() == StatusCode::kNotFound);
  auto md = repo->Metadata("m");
  REQUIRE(md.ok());
  CHECK(md->versions == std::vector<std::string>{"1", "2", "10"});
  auto index = repo->Index();
  REQUIRE(index.ok());
  REQUIRE(index->size() == 3);
  CHECK((*index)[2].version == "10");
  dir.Write("m/10/model.fake", "10");
  REQUIRE(repo->Load("m").ok());
  CHECK(InferValue(*repo, "m") == 10);
}

TEST_CASE_METHOD(Fixture, "many threads loading, unloading, inferring and indexing end consistent") {
  for (std::string name : {"a", "b", "c"}) {
    dir.Write(name + "/model-settings.json", FakeSettings(name));
    dir.Write(name + "/model.fake", "5");
  }
  Open();
  std::atomic<int> bad_codes{0}, served{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      const char* names[] = {"a", "b", "c"};
      for (int i = 0; i < 300; ++i) {
        std::string name = names[rng() % 3];
        switch (rng() % 5) {
          case 0: {
            Status s = repo->Load(name);
            if (!s.ok()) ++bad_codes;
            break;
          }
          case 1: {
            Status s = repo->Unload(name);
            if (!s.ok() && s.code() != StatusCode::kNotFound) ++bad_codes;
            break;
          }
          case 2: {
            if (!repo->Index().ok()) ++bad_codes;
            break;
          }
          default: {
            Status s;
            int64_t v = InferValue(*repo, name, "", &s);
            if (v == 5) ++served;
            else if (s.code() != StatusCode::kNotFound && s.code() != StatusCode::kUnavailable) ++bad_codes;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(bad_codes == 0);
  CHECK(served > 0);
  auto index = repo->Index();
  REQUIRE(index.ok());
  int ready = 0;
  for (const auto& e : *index) {
    CHECK((e.state == ModelState::kReady || e.state == ModelState::kUnavailable));
    ready += e.state == ModelState::kReady;
  }
  CHECK(control->live_models == ready);  // nothing leaked, nothing freed while READY
  for (std::string name : {"a", "b", "c"}) repo->Unload(name);
  CHECK(control->live_models == 0);
}
