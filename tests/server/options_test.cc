// modelrepo-server's flags and settings.json.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "options.h"

using namespace modelrepo;
using namespace modelrepo::server;

namespace {

CommandLine Parse(std::vector<std::string> args) {
  auto cl = ParseCommandLine(args);
  INFO(cl.status().message());
  REQUIRE(cl.ok());
  return *cl;
}

std::string ParseError(std::vector<std::string> args) {
  auto cl = ParseCommandLine(args);
  REQUIRE_FALSE(cl.ok());
  CHECK(cl.status().code() == StatusCode::kInvalidArgument);
  return cl.status().message();
}

}  // namespace

TEST_CASE("options: defaults", "[options]") {
  CommandLine cl = Parse({"start", "models"});
  CHECK(cl.command == Command::kStart);
  const ServerOptions& o = cl.options;
  CHECK(o.repository == "models");
  CHECK(o.host == "127.0.0.1");
  CHECK(o.http_port == 8080);
  CHECK(o.http_engine == "beast");
  CHECK(o.threads >= 1);
  CHECK(o.load_models_at_startup);
  CHECK_FALSE(o.strict_readiness);
  CHECK_FALSE(o.debug);
  CHECK(o.http_max_body == 64u * 1024 * 1024);
  CHECK(o.shutdown_timeout_seconds == 30);
  CHECK(cl.set_by_flags.empty());
}

TEST_CASE("options: every flag, with a space or an equals sign", "[options]") {
  CommandLine cl = Parse({"start", "--host", "0.0.0.0", "--http-port=0", "--http-engine", "cpprest", "--threads=3",
                          "--load-models-at-startup", "false", "--strict-readiness", "--debug",
                          "--http-max-body", "1MiB", "--shutdown-timeout=2.5", "repo"});
  const ServerOptions& o = cl.options;
  CHECK(o.repository == "repo");
  CHECK(o.host == "0.0.0.0");
  CHECK(o.http_port == 0);
  CHECK(o.http_engine == "cpprest");
  CHECK(o.threads == 3);
  CHECK_FALSE(o.load_models_at_startup);
  CHECK(o.strict_readiness);
  CHECK(o.debug);
  CHECK(o.http_max_body == 1024 * 1024);
  CHECK(o.shutdown_timeout_seconds == 2.5);
  CHECK(Parse({"start", "m", "--http-max-body=1000"}).options.http_max_body == 1000);
  CHECK(Parse({"start", "m", "--http-max-body=2k"}).options.http_max_body == 2048);
  CHECK(Parse({"start", "m", "--shutdown-timeout=500ms"}).options.shutdown_timeout_seconds == 0.5);
  CHECK_FALSE(Parse({"start", "m", "--debug=false"}).options.debug);
  CHECK(Parse({"start", "m"}).options.max_batch_elements == 16777216);
  CHECK(Parse({"start", "m"}).options.http_idle_timeout_seconds == 60);
  CHECK(Parse({"start", "m", "--http-idle-timeout", "5"}).options.http_idle_timeout_seconds == 5);
  CHECK_THAT(ParseError({"start", "m", "--http-idle-timeout", "0"}), Catch::Contains("--http-idle-timeout"));
  CHECK(Parse({"start", "m"}).options.http_max_connections == 0);
  CHECK(Parse({"start", "m", "--http-max-connections=100"}).options.http_max_connections == 100);
  CHECK_THAT(ParseError({"start", "m", "--http-max-connections", "-1"}), Catch::Contains("--http-max-connections"));
  CHECK(Parse({"start", "m", "--max-batch-elements", "1000"}).options.max_batch_elements == 1000);
  CHECK_THAT(ParseError({"start", "m", "--max-batch-elements", "0"}), Catch::Contains("--max-batch-elements"));
}

TEST_CASE("options: help and version", "[options]") {
  CHECK(Parse({"--help"}).command == Command::kHelp);
  CHECK(Parse({"start", "-h"}).command == Command::kHelp);
  CHECK(Parse({"--version"}).command == Command::kVersion);
  CHECK_THAT(UsageText(), Catch::Contains("modelrepo-server start <repository-folder>"));
}

TEST_CASE("options: mistakes are reported", "[options]") {
  CHECK_THAT(ParseError({}), Catch::Contains("missing command"));
  CHECK_THAT(ParseError({"serve", "m"}), Catch::Contains("unknown command 'serve'"));
  CHECK_THAT(ParseError({"start"}), Catch::Contains("missing repository folder"));
  CHECK_THAT(ParseError({"start", "a", "b"}), Catch::Contains("unexpected argument 'b'"));
  CHECK_THAT(ParseError({"start", "m", "--nope"}), Catch::Contains("unknown option --nope"));
  CHECK_THAT(ParseError({"start", "m", "--http-port"}), Catch::Contains("--http-port needs a value"));
  CHECK_THAT(ParseError({"start", "m", "--http-port", "70000"}), Catch::Contains("invalid value '70000' for --http-port"));
  CHECK_THAT(ParseError({"start", "m", "--http-engine", "nginx"}), Catch::Contains("beast or cpprest"));
  CHECK_THAT(ParseError({"start", "m", "--threads", "0"}), Catch::Contains("--threads"));
  CHECK_THAT(ParseError({"start", "m", "--load-models-at-startup", "maybe"}), Catch::Contains("true or false"));
  CHECK_THAT(ParseError({"start", "m", "--http-max-body", "lots"}), Catch::Contains("--http-max-body"));
  CHECK_THAT(ParseError({"start", "m", "--http-max-body", "0"}), Catch::Contains("--http-max-body"));
  CHECK_THAT(ParseError({"start", "m", "--shutdown-timeout", "-1"}), Catch::Contains("--shutdown-timeout"));
}

TEST_CASE("settings.json: read, unknown keys ignored, flags win", "[options]") {
  ServerOptions o;
  REQUIRE(ApplySettings(R"({"host":"0.0.0.0","http_port":9000,"grpc_port":9500,"load_models_at_startup":false,)"
                        R"("debug":true,"server_name":"mlserver","server_version":"1.5.0","parallel_workers":0,)"
                        R"("metrics_endpoint":null})",
                        {}, &o)
              .ok());
  CHECK(o.host == "0.0.0.0");
  CHECK(o.http_port == 9000);
  CHECK_FALSE(o.load_models_at_startup);
  CHECK(o.debug);
  CHECK(o.server_name == "mlserver");
  CHECK(o.server_version == "1.5.0");

  ServerOptions flags;
  flags.host = "127.0.0.2";
  flags.http_port = 1234;
  REQUIRE(ApplySettings(R"({"host":"0.0.0.0","http_port":9000,"debug":"true"})", {"host", "http_port"}, &flags).ok());
  CHECK(flags.host == "127.0.0.2");
  CHECK(flags.http_port == 1234);
  CHECK(flags.debug);  // strings are coerced, as MLServer does

  ServerOptions bad;
  CHECK_THAT(ApplySettings("{", {}, &bad).message(), Catch::StartsWith("settings.json: malformed JSON"));
  CHECK_THAT(ApplySettings("[]", {}, &bad).message(), Catch::Contains("expected a JSON object"));
  CHECK_THAT(ApplySettings(R"({"http_port":"eighty"})", {}, &bad).message(), Catch::Contains("'http_port'"));
  CHECK_THAT(ApplySettings(R"({"http_port":70000})", {}, &bad).message(), Catch::Contains("'http_port'"));
  CHECK_THAT(ApplySettings(R"({"debug":3})", {}, &bad).message(), Catch::Contains("'debug' must be true or false"));
  CHECK_THAT(ApplySettings(R"({"host":1})", {}, &bad).message(), Catch::Contains("'host' must be a string"));
}

TEST_CASE("options: model control mode and the repository API token", "[options]") {
  unsetenv("MODELREPO_REPOSITORY_API_TOKEN");
  CHECK(Parse({"start", "m"}).options.model_control_mode == "explicit");
  CHECK(Parse({"start", "m"}).options.repository_api_token.empty());
  CHECK(Parse({"start", "m", "--model-control-mode", "none"}).options.model_control_mode == "none");
  CHECK_THAT(ParseError({"start", "m", "--model-control-mode", "poll"}), Catch::Contains("explicit or none"));

  const std::string token = "0123456789abcdef-token";
  CHECK(Parse({"start", "m", "--repository-api-token", token}).options.repository_api_token == token);
  CHECK_THAT(ParseError({"start", "m", "--repository-api-token", "short"}), Catch::Contains("16 to 4096 characters"));
  CHECK_THAT(ParseError({"start", "m", "--repository-api-token", "0123456789abcdef ghi"}),
             Catch::Contains("visible ASCII"));

  // From a file, as a Kubernetes secret is mounted; the trailing newline is not part of it.
  std::string path = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/modelrepo-token-test";
  {
    std::ofstream file(path);
    file << token << "\n";
  }
  CHECK(Parse({"start", "m", "--repository-api-token-file", path}).options.repository_api_token == token);
  std::remove(path.c_str());
  CHECK_THAT(ParseError({"start", "m", "--repository-api-token-file", path}), Catch::Contains("cannot read the token file"));

  // From the environment when no flag sets it; a flag wins.
  setenv("MODELREPO_REPOSITORY_API_TOKEN", "from-the-environment-0001", 1);
  CHECK(Parse({"start", "m"}).options.repository_api_token == "from-the-environment-0001");
  CHECK(Parse({"start", "m", "--repository-api-token", token}).options.repository_api_token == token);
  setenv("MODELREPO_REPOSITORY_API_TOKEN", "short", 1);
  CHECK_THAT(ParseError({"start", "m"}), Catch::Contains("MODELREPO_REPOSITORY_API_TOKEN"));
  unsetenv("MODELREPO_REPOSITORY_API_TOKEN");
}

TEST_CASE("options: loopback hosts", "[options]") {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"}) {
    INFO(host);
    CHECK(modelrepo::server::IsLoopbackHost(host));
  }
  for (const char* host : {"0.0.0.0", "::", "10.0.0.1", "127.0.0", "127.0.0.1.5", "127.0.0.256", "127.a.0.1",
                           "128.0.0.1", "example.com", "localhost.example.com", ""}) {
    INFO(host);
    CHECK_FALSE(modelrepo::server::IsLoopbackHost(host));
  }
}
