// The strict libsvm model checker: every corruption is refused before libsvm sees the file.
#include <string>

#include <catch2/catch.hpp>

#include "runtimes/libsvm_model_file.h"

using modelrepo::internal::CheckLibSVMModel;

namespace {

// A valid 3-class model: 3 support vectors, 2 coefficients each.
const std::string kValid =
    "svm_type c_svc\n"
    "kernel_type rbf\n"
    "gamma 0.5\n"
    "nr_class 3\n"
    "total_sv 3\n"
    "rho 0.1 0.2 0.3\n"
    "label 1 2 3\n"
    "nr_sv 1 1 1\n"
    "SV\n"
    "1 0.5 1:0.25 3:1\n"
    "-1 0.5 2:1\n"
    "-1 -1 1:1 4:0.5 \n";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("a well-formed model passes and is described") {
  auto info = CheckLibSVMModel(kValid);
  REQUIRE(info.ok());
  CHECK(info->svm_type == "c_svc");
  CHECK(info->nr_class == 3);
  CHECK(info->labels == std::vector<int>{1, 2, 3});
  CHECK(info->max_index == 4);
  CHECK_FALSE(info->has_probability);
  auto with_prob = CheckLibSVMModel(Replace(kValid, "nr_sv", "probA 1 2 3\nprobB 1 2 3\nnr_sv"));
  REQUIRE(with_prob.ok());
  CHECK(with_prob->has_probability);
  auto crlf = CheckLibSVMModel(Replace(Replace(kValid, "rbf\n", "rbf\r\n"), "2:1\n", "2:1\r\n"));
  CHECK(crlf.ok());
  CHECK(CheckLibSVMModel(kValid + "\n\n  \n").ok());  // blank lines after the last support vector
}

TEST_CASE("regression and one-class models pass") {
  std::string svr =
      "svm_type epsilon_svr\nkernel_type linear\nnr_class 2\ntotal_sv 2\nrho 0.5\nSV\n"
      "0.5 1:1\n-0.5 2:1\n";
  auto info = CheckLibSVMModel(svr);
  REQUIRE(info.ok());
  CHECK(info->is_regression());
  CHECK(CheckLibSVMModel(Replace(svr, "rho 0.5\n", "rho 0.5\nprobA 0.3\n")).ok());
  CHECK(CheckLibSVMModel(Replace(svr, "epsilon_svr", "one_class")).ok());
}

TEST_CASE("corrupted, truncated and lying models are refused") {
  struct Case {
    const char* what;
    std::string text;
  } cases[] = {
      {"empty", ""},
      {"NUL byte", Replace(kValid, "gamma", std::string("gam\0ma", 6))},
      {"unknown key", Replace(kValid, "gamma 0.5", "gamma2 0.5")},
      {"unknown svm_type", Replace(kValid, "c_svc", "d_svc")},
      {"precomputed kernel", Replace(kValid, "rbf", "precomputed")},
      {"no SV section", kValid.substr(0, kValid.find("SV\n"))},
      {"nr_class huge", Replace(kValid, "nr_class 3", "nr_class 2000000000")},
      {"nr_class negative", Replace(kValid, "nr_class 3", "nr_class -3")},
      {"nr_class not a number", Replace(kValid, "nr_class 3", "nr_class three")},
      {"rho too short", Replace(kValid, "rho 0.1 0.2 0.3", "rho 0.1 0.2")},
      {"rho before nr_class", Replace(Replace(kValid, "nr_class 3\n", ""), "gamma 0.5", "gamma 0.5")},
      {"label count", Replace(kValid, "label 1 2 3", "label 1 2")},
      {"nr_sv does not add up", Replace(kValid, "nr_sv 1 1 1", "nr_sv 1 1 2")},
      {"total_sv lies high", Replace(Replace(kValid, "total_sv 3", "total_sv 4"), "nr_sv 1 1 1", "nr_sv 2 1 1")},
      {"total_sv lies low", Replace(Replace(kValid, "total_sv 3", "total_sv 2"), "nr_sv 1 1 1", "nr_sv 0 1 1")},
      {"truncated support vector", Replace(kValid, "-1 0.5 2:1", "-1")},
      {"truncated file", kValid.substr(0, kValid.find("-1 0.5"))},
      {"coefficient not a number", Replace(kValid, "-1 0.5 2:1", "-1 x 2:1")},
      {"index zero", Replace(kValid, "2:1\n", "0:1\n")},
      {"indices decrease", Replace(kValid, "1:0.25 3:1", "3:0.25 1:1")},
      {"index overflow", Replace(kValid, "2:1\n", "99999999999:1\n")},
      {"value not a number", Replace(kValid, "2:1\n", "2:abc\n")},
      {"infinite value", Replace(kValid, "2:1\n", "2:1e999\n")},
      {"probA without probB", Replace(kValid, "nr_sv", "probA 1 2 3\nnr_sv")},
      {"blank line among the support vectors", Replace(kValid, "-1 0.5 2:1\n", "\n-1 0.5 2:1\n")},
      {"whitespace line among the support vectors", Replace(kValid, "-1 0.5 2:1\n", " \t\n-1 0.5 2:1\n")},
      {"repeated probB", Replace(kValid, "nr_sv", "probA 1 2 3\nprobB 1 2 3\nprobB 1 2 3\nnr_sv")},
      {"repeated rho", Replace(kValid, "rho 0.1 0.2 0.3", "rho 0.1 0.2 0.3\nrho 0.1 0.2 0.3")},
      {"repeated svm_type", Replace(kValid, "kernel_type", "svm_type c_svc\nkernel_type")},
      {"regression with labels", "svm_type nu_svr\nkernel_type rbf\nnr_class 2\ntotal_sv 1\nrho 1\nlabel 1 2\nSV\n1 1:1\n"},
      {"classifier with one class", Replace(Replace(Replace(Replace(kValid, "nr_class 3", "nr_class 1"), "rho 0.1 0.2 0.3", "rho"), "label 1 2 3", "label 1"), "nr_sv 1 1 1", "nr_sv 3")},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto r = CheckLibSVMModel(c.text);
    CHECK(r.status().code() == modelrepo::StatusCode::kInvalidArgument);
  }
}
