// modelrepo-xgboost-convert: reads an XGBoost model from standard input and writes it to standard
// output as XGBoost's JSON, preceded by one byte: 'J' for the model, or 'E' then an error message.
//
// libmodelrepo runs it, with bounded memory and CPU time, on legacy binary models: XGBoost's
// reader of that format trusts every length in the file, so a hostile file may exhaust memory or
// crash the reader, and only this process should pay for that. The JSON it writes is then checked
// like any JSON model before the server's own booster reads it.
#include <cstdio>
#include <cstring>
#include <string>

#include <unistd.h>

#include <xgboost/c_api.h>

namespace {

bool WriteAll(const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(1, p, n);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

int Fail(const char* message) {
  std::string out = std::string("E") + message;
  ::_exit(WriteAll(out.data(), out.size()) ? 2 : 3);
}

}  // namespace

int main() {
  std::string bytes;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(0, buf, sizeof buf);
    if (n < 0) return Fail("cannot read the model");
    if (n == 0) break;
    bytes.append(buf, static_cast<size_t>(n));
  }
  BoosterHandle booster = nullptr;
  bst_ulong len = 0;
  const char* json = nullptr;
  if (XGBoosterCreate(nullptr, 0, &booster) != 0 || XGBoosterSetParam(booster, "nthread", "1") != 0 ||
      XGBoosterLoadModelFromBuffer(booster, bytes.data(), bytes.size()) != 0 ||
      XGBoosterSaveModelToBuffer(booster, R"({"format":"json"})", &len, &json) != 0) {
    return Fail(XGBGetLastError());
  }
  // _exit: nothing is left to clean up, and a leak checker in an instrumented build must not
  // turn a good conversion into a failed exit status.
  ::_exit(WriteAll("J", 1) && WriteAll(json, len) ? 0 : 3);
}
