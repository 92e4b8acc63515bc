#include "options.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

namespace modelrepo::server {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool ParseBool(std::string_view text, bool* out) {
  std::string t = Lower(text);
  if (t == "true" || t == "1" || t == "yes" || t == "on") return *out = true, true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return *out = false, true;
  return false;
}

bool ParseInt(std::string_view text, long long lo, long long hi, long long* out) {
  long long v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || v < lo || v > hi) return false;
  *out = v;
  return true;
}

// "1048576", "64MiB", "64M", "512k", "1G" (binary multiples).
bool ParseSize(std::string_view text, uint64_t* out) {
  uint64_t v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr == text.data()) return false;
  std::string unit = Lower(std::string_view(r.ptr, text.data() + text.size() - r.ptr));
  int shift = 0;
  if (unit.empty() || unit == "b") shift = 0;
  else if (unit == "k" || unit == "kb" || unit == "kib") shift = 10;
  else if (unit == "m" || unit == "mb" || unit == "mib") shift = 20;
  else if (unit == "g" || unit == "gb" || unit == "gib") shift = 30;
  else return false;
  if (shift && v > (UINT64_MAX >> shift)) return false;
  *out = v << shift;
  return *out > 0;
}

// "30", "30s", "1.5", "500ms".
bool ParseSeconds(std::string_view text, double* out) {
  double v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr == text.data()) return false;
  std::string_view unit(r.ptr, text.data() + text.size() - r.ptr);
  if (unit == "ms") v /= 1000;
  else if (!unit.empty() && unit != "s") return false;
  if (!(v >= 0 && v <= 24 * 3600)) return false;
  *out = v;
  return true;
}

// A token is sent in an HTTP header: visible ASCII only, and long enough to resist guessing.
Status CheckToken(std::string_view token, std::string_view source) {
  constexpr size_t kMinLength = 16, kMaxLength = 4096;
  if (token.size() < kMinLength || token.size() > kMaxLength) {
    return Status::InvalidArgument(fmt::format("the repository API token from {} must be {} to {} characters long",
                                               source, kMinLength, kMaxLength));
  }
  for (unsigned char c : token) {
    if (c <= 0x20 || c >= 0x7F) {
      return Status::InvalidArgument(fmt::format(
          "the repository API token from {} may hold only visible ASCII characters", source));
    }
  }
  return Status::Ok();
}

StatusOr<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::InvalidArgument(fmt::format("cannot read the token file '{}'", path));
  std::string token(4097, '\0');
  file.read(token.data(), static_cast<std::streamsize>(token.size()));
  token.resize(static_cast<size_t>(file.gcount()));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  if (Status s = CheckToken(token, fmt::format("'{}'", path)); !s.ok()) return s;
  return token;
}

Status BadValue(std::string_view flag, std::string_view value, std::string_view expected) {
  return Status::InvalidArgument(fmt::format("invalid value '{}' for {}: expected {}", value, flag, expected));
}

}  // namespace

std::string UsageText() {
  return R"(Usage: modelrepo-server start <repository-folder> [options]
       modelrepo-server --help | --version

Serves the models of a model-repository folder over the V2 inference protocol (REST) and the
model repository API, like `mlserver start <folder>`.

Options:
  --host HOST                      address to listen on (default 127.0.0.1)
  --http-port PORT                 port to listen on; 0 picks a free one (default 8080)
  --http-engine beast|cpprest      HTTP implementation (default beast; cpprest is not meant for
                                   untrusted networks)
  --threads N                      HTTP worker threads (default: number of cores)
  --load-models-at-startup BOOL    load every model before turning ready (default true)
  --strict-readiness               readiness also requires every model to have loaded
  --debug                          debug logs and one access-log line per request
  --http-max-body SIZE             largest request body, e.g. 64MiB (default 64MiB)
  --http-idle-timeout SECONDS      time a connection has for a request's head, then for its
                                   body, and between requests (default 60)
  --http-max-connections N         open connections at most; more are closed at once (Beast
                                   engine; default 0: no limit but the file descriptors)
  --max-batch-elements N           most tensor elements one inference request may hold, all
                                   inputs together (default 16777216)
  --shutdown-timeout SECONDS       how long requests in flight may take to finish on
                                   SIGTERM/SIGINT (default 30)
  --model-control-mode explicit|none
                                   explicit: load and unload are served (default); none:
                                   they answer 403 (the index stays readable)
  --repository-api-token TOKEN     load and unload require "Authorization: Bearer TOKEN";
                                   required for them when --host is not a loopback address
  --repository-api-token-file PATH the token, read from a file (trailing newline removed)
  --help                           this text
  --version                        the version

<repository-folder>/settings.json may set host, http_port, load_models_at_startup, debug,
server_name and server_version; flags take precedence. The environment variable
MODELREPO_REPOSITORY_API_TOKEN sets the token when no flag does.
)";
}

StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine cl;
  ServerOptions& o = cl.options;
  std::vector<std::string> positional;
  bool token_set = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      cl.command = Command::kHelp;
      return cl;
    }
    if (arg == "--version") {
      cl.command = Command::kVersion;
      return cl;
    }
    std::string flag = arg;
    std::optional<std::string> inline_value;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      flag = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    auto value = [&]() -> StatusOr<std::string> {
      if (inline_value) return *inline_value;
      if (i + 1 >= args.size()) return Status::InvalidArgument(fmt::format("{} needs a value", flag));
      return args[++i];
    };
    // Switches: present means true; "--debug=false" is accepted too.
    auto switch_value = [&](bool* out) -> Status {
      if (!inline_value) return *out = true, Status::Ok();
      if (!ParseBool(*inline_value, out)) return BadValue(flag, *inline_value, "true or false");
      return Status::Ok();
    };

    if (flag == "--strict-readiness") {
      if (Status s = switch_value(&o.strict_readiness); !s.ok()) return s;
    } else if (flag == "--debug") {
      if (Status s = switch_value(&o.debug); !s.ok()) return s;
      cl.set_by_flags.push_back("debug");
    } else {
      static const char* const kValueFlags[] = {"--host", "--http-port", "--http-engine", "--threads",
                                                "--load-models-at-startup", "--http-max-body",
                                                "--shutdown-timeout", "--max-batch-elements", "--http-idle-timeout",
                                                "--http-max-connections", "--model-control-mode",
                                                "--repository-api-token", "--repository-api-token-file"};
      if (std::find(std::begin(kValueFlags), std::end(kValueFlags), flag) == std::end(kValueFlags)) {
        return Status::InvalidArgument(fmt::format("unknown option {}", flag));
      }
      auto v = value();
      if (!v.ok()) return v.status();
      long long n = 0;
      if (flag == "--host") {
        if (v->empty()) return BadValue(flag, *v, "a host name or address");
        o.host = *v;
        cl.set_by_flags.push_back("host");
      } else if (flag == "--http-port") {
        if (!ParseInt(*v, 0, 65535, &n)) return BadValue(flag, *v, "a port number 0-65535");
        o.http_port = static_cast<int>(n);
        cl.set_by_flags.push_back("http_port");
      } else if (flag == "--http-engine") {
        if (*v != "beast" && *v != "cpprest") return BadValue(flag, *v, "beast or cpprest");
        o.http_engine = *v;
      } else if (flag == "--threads") {
        if (!ParseInt(*v, 1, 1024, &n)) return BadValue(flag, *v, "a number of threads 1-1024");
        o.threads = static_cast<int>(n);
      } else if (flag == "--load-models-at-startup") {
        if (!ParseBool(*v, &o.load_models_at_startup)) return BadValue(flag, *v, "true or false");
        cl.set_by_flags.push_back("load_models_at_startup");
      } else if (flag == "--http-max-body") {
        if (!ParseSize(*v, &o.http_max_body)) return BadValue(flag, *v, "a size such as 1048576 or 64MiB");
      } else if (flag == "--shutdown-timeout") {
        if (!ParseSeconds(*v, &o.shutdown_timeout_seconds)) return BadValue(flag, *v, "seconds, such as 30");
      } else if (flag == "--http-idle-timeout") {
        if (!ParseInt(*v, 1, 24 * 3600, &n)) return BadValue(flag, *v, "whole seconds 1-86400");
        o.http_idle_timeout_seconds = static_cast<int>(n);
      } else if (flag == "--http-max-connections") {
        if (!ParseInt(*v, 0, 1000000, &n)) return BadValue(flag, *v, "a number of connections 0-1000000");
        o.http_max_connections = static_cast<int>(n);
      } else if (flag == "--max-batch-elements") {
        if (!ParseInt(*v, 1, int64_t{1} << 40, &n)) return BadValue(flag, *v, "a number of elements 1-2^40");
        o.max_batch_elements = n;
      } else if (flag == "--model-control-mode") {
        if (*v != "explicit" && *v != "none") return BadValue(flag, *v, "explicit or none");
        o.model_control_mode = *v;
      } else if (flag == "--repository-api-token") {
        if (Status s = CheckToken(*v, flag); !s.ok()) return s;
        o.repository_api_token = *v;
        token_set = true;
      } else if (flag == "--repository-api-token-file") {
        StatusOr<std::string> token = ReadTokenFile(*v);
        if (!token.ok()) return token.status();
        o.repository_api_token = *token;
        token_set = true;
      }
    }
  }
  if (positional.empty()) return Status::InvalidArgument("missing command: modelrepo-server start <repository-folder>");
  if (positional[0] != "start") {
    return Status::InvalidArgument(fmt::format("unknown command '{}': expected start", positional[0]));
  }
  if (positional.size() < 2) return Status::InvalidArgument("missing repository folder: modelrepo-server start <repository-folder>");
  if (positional.size() > 2) return Status::InvalidArgument(fmt::format("unexpected argument '{}'", positional[2]));
  o.repository = positional[1];
  if (!token_set) {
    if (const char* env = std::getenv("MODELREPO_REPOSITORY_API_TOKEN"); env && *env) {
      if (Status s = CheckToken(env, "MODELREPO_REPOSITORY_API_TOKEN"); !s.ok()) return s;
      o.repository_api_token = env;
    }
  }
  if (o.threads == 0) o.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return cl;
}

Status ApplySettings(std::string_view json, const std::vector<std::string>& set_by_flags,
                     ServerOptions* o) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError()) {
    return Status::InvalidArgument(fmt::format("settings.json: malformed JSON at offset {}: {}", doc.GetErrorOffset(),
                                               rapidjson::GetParseError_En(doc.GetParseError())));
  }
  if (!doc.IsObject()) return Status::InvalidArgument("settings.json: expected a JSON object");
  auto flag_set = [&](const char* key) {
    return std::find(set_by_flags.begin(), set_by_flags.end(), key) != set_by_flags.end();
  };
  auto bad = [](const char* key, const char* expected) {
    return Status::InvalidArgument(fmt::format("settings.json: '{}' must be {}", key, expected));
  };
  // Values may be strings, as MLServer (pydantic) coerces them.
  auto get_string = [&](const char* key, std::string* out) -> Status {
    auto it = doc.FindMember(key);
    if (it == doc.MemberEnd() || it->value.IsNull() || flag_set(key)) return Status::Ok();
    if (!it->value.IsString()) return bad(key, "a string");
    *out = it->value.GetString();
    return Status::Ok();
  };
  auto get_bool = [&](const char* key, bool* out) -> Status {
    auto it = doc.FindMember(key);
    if (it == doc.MemberEnd() || it->value.IsNull() || flag_set(key)) return Status::Ok();
    if (it->value.IsBool()) return *out = it->value.GetBool(), Status::Ok();
    if (it->value.IsString() && ParseBool(it->value.GetString(), out)) return Status::Ok();
    return bad(key, "true or false");
  };
  auto get_port = [&](const char* key, int* out) -> Status {
    auto it = doc.FindMember(key);
    if (it == doc.MemberEnd() || it->value.IsNull() || flag_set(key)) return Status::Ok();
    long long n = -1;
    if (it->value.IsInt64()) n = it->value.GetInt64();
    else if (it->value.IsString()) ParseInt(it->value.GetString(), 0, 65535, &n);
    if (n < 0 || n > 65535) return bad(key, "a port number 0-65535");
    *out = static_cast<int>(n);
    return Status::Ok();
  };
  if (Status s = get_string("host", &o->host); !s.ok()) return s;
  if (Status s = get_port("http_port", &o->http_port); !s.ok()) return s;
  if (Status s = get_bool("load_models_at_startup", &o->load_models_at_startup); !s.ok()) return s;
  if (Status s = get_bool("debug", &o->debug); !s.ok()) return s;
  if (Status s = get_string("server_name", &o->server_name); !s.ok()) return s;
  if (Status s = get_string("server_version", &o->server_version); !s.ok()) return s;
  if (o->host.empty()) return bad("host", "a host name or address");
  return Status::Ok();
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  // 127.0.0.0/8 in dotted-quad form.
  if (host.substr(0, 4) != "127.") return false;
  int parts = 0;
  size_t pos = 0;
  while (pos <= host.size()) {
    size_t dot = host.find('.', pos);
    std::string_view part = host.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
    long long v = 0;
    if (part.empty() || part.size() > 3 || !ParseInt(part, 0, 255, &v)) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  return parts == 4;
}

Status ApplySettingsFile(const std::vector<std::string>& set_by_flags, ServerOptions* options) {
  std::filesystem::path path = std::filesystem::path(options->repository) / "settings.json";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::Ok();
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::InvalidArgument("cannot read settings.json in the repository folder");
  std::stringstream text;
  text << file.rdbuf();
  return ApplySettings(text.str(), set_by_flags, options);
}

}  // namespace modelrepo::server
