// Log lines through fmt: "2025-01-31T12:00:00.123Z INFO  message", one write per line, to stderr.
#ifndef MODELREPO_SERVER_LOG_H_
#define MODELREPO_SERVER_LOG_H_

#include <string>
#include <string_view>

#include <fmt/format.h>

#include "modelrepo/repository.h"

namespace modelrepo::server {

// Lines below `level` are dropped. Default: kInfo.
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

// Thread-safe; never throws. The message is escaped as EscapeForLog does.
void LogLine(LogLevel level, std::string_view message);

// Control bytes (newline, carriage return, escape, ...) become \xNN, and the Unicode line breaks
// (C1 controls such as NEL, U+2028, U+2029) \uNNNN, so text taken from a request or a model folder
// cannot start a log line of its own; other bytes pass unchanged (a backslash too, so escaped
// text stays readable, not unambiguous).
std::string EscapeForLog(std::string_view text);
void AppendEscapedForLog(std::string_view text, fmt::memory_buffer* out);

}  // namespace modelrepo::server

#endif  // MODELREPO_SERVER_LOG_H_
