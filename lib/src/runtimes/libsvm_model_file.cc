#include "runtimes/libsvm_model_file.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

namespace modelrepo::internal {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::vector<std::string_view> Split(std::string_view line) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !IsSpace(line[i])) ++i;
    if (i > start) tokens.push_back(line.substr(start, i - start));
  }
  return tokens;
}

bool ParseDouble(std::string_view s, double* out) {
  if (s.empty() || s.size() > 64) return false;
  char buf[65];
  s.copy(buf, s.size());
  buf[s.size()] = '\0';
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(buf, &end);
  if (end != buf + s.size() || errno == ERANGE || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

bool ParseInt(std::string_view s, int64_t lo, int64_t hi, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  char buf[21];
  s.copy(buf, s.size());
  buf[s.size()] = '\0';
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(buf, &end, 10);
  if (end != buf + s.size() || errno == ERANGE || v < lo || v > hi) return false;
  *out = v;
  return true;
}

}  // namespace

StatusOr<LibSVMModelInfo> CheckLibSVMModel(std::string_view text) {
  LibSVMModelInfo info;
  size_t pos = 0;
  int line_no = 0;
  auto next_line = [&](std::string_view* line) {
    if (pos >= text.size()) return false;
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    *line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    return true;
  };
  auto error = [&](std::string why) {
    return Status::InvalidArgument(fmt::format("invalid libsvm model, line {}: {}", line_no, why));
  };
  if (text.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("invalid libsvm model: the file contains NUL bytes");
  }

  bool seen_nr_class = false, seen_total_sv = false, seen_sv = false;
  size_t rho_count = 0, label_count = 0, prob_a = 0, prob_b = 0, nr_sv_count = 0;
  int64_t nr_sv_sum = 0;
  std::string_view line;
  std::vector<std::string_view> keys;  // header keys seen so far
  while (next_line(&line)) {
    auto tok = Split(line);
    if (tok.empty()) continue;
    std::string_view key = tok[0];
    size_t n = tok.size() - 1;
    // libsvm allocates a table per header line and leaks the first of a repeated one.
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
      return error(fmt::format("header key '{}' appears twice", key.substr(0, 40)));
    }
    keys.push_back(key);
    auto numbers = [&](size_t* count) -> Status {
      for (size_t i = 1; i < tok.size(); ++i) {
        double v;
        if (!ParseDouble(tok[i], &v)) return error(fmt::format("'{}' is not a number", tok[i]));
      }
      *count = n;
      return Status::Ok();
    };
    if (key == "svm_type") {
      if (n != 1) return error("svm_type takes one value");
      if (tok[1] != "c_svc" && tok[1] != "nu_svc" && tok[1] != "one_class" &&
          tok[1] != "epsilon_svr" && tok[1] != "nu_svr") {
        return error(fmt::format("unknown svm_type '{}'", tok[1]));
      }
      info.svm_type = tok[1];
    } else if (key == "kernel_type") {
      if (n != 1) return error("kernel_type takes one value");
      if (tok[1] == "precomputed") return error("precomputed kernels cannot be served");
      if (tok[1] != "linear" && tok[1] != "polynomial" && tok[1] != "rbf" && tok[1] != "sigmoid") {
        return error(fmt::format("unknown kernel_type '{}'", tok[1]));
      }
      info.kernel_type = tok[1];
    } else if (key == "degree") {
      int64_t v;
      if (n != 1 || !ParseInt(tok[1], 0, 1000, &v)) return error("degree takes one integer in 0..1000");
    } else if (key == "gamma" || key == "coef0") {
      double v;
      if (n != 1 || !ParseDouble(tok[1], &v)) return error(fmt::format("{} takes one number", key));
    } else if (key == "nr_class") {
      int64_t v;
      if (n != 1 || !ParseInt(tok[1], 1, kMaxLibSVMClasses, &v)) {
        return error(fmt::format("nr_class takes one integer in 1..{}", kMaxLibSVMClasses));
      }
      info.nr_class = static_cast<int>(v);
      seen_nr_class = true;
    } else if (key == "total_sv") {
      int64_t v;
      if (n != 1 || !ParseInt(tok[1], 0, std::numeric_limits<int>::max(), &v)) {
        return error("total_sv takes one non-negative integer");
      }
      info.total_sv = v;
      seen_total_sv = true;
    } else if (key == "rho" || key == "probA" || key == "probB" || key == "label" || key == "nr_sv") {
      if (!seen_nr_class) return error(fmt::format("{} before nr_class", key));
      size_t* count = key == "rho" ? &rho_count : key == "probA" ? &prob_a : key == "probB" ? &prob_b
                      : key == "label" ? &label_count : &nr_sv_count;
      if (key == "label" || key == "nr_sv") {
        for (size_t i = 1; i < tok.size(); ++i) {
          int64_t v;
          if (!ParseInt(tok[i], key == "label" ? std::numeric_limits<int>::min() : 0,
                        std::numeric_limits<int>::max(), &v)) {
            return error(fmt::format("{} takes integers; '{}' is not one", key, tok[i]));
          }
          if (key == "label") info.labels.push_back(static_cast<int>(v));
          else nr_sv_sum += v;
        }
        *count = n;
      } else if (Status s = numbers(count); !s.ok()) {
        return s;
      }
    } else if (key == "SV") {
      if (n != 0) return error("SV takes no value");
      seen_sv = true;
      break;
    } else {
      return error(fmt::format("unknown header key '{}'", key.substr(0, 40)));
    }
  }

  if (info.svm_type.empty()) return error("no svm_type");
  if (info.kernel_type.empty()) return error("no kernel_type");
  if (!seen_nr_class) return error("no nr_class");
  if (!seen_total_sv) return error("no total_sv");
  if (!seen_sv) return error("no SV section");
  const int64_t k = info.nr_class;
  const size_t pairs = static_cast<size_t>(k * (k - 1) / 2);
  if (info.is_classifier()) {
    if (k < 2) return error("a classifier needs nr_class >= 2");
    if (rho_count != pairs) return error(fmt::format("rho needs {} values, has {}", pairs, rho_count));
    if (label_count != static_cast<size_t>(k)) return error(fmt::format("label needs {} values", k));
    if (nr_sv_count != static_cast<size_t>(k)) return error(fmt::format("nr_sv needs {} values", k));
    if (nr_sv_sum != info.total_sv) return error("nr_sv does not add up to total_sv");
    if (prob_a != prob_b || (prob_a != 0 && prob_a != pairs)) {
      return error(fmt::format("probA and probB need {} values each", pairs));
    }
    info.has_probability = prob_a == pairs;
  } else {
    if (k != 2) return error(fmt::format("{} models have nr_class 2", info.svm_type));
    if (rho_count != 1) return error("rho needs 1 value");
    if (label_count != 0 || nr_sv_count != 0) {
      return error(fmt::format("{} models have no label or nr_sv", info.svm_type));
    }
    if (prob_b != 0 || prob_a > 1 || (prob_a == 1 && !info.is_regression())) {
      return error("unexpected probA/probB");
    }
  }

  // Support vectors: k-1 coefficients then index:value pairs, increasing positive indices.
  const size_t coefs = static_cast<size_t>(k - 1);
  int64_t svs = 0;
  while (next_line(&line)) {
    auto tok = Split(line);
    if (tok.empty()) {
      // libsvm reads the next total_sv lines as support vectors, blank or not (a blank one makes
      // it parse a null pointer); blank lines after the last one are never read.
      if (svs < info.total_sv) return error("a blank line among the support vectors");
      continue;
    }
    if (svs == info.total_sv) return error("more support vectors than total_sv");
    if (tok.size() < coefs) return error(fmt::format("a support vector needs {} coefficients", coefs));
    for (size_t i = 0; i < coefs; ++i) {
      double v;
      if (!ParseDouble(tok[i], &v)) return error(fmt::format("'{}' is not a coefficient", tok[i].substr(0, 40)));
    }
    int64_t last = 0;
    for (size_t i = coefs; i < tok.size(); ++i) {
      size_t colon = tok[i].find(':');
      int64_t index;
      double value;
      if (colon == std::string_view::npos ||
          !ParseInt(tok[i].substr(0, colon), 1, std::numeric_limits<int>::max(), &index) ||
          !ParseDouble(tok[i].substr(colon + 1), &value)) {
        return error(fmt::format("'{}' is not index:value", tok[i].substr(0, 40)));
      }
      if (index <= last) return error("feature indices must increase");
      last = index;
    }
    info.max_index = std::max<int>(info.max_index, static_cast<int>(last));
    ++svs;
  }
  if (svs != info.total_sv) {
    return error(fmt::format("total_sv is {} but the file has {} support vectors", info.total_sv, svs));
  }
  return info;
}

}  // namespace modelrepo::internal
