// Discovery: how model-settings.json files become model versions, and what is refused.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "discovery.h"
#include "test_util.h"

using namespace modelrepo;
using namespace testutil;
using internal::VersionLess;

namespace {

std::unique_ptr<Repository> OpenFake(const TempDir& dir, bool load_all = true) {
  auto r = Repository::Open(dir.str(), FakeOptions(std::make_shared<FakeControl>(), load_all));
  REQUIRE(r.ok());
  return std::move(*r);
}

std::string CopyExample(const TempDir& dir, const std::string& model, const std::string& to) {
  fs::create_directories(dir.path() / to);
  fs::copy(fs::path(MODELREPO_EXAMPLES_DIR) / model, dir.path() / to,
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  return to;
}

}  // namespace

TEST_CASE("version order: integers numerically, then strings, a total order") {
  CHECK(VersionLess("2", "10"));
  CHECK_FALSE(VersionLess("10", "2"));
  CHECK(VersionLess("v0.1.0", "v0.2.0"));
  CHECK(VersionLess("10", "v1"));       // integers before other versions
  CHECK(VersionLess("", "1"));          // no version sorts first
  CHECK_FALSE(VersionLess("3", "3"));
  CHECK(VersionLess("1", "01") != VersionLess("01", "1"));  // still a strict order
}

TEST_CASE("names come from settings, else the folder, else the parent of a version folder") {
  TempDir dir;
  dir.Write("folder-name/model-settings.json", "{\"implementation\": \"fake\"}");
  dir.Write("folder-name/model.fake", "1");
  dir.Write("x/model-settings.json", FakeSettings("explicit"));
  dir.Write("x/model.fake", "2");
  dir.Write("parent/v3/model-settings.json",
            "{\"implementation\": \"fake\", \"parameters\": {\"version\": \"v3\"}}");
  dir.Write("parent/v3/model.fake", "3");
  dir.Write("tri/7/model-settings.json", "{\"implementation\": \"fake\"}");
  dir.Write("tri/7/model.fake", "4");
  dir.Write("deep/a/b/model-settings.json", FakeSettings("deep-model", "1"));
  dir.Write("deep/a/b/model.fake", "5");
  auto repo = OpenFake(dir);
  auto index = repo->Index();
  REQUIRE(index.ok());
  std::vector<std::string> got;
  for (const auto& e : *index) got.push_back(e.name + ":" + e.version + ":" + std::string(ModelStateName(e.state)));
  CHECK(got == std::vector<std::string>{"deep-model:1:READY", "explicit::READY", "folder-name::READY",
                                        "parent:v3:READY", "tri:7:READY"});
  CHECK(InferValue(*repo, "parent", "v3") == 3);
  CHECK(InferValue(*repo, "tri") == 4);
}

TEST_CASE("uri: relative file, folder with well-known names in order, runtime from the file name") {
  TempDir dir;
  dir.Write("a/model-settings.json", "{\"implementation\": \"fake\", \"parameters\": {\"uri\": \"./weights/w.fake\"}}");
  dir.Write("a/weights/w.fake", "11");
  dir.Write("b/model-settings.json", "{\"parameters\": {\"uri\": \"m.fake\"}}");  // no implementation
  dir.Write("b/m.fake", "12");
  dir.Write("c/model-settings.json", "{\"parameters\": {\"uri\": \"sub\"}}");
  dir.Write("c/sub/model.fake", "13");
  auto repo = OpenFake(dir);
  CHECK(InferValue(*repo, "a") == 11);
  CHECK(InferValue(*repo, "b") == 12);
  CHECK(InferValue(*repo, "c") == 13);
}

TEST_CASE("XGBoost files are found in MLServer's order and its implementation name is an alias") {
  TempDir dir;
  CopyExample(dir, "mushroom-xgboost", "mushroom-xgboost");
  // A folder with both names: model.bst comes before model.json. Only model.json is a real
  // model here, so a load that works proves which file was chosen.
  dir.Write("order/model-settings.json", "{\"implementation\": \"xgboost\"}");
  fs::copy_file(dir.path() / "mushroom-xgboost/model.json", dir.path() / "order/model.json");
  dir.Write("order/model.bst", "not a model");
  auto r = Repository::Open(dir.str());
  REQUIRE(r.ok());
  auto& repo = **r;
  CHECK(Entry(repo, "mushroom-xgboost", "v0.1.0").state == ModelState::kReady);
  auto order = Entry(repo, "order");
  CHECK(order.state == ModelState::kUnavailable);
  CHECK_THAT(order.reason, Catch::Contains("model.bst"));
  auto md = repo.Metadata("mushroom-xgboost");
  REQUIRE(md.ok());
  CHECK(md->platform == "xgboost");
  CHECK(md->inputs.at(0).shape == std::vector<int64_t>{-1, 126});
}

TEST_CASE("broken settings make that model UNAVAILABLE with the reason, the others serve") {
  TempDir dir;
  dir.Write("ok/model-settings.json", FakeSettings("ok"));
  dir.Write("ok/model.fake", "1");
  dir.Write("badjson/model-settings.json", "{\"name\": ");
  dir.Write("badtype/model-settings.json", "{\"name\": 42}");
  dir.Write("noimpl/model-settings.json", "{\"implementation\": \"tensorflow\"}");
  dir.Write("nofile/model-settings.json", "{\"implementation\": \"fake\", \"parameters\": {\"uri\": \"missing.fake\"}}");
  dir.Write("deep/model-settings.json", std::string(100000, '[') + std::string(100000, ']'));
  dir.Write("dup1/model-settings.json", FakeSettings("twin", "1"));
  dir.Write("dup1/model.fake", "1");
  dir.Write("dup2/model-settings.json", FakeSettings("twin", "1"));
  dir.Write("dup2/model.fake", "1");
  auto repo = OpenFake(dir);
  CHECK(InferValue(*repo, "ok") == 1);
  struct {
    const char* name;
    const char* version;
    const char* reason;
  } expected[] = {
      {"badjson", "", "invalid JSON"},
      {"badtype", "", "'name' must be a string"},
      {"noimpl", "", "unknown implementation 'tensorflow'"},
      {"nofile", "", "missing.fake not found"},
      {"deep", "", "must hold a JSON object"},
      {"twin", "1", "defined twice"},
  };
  for (const auto& e : expected) {
    INFO(e.name);
    auto entry = Entry(*repo, e.name, e.version);
    CHECK(entry.state == ModelState::kUnavailable);
    CHECK_THAT(entry.reason, Catch::Contains(e.reason));
    CHECK(entry.reason.find(dir.str()) == std::string::npos);  // no host paths
    Status s = repo->Load(e.name);
    CHECK(s.code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("pickles are never loaded") {
  TempDir dir;
  dir.Write("sk/model-settings.json",
            "{\"implementation\": \"mlserver_sklearn.SKLearnModel\", \"parameters\": {\"uri\": \"./model.joblib\"}}");
  dir.Write("sk/model.joblib", "pickle bytes");
  dir.Write("pk/model-settings.json", "{\"parameters\": {\"uri\": \"./model.pkl\"}}");
  dir.Write("pk/model.pkl", "pickle bytes");
  dir.Write("pkdir/model-settings.json", "{}");
  dir.Write("pkdir/model.pickle", "pickle bytes");
  auto repo = OpenFake(dir);
  for (const char* name : {"sk", "pk", "pkdir"}) {
    INFO(name);
    auto e = Entry(*repo, name);
    CHECK(e.state == ModelState::kUnavailable);
    CHECK_THAT(e.reason, Catch::Contains("arbitrary code") && Catch::Contains("export"));
  }
}

TEST_CASE("nothing outside the repository folder is reached") {
  TempDir outside;
  outside.Write("secret.fake", "99");
  TempDir dir;
  dir.Write("up/model-settings.json", "{\"implementation\": \"fake\", \"parameters\": {\"uri\": \"../../../../../../etc/passwd\"}}");
  dir.Write("abs/model-settings.json",
            "{\"implementation\": \"fake\", \"parameters\": {\"uri\": \"" + (outside.path() / "secret.fake").string() + "\"}}");
  dir.Write("link/model-settings.json", "{\"implementation\": \"fake\"}");
  fs::create_symlink(outside.path() / "secret.fake", dir.path() / "link/model.fake");
  dir.Write("bad name/model-settings.json", "{\"implementation\": \"fake\", \"name\": \"../escape\"}");
  dir.Write("fifo/model-settings.json", "{\"implementation\": \"fake\"}");
  REQUIRE(mkfifo((dir.path() / "fifo/model.fake").c_str(), 0600) == 0);
  dir.Write("isdir/model-settings.json", "{\"implementation\": \"fake\", \"parameters\": {\"uri\": \"x.fake\"}}");
  fs::create_directories(dir.path() / "isdir/x.fake");
  auto repo = OpenFake(dir);
  auto index = repo->Index();
  REQUIRE(index.ok());
  CHECK(index->size() == 6);
  for (const auto& e : *index) {
    INFO(e.name << ": " << e.reason);
    CHECK(e.state == ModelState::kUnavailable);
    CHECK(e.reason.find(outside.str()) == std::string::npos);
    CHECK(e.reason.find(dir.str()) == std::string::npos);
  }
  CHECK_THAT(Entry(*repo, "up").reason, Catch::Contains("leaves the repository"));
  CHECK_THAT(Entry(*repo, "link").reason, Catch::Contains("leaves the repository"));
  CHECK_THAT(Entry(*repo, "fifo").reason, Catch::Contains("not a regular file"));
}

TEST_CASE("the folder is rescanned: models appear, and disappear once not loaded") {
  TempDir dir;
  dir.Write("a/model-settings.json", FakeSettings("a"));
  dir.Write("a/model.fake", "1");
  auto repo = OpenFake(dir);
  CHECK(repo->Load("b").code() == StatusCode::kNotFound);
  CHECK(repo->Load("b").message() == "Model b not found");

  dir.Write("b/model-settings.json", FakeSettings("b"));
  dir.Write("b/model.fake", "2");
  CHECK(Entry(*repo, "b").state == ModelState::kUnavailable);  // appears, not loaded
  REQUIRE(repo->Load("b").ok());
  CHECK(InferValue(*repo, "b") == 2);

  fs::remove_all(dir.path() / "b");
  CHECK(Entry(*repo, "b").state == ModelState::kReady);  // still loaded: still listed, serving
  CHECK(InferValue(*repo, "b") == 2);
  REQUIRE(repo->Unload("b").ok());
  CHECK(Entry(*repo, "b").reason == "ABSENT");  // gone from disk and memory

  // Reloading a model whose version folder was removed drops that version.
  dir.Write("v/1/model-settings.json", "{\"implementation\": \"fake\"}");
  dir.Write("v/1/model.fake", "1");
  dir.Write("v/2/model-settings.json", "{\"implementation\": \"fake\"}");
  dir.Write("v/2/model.fake", "2");
  REQUIRE(repo->Load("v").ok());
  fs::remove_all(dir.path() / "v/2");
  REQUIRE(repo->Load("v").ok());
  CHECK(InferValue(*repo, "v") == 1);
  CHECK(Entry(*repo, "v", "2").reason == "ABSENT");
}

TEST_CASE("Open refuses a folder that does not exist") {
  auto r = Repository::Open("/nonexistent/modelrepo/folder");
  CHECK(r.status().code() == StatusCode::kNotFound);
}

TEST_CASE("index with ready_only keeps the READY entries") {
  TempDir dir;
  dir.Write("a/model-settings.json", FakeSettings("a"));
  dir.Write("a/model.fake", "1");
  dir.Write("b/model-settings.json", FakeSettings("b"));
  dir.Write("b/model.fake", "1");
  auto repo = OpenFake(dir);
  REQUIRE(repo->Unload("a").ok());
  auto ready = repo->Index(true);
  REQUIRE(ready.ok());
  REQUIRE(ready->size() == 1);
  CHECK((*ready)[0].name == "b");
  CHECK(repo->Index(false)->size() == 2);
}

TEST_CASE("names that could forge log lines or paths are refused and shown escaped") {
  TempDir dir;
  dir.Write("a/model-settings.json", "{\"implementation\": \"fake\", \"name\": \"evil\\nINFO loaded model x\"}");
  dir.Write("a/model.fake", "1");
  dir.Write("b/model-settings.json", "{\"implementation\": \"fake\", \"name\": \"b\", \"parameters\": {\"version\": \"1/../2\"}}");
  dir.Write("b/model.fake", "1");
  dir.Write("c/model-settings.json", "{\"implementation\": \"fake\", \"name\": \"" + std::string(300, 'x') + "\"}");
  dir.Write("c/model.fake", "1");
  auto repo = OpenFake(dir);
  auto index = repo->Index();
  REQUIRE(index.ok());
  REQUIRE(index->size() == 3);
  for (const auto& e : *index) {
    INFO(e.name);
    CHECK(e.state == ModelState::kUnavailable);
    CHECK(e.name.find('\n') == std::string::npos);
    CHECK(e.name.size() <= 256 * 4);
  }
  CHECK(Entry(*repo, "evil\\x0aINFO loaded model x").state == ModelState::kUnavailable);
  CHECK_THAT(Entry(*repo, "b", "1/../2").reason, Catch::Contains("version"));
}
