// A strict reader of libsvm's model file format (libsvm 3.24). libsvm's own svm_load_model
// trusts its input: header counts that lie, truncated support vectors or a huge nr_class make it
// crash or read stale memory. Every file is checked here before libsvm sees it. Internal.
#ifndef MODELREPO_SRC_RUNTIMES_LIBSVM_MODEL_FILE_H_
#define MODELREPO_SRC_RUNTIMES_LIBSVM_MODEL_FILE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "modelrepo/status.h"

namespace modelrepo::internal {

struct LibSVMModelInfo {
  std::string svm_type;     // c_svc, nu_svc, one_class, epsilon_svr, nu_svr
  std::string kernel_type;  // linear, polynomial, rbf, sigmoid
  int nr_class = 0;
  int64_t total_sv = 0;
  std::vector<int> labels;  // classification only, in the model's order
  bool has_probability = false;
  int max_index = 0;        // the highest feature index any support vector uses

  bool is_classifier() const { return svm_type == "c_svc" || svm_type == "nu_svc"; }
  bool is_regression() const { return svm_type == "epsilon_svr" || svm_type == "nu_svr"; }
};

// Upper bounds that keep a hostile header from asking for absurd allocations.
constexpr int kMaxLibSVMClasses = 65536;

// Checks that `text` is a complete, consistent libsvm model: known header keys with the right
// number of values, counts that agree with each other and with the support vectors that follow,
// every support vector well formed (nr_class-1 coefficients, then index:value pairs with
// increasing positive indices). InvalidArgument naming the first problem and its line otherwise.
StatusOr<LibSVMModelInfo> CheckLibSVMModel(std::string_view text);

}  // namespace modelrepo::internal

#endif  // MODELREPO_SRC_RUNTIMES_LIBSVM_MODEL_FILE_H_
