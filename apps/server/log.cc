#include "log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

#include <fmt/format.h>

namespace modelrepo::server {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO ";
    case LogLevel::kWarning: return "WARN ";
    case LogLevel::kError: return "ERROR";
  }
  return "?    ";
}

}  // namespace

void AppendEscapedForLog(std::string_view text, fmt::memory_buffer* out) {
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    auto next = [&](size_t k) { return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0; };
    if (c < 0x20 || c == 0x7F) {
      fmt::format_to(std::back_inserter(*out), "\\x{:02x}", c);
    } else if (c == 0xC2 && next(1) >= 0x80 && next(1) <= 0x9F) {
      // C1 controls in UTF-8 (NEL, U+0085, among them), which some tools take as line breaks.
      fmt::format_to(std::back_inserter(*out), "\\u{:04x}", next(1));
      i += 1;
    } else if (c == 0xE2 && next(1) == 0x80 && (next(2) == 0xA8 || next(2) == 0xA9)) {
      // U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR.
      fmt::format_to(std::back_inserter(*out), "\\u{:04x}", 0x2000 + (next(2) - 0x80));
      i += 2;
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
}

std::string EscapeForLog(std::string_view text) {
  fmt::memory_buffer out;
  AppendEscapedForLog(text, &out);
  return fmt::to_string(out);
}

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

void LogLine(LogLevel level, std::string_view message) {
  if (!LogEnabled(level)) return;
  try {
    auto now = std::chrono::system_clock::now();
    std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    fmt::memory_buffer line;
    fmt::format_to(std::back_inserter(line), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {} ",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                   ms, LevelName(level));
    AppendEscapedForLog(message, &line);
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stderr);
  } catch (...) {
    // Logging never takes the server down.
  }
}

}  // namespace modelrepo::server
