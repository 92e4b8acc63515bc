// Fuzzes the safe XGBoost load end to end: whatever LoadCheckedBooster accepts, XGBoost predicts
// on without a crash; whatever it refuses, it refuses without one (a legacy binary model is read
// in a child process, so only that child may die).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <xgboost/c_api.h>

#include "runtimes/xgboost_model_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto loaded = modelrepo::internal::LoadCheckedBooster(
      std::string(reinterpret_cast<const char*>(data), size));
  if (!loaded.ok()) return 0;
  BoosterHandle booster = *loaded;
  bst_ulong features = 0;
  if (XGBoosterGetNumFeature(booster, &features) == 0 && features > 0 && features < 100000) {
    XGBoosterSetParam(booster, "nthread", "1");
    std::vector<float> rows(features * 2);
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<float>(i % 7) - 3.0f;
    std::string array = "{\"data\":[" + std::to_string(reinterpret_cast<uintptr_t>(rows.data())) +
                        ",true],\"shape\":[2," + std::to_string(features) +
                        "],\"typestr\":\"<f4\",\"version\":3}";
    const bst_ulong* shape;
    bst_ulong dim;
    const float* out;
    XGBoosterPredictFromDense(booster, array.c_str(),
                              R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false,"missing":NaN,"cache_id":0})",
                              nullptr, &shape, &dim, &out);
  }
  XGBoosterFree(booster);
  return 0;
}
