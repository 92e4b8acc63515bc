// Fuzzes the strict libsvm model checker, and proves its promise: whatever it accepts, libsvm
// loads and predicts on without a crash or an out-of-bounds read (under ASan).
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <libsvm/svm.h>

#include "runtimes/libsvm_model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto info = modelrepo::internal::CheckLibSVMModel(text);
  if (!info.ok()) return 0;
  if (info->nr_class > 64 || info->max_index > 4096) return 0;  // keep iterations fast
  int fd = memfd_create("fuzz", MFD_CLOEXEC);
  if (fd < 0 || write(fd, data, size) != static_cast<ssize_t>(size)) __builtin_trap();
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  svm_model* model = svm_load_model(path.c_str());
  close(fd);
  if (!model) return 0;  // libsvm may still refuse (e.g. a value it cannot read): never crash
  std::vector<svm_node> x;
  for (int i = 1; i <= info->max_index + 1; ++i) x.push_back({i, 0.5 * i});
  x.push_back({-1, 0});
  std::vector<double> out(static_cast<size_t>(info->nr_class) * info->nr_class + 1);
  svm_predict_values(model, x.data(), out.data());
  if (svm_check_probability_model(model) && info->is_classifier()) {
    svm_predict_probability(model, x.data(), out.data());
  }
  svm_free_and_destroy_model(&model);
  return 0;
}
