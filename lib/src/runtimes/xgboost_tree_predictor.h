// Our own predictor for the common XGBoost models: tree ensembles (booster "gbtree") with scalar
// leaves and numerical splits only, under an objective whose output transform is implemented here
// (identity, logistic, softprob, softmax). Built once at load from the model as XGBoost exports it
// in JSON, it reproduces XGBoost 1.7's CPU predictor bit for bit:
//   - every output group starts at base_score, converted to a margin as the objective does at load
//     (logistic objectives store it as a probability: margin = -logf(1 / p - 1) in float);
//   - each tree adds its leaf, in float, in tree order, to its group (tree_info);
//   - a split sends a value left when `value < condition` (float comparison), a NaN (the missing
//     value) to the node's default side; -0.0, infinities and huge values are plain comparisons;
//   - the sigmoid, softmax and argmax are computed in float as XGBoost 1.7 does.
// Anything else (dart, gblinear, categorical splits, vector leaves, several targets, other
// objectives, trees whose right child is not left child + 1, which XGBoost walks as if it were)
// is not supported: Build says why, and the caller uses XGBoost itself.
// Internal to libmodelrepo. Immutable after Build, so one instance serves any number of threads.
#ifndef MODELREPO_SRC_RUNTIMES_XGBOOST_TREE_PREDICTOR_H_
#define MODELREPO_SRC_RUNTIMES_XGBOOST_TREE_PREDICTOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace modelrepo {
class LoadedModel;
}

namespace modelrepo::internal {

class XGBoostTreePredictor {
 public:
  enum class Transform {
    kIdentity,  // regression-like objectives and binary:logitraw: the margin itself
    kSigmoid,   // binary:logistic, reg:logistic
    kSoftprob,  // multi:softprob: softmax over the classes
    kSoftmax,   // multi:softmax: index of the largest margin
  };

  // Builds the predictor from a model as XGBoost 1.7 exports it in JSON (XGBoosterSaveModelToBuffer
  // with format json: every float written in its shortest round-trip form). Returns null and sets
  // *why_not when the model is outside what this predictor reproduces exactly.
  static std::unique_ptr<const XGBoostTreePredictor> Build(std::string_view json,
                                                           std::string* why_not);

  int64_t num_feature() const { return num_feature_; }
  int32_t num_groups() const { return num_groups_; }
  Transform transform() const { return transform_; }
  // Values per row of Predict: the class count for multi:softprob, else 1.
  int64_t output_width() const { return transform_ == Transform::kSoftprob ? num_groups_ : 1; }

  // Margins (XGBoost's prediction type 1): rows x num_groups floats into out.
  void PredictMargin(const float* x, int64_t rows, float* out) const;
  // What XGBoost's prediction type 0 returns: rows x output_width floats into out.
  void Predict(const float* x, int64_t rows, float* out) const;

 private:
  XGBoostTreePredictor() = default;

  // One node, 12 bytes. A leaf has left == 0 (no node has the first root as a child) and its leaf
  // value in value; a split node tests feature (low 31 bits; bit 31 is "missing goes left")
  // against value and continues at left (value < condition) or left + 1. Indices are global.
  struct Node {
    float value;
    uint32_t feature;
    uint32_t left;
  };
  static constexpr uint32_t kDefaultLeft = 0x80000000u;

  float TreeLeaf(uint32_t root, const float* row) const;
  void RowMargins(const float* row, float* margins) const;

  std::vector<Node> nodes_;
  std::vector<uint32_t> roots_;   // per tree, in XGBoost's order
  std::vector<uint32_t> groups_;  // per tree: its output group
  float base_margin_ = 0;
  int64_t num_feature_ = 0;
  int32_t num_groups_ = 1;
  Transform transform_ = Transform::kIdentity;
};

// Whether a model loaded by the XGBoost runtime predicts with XGBoostTreePredictor (false for any
// other model). Defined in xgboost_runtime.cc; for tests.
bool XGBoostModelUsesOwnPredictor(const LoadedModel& model);

}  // namespace modelrepo::internal

#endif  // MODELREPO_SRC_RUNTIMES_XGBOOST_TREE_PREDICTOR_H_
