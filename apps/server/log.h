// Log lines through fmt: "2025-01-31T12:00:00.123Z INFO  message", one write per line, to stderr.
#ifndef MODELREPO_SERVER_LOG_H_
#define MODELREPO_SERVER_LOG_H_

#include <string_view>

#include "modelrepo/repository.h"

namespace modelrepo::server {

// Lines below `level` are dropped. Default: kInfo.
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

// Thread-safe; never throws.
void LogLine(LogLevel level, std::string_view message);

}  // namespace modelrepo::server

#endif  // MODELREPO_SERVER_LOG_H_
