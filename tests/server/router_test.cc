// The router against a fake repository: every route, status and error body of the spec, without
// sockets or models.
#include <catch2/catch.hpp>

#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "fake_repository.h"
#include "modelrepo/v2json.h"
#include "router.h"

using namespace modelrepo;
using modelrepo::server::HttpRequest;
using modelrepo::server::HttpResponse;
using modelrepo::server::Router;
using modelrepo::server::RouterOptions;
using modelrepo::testing::FakeRepository;

namespace {

struct Fixture {
  FakeRepository repo;
  std::vector<std::string> log;
  Router router;

  explicit Fixture(RouterOptions options = {})
      : router(repo, WithLogger(std::move(options), &log)) {
    router.StartupFinished({});
  }

  static RouterOptions WithLogger(RouterOptions options, std::vector<std::string>* log) {
    options.logger = [log](LogLevel, std::string_view line) { log->emplace_back(line); };
    return options;
  }

  HttpResponse Call(std::string_view method, std::string_view target, std::string_view body = {}) {
    HttpResponse response;
    router.Handle(HttpRequest{method, target, body, "127.0.0.1:1"}, &response);
    return response;
  }
  HttpResponse CallWithAuthorization(std::string_view target, std::string_view authorization) {
    HttpResponse response;
    router.Handle(HttpRequest{"POST", target, {}, "127.0.0.1:1", authorization}, &response);
    return response;
  }
  HttpResponse Get(std::string_view target) { return Call("GET", target); }
  HttpResponse Post(std::string_view target, std::string_view body = {}) { return Call("POST", target, body); }
};

const char kInferBody[] = R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[0.1,0.2,0.3]}]})";

void CheckEmptyOk(const HttpResponse& r) {
  CHECK(r.status == 200);
  CHECK(r.body.empty());
  CHECK(r.content_type.empty());
}

void CheckError(const HttpResponse& r, int status, const std::string& message) {
  CHECK(r.status == status);
  CHECK(r.content_type == "application/json");
  CHECK(r.body == v2json::EncodeError(message));
}

}  // namespace

TEST_CASE("router: health", "[router]") {
  FakeRepository repo;
  Router router(repo, {});
  HttpResponse r;
  router.Handle({"GET", "/v2/health/live", {}, {}}, &r);
  CheckEmptyOk(r);
  router.Handle({"GET", "/v2/health/ready", {}, {}}, &r);
  CheckError(r, 400, "server is not ready: loading models");
  router.StartupFinished({});
  router.Handle({"GET", "/v2/health/ready", {}, {}}, &r);
  CheckEmptyOk(r);
  router.BeginDraining();
  router.Handle({"GET", "/v2/health/ready", {}, {}}, &r);
  CheckError(r, 503, "server is shutting down");
  router.Handle({"GET", "/v2/health/live", {}, {}}, &r);
  CheckEmptyOk(r);
  router.Handle({"GET", "/v2/models/alpha/ready", {}, {}}, &r);
  CheckError(r, 503, "server is shutting down");
  // Requests already under way are still answered while draining.
  router.Handle({"POST", "/v2/models/alpha/infer", kInferBody, {}}, &r);
  CHECK(r.status == 200);
}

TEST_CASE("router: readiness ignores failed models unless strict", "[router]") {
  FakeRepository repo;
  Router lenient(repo, {});
  lenient.StartupFinished({"broken"});
  HttpResponse r;
  lenient.Handle({"GET", "/v2/health/ready", {}, {}}, &r);
  CheckEmptyOk(r);

  RouterOptions strict_options;
  strict_options.strict_readiness = true;
  Router strict(repo, strict_options);
  strict.StartupFinished({"alpha"});
  strict.Handle({"GET", "/v2/health/ready", {}, {}}, &r);
  CheckError(r, 400, "server is not ready: model alpha failed to load");
  strict.Handle({"POST", "/v2/repository/models/alpha/load", {}, {}}, &r);
  CheckEmptyOk(r);
  strict.Handle({"GET", "/v2/health/ready", {}, {}}, &r);
  CheckEmptyOk(r);
}

TEST_CASE("router: server metadata", "[router]") {
  RouterOptions options;
  options.server_name = "my-server";
  options.server_version = "9.9";
  Fixture f(options);
  auto r = f.Get("/v2");
  CHECK(r.status == 200);
  CHECK(r.content_type == "application/json");
  CHECK(r.body == R"({"name":"my-server","version":"9.9","extensions":["model_repository"]})");
  Fixture defaults;
  CHECK_THAT(defaults.Get("/v2").body, Catch::StartsWith(R"({"name":"modelrepo-server","version":")"));
}

TEST_CASE("router: unknown routes are 404 and wrong methods 405 with Allow", "[router]") {
  Fixture f;
  CheckError(f.Get("/v2/nope"), 404, "no route for /v2/nope");
  CheckError(f.Get("/"), 404, "no route for /");
  CheckError(f.Get("/v1/models/alpha"), 404, "no route for /v1/models/alpha");
  CheckError(f.Get("/v2/models/alpha/stats"), 404, "no route for /v2/models/alpha/stats");
  CheckError(f.Get("/v2/models/alpha/versions"), 404, "no route for /v2/models/alpha/versions");
  CheckError(f.Get("/v2/models/alpha/"), 404, "no route for /v2/models/alpha/");
  CheckError(f.Post("/v2/repository/models/alpha"), 404, "no route for /v2/repository/models/alpha");
  CheckError(f.Get("*"), 404, "no route for *");

  struct Case {
    const char* method;
    const char* target;
    const char* allow;
  };
  for (const Case& c : {Case{"GET", "/v2/models/alpha/infer", "POST"},
                        Case{"GET", "/v2/models/beta/versions/1/infer", "POST"},
                        Case{"POST", "/v2/health/live", "GET, HEAD"},
                        Case{"POST", "/v2/health/ready", "GET, HEAD"},
                        Case{"DELETE", "/v2", "GET, HEAD"},
                        Case{"POST", "/v2/models/alpha", "GET, HEAD"},
                        Case{"PUT", "/v2/models/alpha/ready", "GET, HEAD"},
                        Case{"HEAD", "/v2/models/beta/versions/1/infer", "POST"},
                        Case{"GET", "/v2/repository/index", "POST"},
                        Case{"GET", "/v2/repository/models/alpha/load", "POST"},
                        Case{"GET", "/v2/repository/models/alpha/unload", "POST"}}) {
    INFO(c.method << " " << c.target);
    auto r = f.Call(c.method, c.target);
    CHECK(r.status == 405);
    CHECK(r.allow == c.allow);
    CHECK(r.content_type == "application/json");
    CHECK_THAT(r.body, Catch::Contains(std::string("is not allowed on ") + c.target + "; use "));
  }
}

TEST_CASE("router: HEAD answers like GET; absolute-form targets are routed by their path", "[router]") {
  Fixture f;
  auto head = f.Call("HEAD", "/v2");
  CHECK(head.status == 200);
  CHECK(head.body == f.Get("/v2").body);  // the engine drops the body, not the router
  CheckEmptyOk(f.Call("HEAD", "/v2/health/ready"));
  CheckEmptyOk(f.Get("http://localhost:8080/v2/health/live"));
  CHECK(f.Post("http://localhost:8080/v2/models/alpha/infer?x=1", kInferBody).status == 200);
  CheckError(f.Get("http://localhost:8080"), 404, "no route for /");
}

TEST_CASE("router: model metadata", "[router]") {
  Fixture f;
  auto r = f.Get("/v2/models/beta");
  CHECK(r.status == 200);
  CHECK(r.content_type == "application/json");
  CHECK(r.body == R"({"name":"beta","versions":["1","2"],"platform":"fake",)"
                  R"("inputs":[{"name":"input-0","datatype":"FP32","shape":[-1,3]}],)"
                  R"("outputs":[{"name":"predict","datatype":"FP32","shape":[-1,3]}],"parameters":{}})");
  CHECK(f.Get("/v2/models/beta/versions/1").status == 200);
  CheckError(f.Get("/v2/models/nope"), 404, "Model nope not found");
  CheckError(f.Get("/v2/models/beta/versions/9"), 404, "Model beta with version 9 not found");
}

TEST_CASE("router: model readiness", "[router]") {
  Fixture f;
  CheckEmptyOk(f.Get("/v2/models/alpha/ready"));
  CheckEmptyOk(f.Get("/v2/models/beta/versions/2/ready"));
  CheckError(f.Get("/v2/models/nope/ready"), 404, "Model nope not found");
  CheckError(f.Get("/v2/models/beta/versions/7/ready"), 404, "Model beta with version 7 not found");
  f.repo.models["beta"]["1"].state = ModelState::kUnavailable;
  CheckError(f.Get("/v2/models/beta/versions/1/ready"), 400, "Model beta version 1 is not ready");
  CheckEmptyOk(f.Get("/v2/models/beta/ready"));
  CheckEmptyOk(f.Post("/v2/repository/models/alpha/unload"));
  CheckError(f.Get("/v2/models/alpha/ready"), 400, "Model alpha is not ready");
}

TEST_CASE("router: inference", "[router]") {
  Fixture f;
  SECTION("id echoed, key order, model and version from the path") {
    auto r = f.Post("/v2/models/beta/versions/1/infer",
                    R"({"id":"req-42","inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[0.1,0.2,0.3]}]})");
    CHECK(r.status == 200);
    CHECK(r.content_type == "application/json");
    CHECK(r.body == R"({"model_name":"beta","model_version":"1","id":"req-42","parameters":{},"outputs":[)"
                    R"({"name":"predict","shape":[1,3],"datatype":"FP32","parameters":{"content_type":"np"},)"
                    R"("data":[0.1,0.2,0.3]}]})");
    CHECK(f.repo.last_request.model == "beta");
    CHECK(f.repo.last_request.version == "1");
  }
  SECTION("unversioned path: default version, no version in the request") {
    auto r = f.Post("/v2/models/beta/infer", kInferBody);
    CHECK(r.status == 200);
    CHECK(f.repo.last_request.version.empty());
    CHECK_THAT(r.body, Catch::StartsWith(R"({"model_name":"beta","model_version":"2","id":")"));
  }
  SECTION("a UUID4 id when the request has none") {
    auto a = f.Post("/v2/models/alpha/infer", kInferBody);
    auto b = f.Post("/v2/models/alpha/infer", kInferBody);
    std::regex pattern(R"re(\{"model_name":"alpha","id":"([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})",.*)re");
    std::smatch ma, mb;
    REQUIRE(std::regex_match(a.body, ma, pattern));
    REQUIRE(std::regex_match(b.body, mb, pattern));
    CHECK(ma[1] != mb[1]);
  }
  SECTION("requested outputs reach the repository") {
    auto r = f.Post("/v2/models/alpha/infer",
                    R"({"inputs":[{"name":"x","shape":[1],"datatype":"INT64","data":[3]}],"outputs":[{"name":"predict_proba"}]})");
    CHECK(r.status == 200);
    CHECK(f.repo.last_request.outputs == std::vector<std::string>{"predict_proba"});
    CHECK_THAT(r.body, Catch::Contains(R"("name":"predict_proba","shape":[1],"datatype":"INT64")"));
  }
  SECTION("query strings are ignored") {
    CHECK(f.Post("/v2/models/alpha/infer?x=1", kInferBody).status == 200);
  }
}

TEST_CASE("router: inference errors", "[router]") {
  Fixture f;
  CheckError(f.Post("/v2/models/nope/infer", kInferBody), 404, "Model nope not found");
  CheckError(f.Post("/v2/models/beta/versions/9/infer", kInferBody), 404, "Model beta with version 9 not found");
  CheckError(f.Post("/v2/models/alpha/infer", R"({"inputs": [ {"name": "predict", )"), 400,
             "malformed JSON at offset 33: Missing a name for object member.");
  CheckError(f.Post("/v2/models/alpha/infer", ""), 400, "request body is empty; expected a JSON object");
  CheckError(f.Post("/v2/models/alpha/infer", R"({"outputs":[]})"), 400, "inference request has no 'inputs'");
  CHECK(f.Post("/v2/models/alpha/infer", R"({"inputs":[{"name":"x","shape":[1],"datatype":"FLOAT32","data":[1]}]})")
            .status == 400);
  CheckError(f.Post("/v2/models/alpha/infer", R"({"inputs":[{"name":"x","shape":[1,10],"datatype":"FP32","data":[1,2]}]})"),
             400, "input 'x' has 2 elements but its shape [1, 10] implies 10");

  // The repository's status decides the HTTP status.
  struct Case {
    Status status;
    int http;
  };
  for (const Case& c : {Case{Status::InvalidArgument("model alpha expects 64 features, input 'x' has 10"), 400},
                        Case{Status::NotFound("Model alpha not found"), 404},
                        Case{Status::Unavailable("Model alpha is loading"), 503},
                        Case{Status::Unimplemented("not in this build"), 501},
                        Case{Status::Internal("model alpha failed"), 500}}) {
    f.repo.infer = [&c](const InferRequest&) -> StatusOr<InferResponse> { return c.status; };
    CheckError(f.Post("/v2/models/alpha/infer", kInferBody), c.http, c.status.message());
  }
  // Server errors are logged with the message (and so the model's name).
  CHECK(std::find(f.log.begin(), f.log.end(), "model alpha failed") != f.log.end());
  CHECK(std::find(f.log.begin(), f.log.end(), "not in this build") != f.log.end());
  // A model that is loading is a state clients retry, not a server fault: not logged.
  CHECK(std::find(f.log.begin(), f.log.end(), "Model alpha is loading") == f.log.end());
}

TEST_CASE("router: an exception from the repository is a 500, not a crash", "[router]") {
  Fixture f;
  f.repo.infer = [](const InferRequest&) -> StatusOr<InferResponse> { throw std::runtime_error("boom at 0x1234"); };
  CheckError(f.Post("/v2/models/alpha/infer", kInferBody), 500, "internal server error");
}

TEST_CASE("router: names from the path are percent-decoded and checked", "[router]") {
  Fixture f;
  f.repo.models["my model"][""] = {};
  CHECK(f.Post("/v2/models/my%20model/infer", kInferBody).status == 200);
  CHECK(f.repo.last_request.model == "my model");
  CHECK(f.Get("/v2/models/%61lpha/ready").status == 200);
  CheckError(f.Post("/v2/models/a%2Fb/infer", kInferBody), 400, "invalid model name 'a/b'");
  CheckError(f.Post("/v2/models/../infer", kInferBody), 400, "invalid model name '..'");
  CheckError(f.Post("/v2/models/%2e%2e/infer", kInferBody), 400, "invalid model name '..'");
  CheckError(f.Post("/v2/repository/models/%2E%2E/load"), 400, "invalid model name '..'");
  CheckError(f.Post("/v2/repository/models/a%00b/load"), 400, std::string("invalid model name 'a\0b'", 24));
  CheckError(f.Post("/v2/models//infer", kInferBody), 400, "model name is empty");
  CheckError(f.Post("/v2/models/alpha/versions/../infer", kInferBody), 400, "invalid version name '..'");
  CheckError(f.Post("/v2/models/al%zzpha/infer", kInferBody), 400, "malformed percent-encoding in the request path");
  CheckError(f.Post("/v2/models/alpha%2/infer", kInferBody), 400, "malformed percent-encoding in the request path");
}

TEST_CASE("router: repository index", "[router]") {
  Fixture f;
  const std::string all =
      R"([{"name":"alpha","state":"READY","reason":""},{"name":"beta","version":"1","state":"READY","reason":""},)"
      R"({"name":"beta","version":"2","state":"READY","reason":""}])";
  for (const char* body : {"", "{}", R"({"ready":false})", R"({"ready":null})"}) {
    auto r = f.Post("/v2/repository/index", body);
    CHECK(r.status == 200);
    CHECK(r.content_type == "application/json");
    CHECK(r.body == all);
  }
  CheckEmptyOk(f.Post("/v2/repository/models/alpha/unload"));
  CHECK(f.Post("/v2/repository/index", R"({"ready":true})").body ==
        R"([{"name":"beta","version":"1","state":"READY","reason":""},{"name":"beta","version":"2","state":"READY","reason":""}])");
  CHECK_THAT(f.Post("/v2/repository/index").body,
             Catch::StartsWith(R"([{"name":"alpha","state":"UNAVAILABLE","reason":"unloaded"})"));
  CheckError(f.Post("/v2/repository/index", R"({"ready":"yes"})"), 400, "'ready' must be true or false");
  CheckError(f.Post("/v2/repository/index", R"({"ready": )"), 400, "malformed JSON at offset 10: Invalid value.");
  CheckError(f.Post("/v2/repository/index", "[]"), 400, "an index request must be a JSON object");
}

TEST_CASE("router: load and unload", "[router]") {
  Fixture f;
  f.repo.load_errors["beta"] = "model beta version 2: bad model file";
  CheckEmptyOk(f.Post("/v2/repository/models/alpha/unload"));
  CheckError(f.Post("/v2/repository/models/alpha/unload"), 404, "Model alpha not found");
  CheckError(f.Post("/v2/models/alpha/infer", kInferBody), 404, "Model alpha not found");
  CheckEmptyOk(f.Post("/v2/repository/models/alpha/load"));
  CheckEmptyOk(f.Post("/v2/repository/models/alpha/load", "{}"));  // reload
  CHECK(f.Post("/v2/models/alpha/infer", kInferBody).status == 200);
  CheckError(f.Post("/v2/repository/models/nope/load"), 404, "Model nope not found");
  CheckError(f.Post("/v2/repository/models/nope/unload"), 404, "Model nope not found");
  CheckError(f.Post("/v2/repository/models/beta/load"), 400, "model beta version 2: bad model file");
  CHECK_THAT(f.Post("/v2/repository/index").body,
             Catch::Contains(R"({"name":"beta","version":"2","state":"UNAVAILABLE","reason":"model beta version 2: bad model file"})"));
  CheckError(f.Post("/v2/repository/models/alpha/load", R"({"parameters":{"config":"{}"}})"), 400,
             "parameter 'config' is not supported: models are loaded only from the repository folder");
  CheckError(f.Post("/v2/repository/models/alpha/load", R"({"parameters":{"file:1/model.bst":"AAA="}})"), 400,
             "parameter 'file:1/model.bst' is not supported: models are loaded only from the repository folder");
  CHECK(f.Post("/v2/repository/models/alpha/load", "{").status == 400);
  CheckEmptyOk(f.Post("/v2/repository/models/alpha/unload", R"({"parameters":{"unload_dependents":false}})"));
}

TEST_CASE("router: inference requests over the element cap are 400", "[router]") {
  RouterOptions options;
  options.max_batch_elements = 3;
  Fixture f(options);
  CHECK(f.Post("/v2/models/alpha/infer", kInferBody).status == 200);  // 3 elements
  CheckError(f.Post("/v2/models/alpha/infer",
                    R"({"inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":[1,2,3,4,5,6]}]})"),
             400, "input 'x' has 6 elements; with the inputs before it, the request would exceed this server's limit of 3 elements");
}

TEST_CASE("router: model control mode none refuses load and unload, index stays readable", "[router]") {
  RouterOptions options;
  options.model_control = false;
  Fixture f(options);
  const std::string refused = "model control is disabled on this server (--model-control-mode none)";
  CheckError(f.Post("/v2/repository/models/alpha/unload"), 403, refused);
  CheckError(f.Post("/v2/repository/models/alpha/load"), 403, refused);
  CheckError(f.Post("/v2/repository/models/nope/load"), 403, refused);  // no hint of what exists
  CHECK(f.Post("/v2/repository/index").status == 200);
  CHECK(f.Post("/v2/models/alpha/infer", kInferBody).status == 200);  // alpha was never unloaded
  CHECK(f.Get("/v2/repository/models/alpha/load").status == 405);
}

TEST_CASE("router: the repository API token guards load and unload", "[router]") {
  RouterOptions options;
  options.repository_api_token = "s3cret-token-0123456789";
  Fixture f(options);
  const std::string missing = "load and unload need the repository API token: Authorization: Bearer <token>";
  const std::string wrong = "the repository API token is not valid";
  CheckError(f.Post("/v2/repository/models/alpha/unload"), 403, missing);
  CheckError(f.Post("/v2/repository/models/nope/unload"), 403, missing);  // checked before the name
  CheckError(f.CallWithAuthorization("/v2/repository/models/alpha/unload", "Basic czNjcmV0"), 403, missing);
  CheckError(f.CallWithAuthorization("/v2/repository/models/alpha/unload", "Bearer"), 403, missing);
  CheckError(f.CallWithAuthorization("/v2/repository/models/alpha/unload", "Bearer "), 403, missing);
  for (const char* guess : {"Bearer s3cret-token-012345678", "Bearer s3cret-token-01234567890",
                            "Bearer S3CRET-TOKEN-0123456789", "Bearer  ", "Bearer x"}) {
    INFO(guess);
    CheckError(f.CallWithAuthorization("/v2/repository/models/alpha/unload", guess), 403, wrong);
  }
  CheckError(f.CallWithAuthorization("/v2/repository/models/alpha/unload",
                                     std::string_view("Bearer s3cret-token-0123456789\0", 31)),
             403, wrong);
  CHECK(f.Post("/v2/models/alpha/infer", kInferBody).status == 200);  // nothing was unloaded
  CheckEmptyOk(f.CallWithAuthorization("/v2/repository/models/alpha/unload", "Bearer s3cret-token-0123456789"));
  CheckEmptyOk(f.CallWithAuthorization("/v2/repository/models/alpha/load", "bearer  s3cret-token-0123456789 "));
  CheckError(f.CallWithAuthorization("/v2/repository/models/nope/load", "Bearer s3cret-token-0123456789"), 404,
             "Model nope not found");
  // Reading needs no token.
  CHECK(f.Post("/v2/repository/index").status == 200);
  CHECK(f.Get("/v2/models/alpha").status == 200);
}

TEST_CASE("router: beyond loopback without a token, load and unload are refused", "[router]") {
  RouterOptions options;
  options.management_requires_token = true;
  Fixture f(options);
  const std::string refused =
      "load and unload are refused: the server listens on a non-loopback address and has no "
      "repository API token (--repository-api-token)";
  CheckError(f.Post("/v2/repository/models/alpha/unload"), 403, refused);
  CheckError(f.CallWithAuthorization("/v2/repository/models/alpha/load", "Bearer anything-at-all-here"), 403, refused);
  CHECK(f.Post("/v2/repository/index").status == 200);
}

TEST_CASE("router: constant-time token comparison", "[router]") {
  using modelrepo::server::ConstantTimeEquals;
  CHECK(ConstantTimeEquals("abc", "abc"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abd"));
  CHECK_FALSE(ConstantTimeEquals("abc", "ab"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abcd"));
  CHECK_FALSE(ConstantTimeEquals("abc", ""));
  CHECK_FALSE(ConstantTimeEquals("abc", std::string_view("abc\0", 4)));
  CHECK(ConstantTimeEquals("", ""));
}

TEST_CASE("router: access log, one line per request", "[router]") {
  RouterOptions options;
  options.access_log = true;
  Fixture f(options);
  f.Post("/v2/models/alpha/infer", kInferBody);
  f.Get("/v2/nope\x01\"x");
  REQUIRE(f.log.size() == 2);
  CHECK_THAT(f.log[0], Catch::Matches(R"re(127\.0\.0\.1:1 "POST /v2/models/alpha/infer" 200 \d+ [0-9.]+ms)re"));
  CHECK_THAT(f.log[1], Catch::StartsWith(R"(127.0.0.1:1 "GET /v2/nope\x01\x22x" 404 )"));
  Fixture quiet;
  quiet.Get("/v2/health/live");
  CHECK(quiet.log.empty());
}

TEST_CASE("router: responses reuse the caller's buffer", "[router]") {
  Fixture f;
  HttpResponse r;
  f.router.Handle({"POST", "/v2/models/alpha/infer", kInferBody, {}}, &r);
  REQUIRE(r.status == 200);
  f.router.Handle({"GET", "/v2/nope", {}, {}}, &r);
  CHECK(r.status == 404);
  CHECK(r.allow.empty());
  f.router.Handle({"GET", "/v2/health/live", {}, {}}, &r);
  CheckEmptyOk(r);
}
