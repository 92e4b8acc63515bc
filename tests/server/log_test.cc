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
  // Unicode line breaks: NEL (U+0085) and the C1 controls, U+2028, U+2029.
  CHECK(EscapeForLog("a\xc2\x85" "b") == "a\\u0085b");
  CHECK(EscapeForLog("a\xc2\x9f") == "a\\u009f");
  CHECK(EscapeForLog("a\xe2\x80\xa8" "b\xe2\x80\xa9") == "a\\u2028b\\u2029");
  CHECK(EscapeForLog("\xc2\xa0\xe2\x80\x94") == "\xc2\xa0\xe2\x80\x94");  // NBSP and an em dash stay
  CHECK(EscapeForLog("\xc2") == "\xc2");  // a truncated sequence at the end
}
