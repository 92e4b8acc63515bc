#include "runtimes/xgboost_tree_predictor.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>
#include <rapidjson/document.h>

namespace modelrepo::internal {
namespace {

using Value = rapidjson::Value;

const Value* Member(const Value& v, const char* key) {
  if (!v.IsObject()) return nullptr;
  auto it = v.FindMember(key);
  return it == v.MemberEnd() ? nullptr : &it->value;
}

// The document is parsed with numbers kept as their text, so that every float is read with
// strtof: correctly rounded, it gives back exactly the float XGBoost printed in shortest form.
// XGBoost writes counts as strings ("126") and arrays of numbers as numbers: both arrive here as
// strings.
bool ToInt(const Value* v, int64_t* out) {
  if (!v) return false;
  if (v->IsBool()) {
    *out = v->GetBool() ? 1 : 0;
    return true;
  }
  if (!v->IsString() || v->GetStringLength() == 0) return false;
  const char* s = v->GetString();
  char* end = nullptr;
  errno = 0;
  long long x = std::strtoll(s, &end, 10);
  if (errno != 0 || end != s + v->GetStringLength()) return false;
  *out = x;
  return true;
}

bool ToFloat(const Value* v, float* out) {
  if (!v || !v->IsString() || v->GetStringLength() == 0) return false;
  const char* s = v->GetString();
  char* end = nullptr;
  float x = std::strtof(s, &end);
  if (end != s + v->GetStringLength()) return false;
  *out = x;
  return true;
}

const Value* Array(const Value& parent, const char* key, size_t n) {
  const Value* v = Member(parent, key);
  return v && v->IsArray() && v->Size() == n ? v : nullptr;
}

// XGBoost 1.7's logistic transform (common::Sigmoid), in float.
float Sigmoid(float x) {
  constexpr float kEps = static_cast<float>(1e-16);
  const float t = std::min(-x, 88.7f);
  const float denom = std::exp(t) + 1.0f + kEps;
  return 1.0f / denom;
}

// XGBoost 1.7's softmax over one row (common::Softmax): float max and exponentials, their sum in
// double, each exponential divided by the sum rounded to float.
void Softmax(float* v, int32_t k) {
  float top = v[0];
  for (int32_t j = 1; j < k; ++j) top = std::fmax(v[j], top);
  double sum = 0.0;
  for (int32_t j = 0; j < k; ++j) {
    v[j] = std::exp(v[j] - top);
    sum += v[j];
  }
  const float denom = static_cast<float>(sum);
  for (int32_t j = 0; j < k; ++j) v[j] /= denom;
}

// The first index of the largest value, by `>` as XGBoost's FindMaxIndex compares.
int32_t ArgMax(const float* v, int32_t k) {
  int32_t best = 0;
  for (int32_t j = 1; j < k; ++j) {
    if (v[j] > v[best]) best = j;
  }
  return best;
}

}  // namespace

std::unique_ptr<const XGBoostTreePredictor> XGBoostTreePredictor::Build(std::string_view json,
                                                                        std::string* why_not) {
  auto no = [&](std::string why) {
    if (why_not) *why_not = std::move(why);
    return nullptr;
  };
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag |
            rapidjson::kParseNanAndInfFlag>(json.data(), json.size());
  if (doc.HasParseError()) return no("the exported model is not JSON");
  const Value* learner = Member(doc, "learner");
  if (!learner) return no("no learner");
  const Value* mparam = Member(*learner, "learner_model_param");
  const Value* objective = Member(*learner, "objective");
  const Value* objective_name = objective ? Member(*objective, "name") : nullptr;
  const Value* booster = Member(*learner, "gradient_booster");
  const Value* booster_name = booster ? Member(*booster, "name") : nullptr;
  if (!mparam || !objective_name || !objective_name->IsString() || !booster_name ||
      !booster_name->IsString()) {
    return no("no model parameters, objective or booster");
  }
  const std::string_view kind = booster_name->GetString();
  if (kind != "gbtree") return no(fmt::format("booster {}", kind.substr(0, 40)));

  int64_t num_feature = 0, num_class = 0, num_target = 1;
  float base_score = 0;
  if (!ToInt(Member(*mparam, "num_feature"), &num_feature) || num_feature < 1 ||
      num_feature > std::numeric_limits<int32_t>::max() ||
      !ToInt(Member(*mparam, "num_class"), &num_class) ||
      !ToFloat(Member(*mparam, "base_score"), &base_score) || !std::isfinite(base_score)) {
    return no("no valid learner_model_param");
  }
  if (const Value* t = Member(*mparam, "num_target"); t && !ToInt(t, &num_target)) {
    return no("no valid num_target");
  }
  if (num_target > 1) return no("several targets");

  auto predictor = std::unique_ptr<XGBoostTreePredictor>(new XGBoostTreePredictor());
  const std::string_view obj = objective_name->GetString();
  // base_score is stored as the objective's output; at load XGBoost turns it into a margin.
  if (obj == "binary:logistic" || obj == "reg:logistic") {
    if (!(base_score > 0.0f && base_score < 1.0f)) return no("base_score outside (0, 1)");
    predictor->transform_ = Transform::kSigmoid;
    predictor->base_margin_ = -std::log(1.0f / base_score - 1.0f);
  } else if (obj == "binary:logitraw" || obj == "reg:squarederror" || obj == "reg:linear" ||
             obj == "reg:squaredlogerror" || obj == "reg:pseudohubererror" ||
             obj == "reg:absoluteerror") {
    predictor->transform_ = Transform::kIdentity;
    predictor->base_margin_ = base_score;
  } else if (obj == "multi:softprob" || obj == "multi:softmax") {
    predictor->transform_ = obj == "multi:softprob" ? Transform::kSoftprob : Transform::kSoftmax;
    predictor->base_margin_ = base_score;
  } else {
    return no(fmt::format("objective {}", obj.substr(0, 40)));
  }
  const bool multi = predictor->transform_ == Transform::kSoftprob ||
                     predictor->transform_ == Transform::kSoftmax;
  if (multi ? num_class < 2 : num_class > 1) return no("num_class does not fit the objective");
  if (num_class > std::numeric_limits<int32_t>::max()) return no("too many classes");
  predictor->num_groups_ = multi ? static_cast<int32_t>(num_class) : 1;
  predictor->num_feature_ = num_feature;

  const Value* model = Member(*booster, "model");
  const Value* trees = model ? Member(*model, "trees") : nullptr;
  if (!trees || !trees->IsArray()) return no("no trees");
  const Value* info = Array(*model, "tree_info", trees->Size());
  if (!info) return no("tree_info does not match the trees");
  if (const Value* fp = Member(*model, "gbtree_model_param")) {
    int64_t leaf_vector = 0;
    if (const Value* s = Member(*fp, "size_leaf_vector"); s && (!ToInt(s, &leaf_vector) || leaf_vector != 0)) {
      return no("vector leaves");
    }
  }
  if (const Value* types = Member(*learner, "feature_types"); types && types->IsArray()) {
    for (const auto& t : types->GetArray()) {
      if (t.IsString() && std::string_view(t.GetString()) == "c") return no("categorical features");
    }
  }

  size_t total = 0;
  for (const auto& tree : trees->GetArray()) {
    const Value* param = Member(tree, "tree_param");
    int64_t n = 0;
    if (!param || !ToInt(Member(*param, "num_nodes"), &n) || n < 1) return no("no num_nodes");
    total += static_cast<size_t>(n);
    if (total >= kDefaultLeft) return no("too many nodes");
  }
  predictor->nodes_.reserve(total);
  predictor->roots_.reserve(trees->Size());
  predictor->groups_.reserve(trees->Size());

  for (rapidjson::SizeType t = 0; t < trees->Size(); ++t) {
    const Value& tree = (*trees)[t];
    auto bad = [&](const char* why) { return no(fmt::format("tree {}: {}", t, why)); };
    int64_t group = 0, id = -1, n = 0, leaf_vector = 0;
    if (!ToInt(&(*info)[t], &group) || group < 0 || group >= predictor->num_groups_) {
      return bad("tree_info names no output group");
    }
    if (!ToInt(Member(tree, "id"), &id) || id != static_cast<int64_t>(t)) return bad("id is not its position");
    const Value* param = Member(tree, "tree_param");
    ToInt(Member(*param, "num_nodes"), &n);
    if (const Value* s = Member(*param, "size_leaf_vector"); s && (!ToInt(s, &leaf_vector) || leaf_vector != 0)) {
      return bad("vector leaves");
    }
    const size_t nodes = static_cast<size_t>(n);
    const Value* left = Array(tree, "left_children", nodes);
    const Value* right = Array(tree, "right_children", nodes);
    const Value* split = Array(tree, "split_indices", nodes);
    const Value* cond = Array(tree, "split_conditions", nodes);
    const Value* dleft = Array(tree, "default_left", nodes);
    if (!left || !right || !split || !cond || !dleft) return bad("node arrays do not match num_nodes");
    if (const Value* types = Member(tree, "split_type")) {
      if (!types->IsArray() || types->Size() != nodes) return bad("split_type does not match num_nodes");
      for (const auto& v : types->GetArray()) {
        int64_t type = -1;
        if (!ToInt(&v, &type) || type != 0) return bad("categorical split");
      }
    }
    const uint32_t offset = static_cast<uint32_t>(predictor->nodes_.size());
    for (rapidjson::SizeType i = 0; i < nodes; ++i) {
      int64_t l = 0, r = 0, f = 0, d = 0;
      float value = 0;
      if (!ToInt(&(*left)[i], &l) || !ToInt(&(*right)[i], &r) || !ToInt(&(*split)[i], &f) ||
          !ToInt(&(*dleft)[i], &d) || !ToFloat(&(*cond)[i], &value)) {
        return bad("a node field is not a number");
      }
      Node node{value, 0, 0};
      if (l == -1) {
        if (r != -1) return bad("a node with one child");
      } else {
        // XGBoost goes to left + 1 for "not less than" and to right_children for a missing value
        // that defaults right: only trees where these agree are reproduced.
        if (l <= 0 || r >= n || r != l + 1) return bad("right child is not left child + 1");
        if (f < 0 || f >= num_feature) return bad("split feature out of range");
        if (d != 0 && d != 1) return bad("default_left is not 0 or 1");
        node.feature = static_cast<uint32_t>(f) | (d ? kDefaultLeft : 0u);
        node.left = offset + static_cast<uint32_t>(l);
      }
      predictor->nodes_.push_back(node);
    }
    // Every path from the root must end at a leaf: a walk of at most num_nodes steps.
    std::vector<uint32_t> stack{offset};
    size_t visited = 0;
    while (!stack.empty()) {
      const Node& node = predictor->nodes_[stack.back()];
      stack.pop_back();
      if (++visited > nodes) return bad("a node is reached twice");
      if (node.left != 0) {
        stack.push_back(node.left);
        stack.push_back(node.left + 1);
      }
    }
    predictor->roots_.push_back(offset);
    predictor->groups_.push_back(static_cast<uint32_t>(group));
  }
  return predictor;
}

inline float XGBoostTreePredictor::TreeLeaf(uint32_t index, const float* row) const {
  const Node* nodes = nodes_.data();
  for (;;) {
    const Node& node = nodes[index];
    if (node.left == 0) return node.value;
    const float v = row[node.feature & ~kDefaultLeft];
    const bool go_left = std::isnan(v) ? (node.feature & kDefaultLeft) != 0 : v < node.value;
    index = node.left + (go_left ? 0u : 1u);
  }
}

inline void XGBoostTreePredictor::RowMargins(const float* row, float* margins) const {
  for (int32_t g = 0; g < num_groups_; ++g) margins[g] = base_margin_;
  const size_t n = roots_.size();
  if (num_groups_ == 1) {
    float sum = base_margin_;
    for (size_t t = 0; t < n; ++t) sum += TreeLeaf(roots_[t], row);
    margins[0] = sum;
    return;
  }
  for (size_t t = 0; t < n; ++t) margins[groups_[t]] += TreeLeaf(roots_[t], row);
}

void XGBoostTreePredictor::PredictMargin(const float* x, int64_t rows, float* out) const {
  for (int64_t i = 0; i < rows; ++i) RowMargins(x + i * num_feature_, out + i * num_groups_);
}

void XGBoostTreePredictor::Predict(const float* x, int64_t rows, float* out) const {
  switch (transform_) {
    case Transform::kIdentity:
      PredictMargin(x, rows, out);
      return;
    case Transform::kSigmoid:
      for (int64_t i = 0; i < rows; ++i) {
        RowMargins(x + i * num_feature_, out + i);
        out[i] = Sigmoid(out[i]);
      }
      return;
    case Transform::kSoftprob:
      for (int64_t i = 0; i < rows; ++i) {
        float* m = out + i * num_groups_;
        RowMargins(x + i * num_feature_, m);
        Softmax(m, num_groups_);
      }
      return;
    case Transform::kSoftmax: {
      // One row's margins: on the stack for up to 64 classes, else in a per-thread buffer that
      // is kept from call to call.
      float small[64];
      float* m = small;
      if (num_groups_ > 64) {
        thread_local std::vector<float> large;
        if (large.size() < static_cast<size_t>(num_groups_)) large.resize(num_groups_);
        m = large.data();
      }
      for (int64_t i = 0; i < rows; ++i) {
        RowMargins(x + i * num_feature_, m);
        out[i] = static_cast<float>(ArgMax(m, num_groups_));
      }
      return;
    }
  }
}

}  // namespace modelrepo::internal
