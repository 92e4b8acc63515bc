// Checks of XGBoost model files, made before a booster built from them ever predicts.
//
// XGBoost 1.7 trusts its model files: a JSON model whose tree child or split indices are out of
// range loads, then crashes at the first prediction; deeply nested JSON or UBJSON overflows its
// recursive parsers. So the runtime (1) checks the file's syntax and nesting depth without
// recursion and hands XGBoost exactly the checked bytes, and (2) once XGBoost has read them,
// exports the model as JSON and checks every tree's structure against the model's feature count.
// Internal to libmodelrepo.
#ifndef MODELREPO_SRC_RUNTIMES_XGBOOST_MODEL_CHECK_H_
#define MODELREPO_SRC_RUNTIMES_XGBOOST_MODEL_CHECK_H_

#include <functional>
#include <string>
#include <string_view>

#include "modelrepo/status.h"

namespace modelrepo::internal {

enum class XGBoostFormat { kJson, kUbjson, kLegacyBinary };

// Deepest nesting a model file may have; XGBoost's own models nest about 6 levels.
constexpr int kMaxModelNesting = 64;

// Tells the format from the first bytes, checks JSON and UBJSON syntax and depth iteratively,
// and returns the bytes to give XGBoost: compact JSON for JSON (XGBoost's buffer reader needs
// the text to start with '{"'), the file's bytes otherwise. InvalidArgument on any problem.
StatusOr<std::string> PrepareXGBoostModel(std::string bytes, XGBoostFormat* format);

// Checks a model as XGBoost exports it in JSON: booster kind, tree count against tree_info,
// and for every tree: array lengths, children in range with matching parents, every node
// reached exactly once from the root, split features below the model's feature count,
// categorical splits within their category lists. For gblinear, the weight count.
Status CheckXGBoostModelJson(std::string_view json);

// The whole safe load: prepares the bytes; checks a JSON model's structure before XGBoost reads
// it (its loader trusts the tree arrays); has a UBJSON or legacy binary model converted to JSON
// by XGBoost in a child process with bounded memory and CPU time, then checks that JSON; loads the
// checked JSON, checks the loaded model once more as XGBoost exports it, and returns the booster
// (a BoosterHandle the caller frees with XGBoosterFree). Errors are InvalidArgument.
// `on_export`, when given, sees that checked export (valid only during the call).
StatusOr<void*> LoadCheckedBooster(std::string bytes,
                                   const std::function<void(std::string_view)>& on_export = {});

// Converts UBJSON or legacy binary model bytes to XGBoost's JSON in a child process
// (modelrepo-xgboost-convert); a crash or a memory blow-up there is an error here.
StatusOr<std::string> ConvertLegacyModelIsolated(const std::string& bytes);

}  // namespace modelrepo::internal

#endif  // MODELREPO_SRC_RUNTIMES_XGBOOST_MODEL_CHECK_H_
