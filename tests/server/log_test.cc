// Log escaping: text from requests and model folders cannot forge log lines.
#include <catch2/catch.hpp>

#include <string>

#include "log.h"

using modelrepo::server::EscapeForLog;

TEST_CASE("log: control bytes are escaped, other text passes unchanged", "[log]") {
  CHECK(EscapeForLog("load mushroom-xgboost: 3.1 ms") == "load mushroom-xgboost: 3.1 ms");
  CHECK(EscapeForLog("a\nINFO  forged line") == "a\\x0aINFO  forged line");
  CHECK(EscapeForLog("a\r\n\t\x1b[31mred\x7f") == "a\\x0d\\x0a\\x09\\x1b[31mred\\x7f");
  CHECK(EscapeForLog(std::string("nul\0byte", 8)) == "nul\\x00byte");
  CHECK(EscapeForLog("caf\xc3\xa9") == "caf\xc3\xa9");  // UTF-8 stays readable
  CHECK(EscapeForLog("") == "");
}
