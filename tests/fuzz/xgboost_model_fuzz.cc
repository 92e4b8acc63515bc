// Fuzzes the safe XGBoost load end to end: whatever LoadCheckedBooster accepts, XGBoost predicts
// on without a crash; whatever it refuses, it refuses without one (a legacy binary model is read
// in a child process, so only that child may die). When the own tree predictor takes the model,
// its predictions must equal XGBoost's bit for bit.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <xgboost/c_api.h>

#include "runtimes/xgboost_model_check.h"
#include "runtimes/xgboost_tree_predictor.h"

namespace {

bool SameFloat(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof(float)) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::unique_ptr<const modelrepo::internal::XGBoostTreePredictor> own;
  auto loaded = modelrepo::internal::LoadCheckedBooster(
      std::string(reinterpret_cast<const char*>(data), size), [&own](std::string_view json) {
        std::string why_not;
        own = modelrepo::internal::XGBoostTreePredictor::Build(json, &why_not);
      });
  if (!loaded.ok()) return 0;
  BoosterHandle booster = *loaded;
  bst_ulong features = 0;
  if (XGBoosterGetNumFeature(booster, &features) == 0 && features > 0 && features < 100000) {
    XGBoosterSetParam(booster, "nthread", "1");
    constexpr size_t kRows = 3;
    std::vector<float> rows(features * kRows);
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<float>(i % 7) - 3.0f;
    for (size_t i = 0; i < features; i += 3) rows[2 * features + i] = std::numeric_limits<float>::quiet_NaN();
    std::string array = "{\"data\":[" + std::to_string(reinterpret_cast<uintptr_t>(rows.data())) +
                        ",true],\"shape\":[" + std::to_string(kRows) + "," + std::to_string(features) +
                        "],\"typestr\":\"<f4\",\"version\":3}";
    const bst_ulong* shape;
    bst_ulong dim;
    const float* out;
    int rc = XGBoosterPredictFromDense(booster, array.c_str(),
                                       R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":true,"missing":NaN,"cache_id":0})",
                                       nullptr, &shape, &dim, &out);
    if (rc == 0 && own && own->num_feature() == static_cast<int64_t>(features)) {
      bst_ulong n = 1;
      for (bst_ulong d = 0; d < dim; ++d) n *= shape[d];
      const int64_t width = own->output_width();
      if (n == kRows * static_cast<bst_ulong>(width)) {
        std::vector<float> mine(n);
        own->Predict(rows.data(), kRows, mine.data());
        for (bst_ulong i = 0; i < n; ++i) {
          if (!SameFloat(mine[i], out[i])) __builtin_trap();  // the own predictor disagrees
        }
      }
    }
  }
  XGBoosterFree(booster);
  return 0;
}
