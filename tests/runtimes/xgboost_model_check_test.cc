// Hostile XGBoost model files: each is refused with a reason before the booster predicts, where
// XGBoost 1.7 alone would crash (out-of-range children or split features, deep nesting).
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "modelrepo/runtime.h"
#include "runtimes/xgboost_model_check.h"

using namespace modelrepo;
using internal::XGBoostFormat;

namespace {

const std::string kFixtures = MODELREPO_FIXTURES_DIR;
const std::string kExample = MODELREPO_EXAMPLES_DIR "/mushroom-xgboost/model.json";

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

// Loads `bytes` as a model file through the runtime.
Status LoadBytes(const std::string& bytes, const std::string& ext = ".json") {
  std::string path = kFixtures + "/hostile" + ext;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  ModelSettings s;
  s.name = "hostile";
  s.model_path = path;
  s.display_path = "hostile" + ext;
  return MakeXGBoostRuntime()->Load(s).status();
}

}  // namespace

TEST_CASE("valid models in the three formats pass the checks and load") {
  for (const char* f : {"binary.json", "binary.ubj", "binary.bst", "multi_softmax.json", "regression.json"}) {
    INFO(f);
    std::string bytes = Slurp(kFixtures + "/xgb/" + f);
    XGBoostFormat format;
    auto prepared = internal::PrepareXGBoostModel(bytes, &format);
    REQUIRE(prepared.ok());
    CHECK(LoadBytes(bytes, std::string(".") + (std::string(f).substr(std::string(f).find('.') + 1))).ok());
  }
  std::string pretty = "  \n" + Replace(Slurp(kExample), "{\"learner\"", "{\n  \"learner\"");
  CHECK(LoadBytes(pretty).ok());  // whitespace XGBoost's own buffer reader would refuse
}

TEST_CASE("trees whose indices are out of range are refused, not crashed on") {
  const std::string model = Slurp(kExample);
  struct {
    const char* what;
    std::string bytes;
    const char* reason;
  } cases[] = {
      {"child out of range", Replace(model, "\"left_children\":[1,3,5,", "\"left_children\":[100000,3,5,"), "children out of range"},
      {"negative child", Replace(model, "\"left_children\":[1,3,5,", "\"left_children\":[-7,3,5,"), "children out of range"},
      {"cycle to the root", Replace(model, "\"left_children\":[1,3,5,", "\"left_children\":[0,3,5,"), "children out of range"},
      {"split feature out of range", Replace(model, "\"split_indices\":[28,", "\"split_indices\":[1000000000,"), "splits on feature"},
      {"parent mismatch", Replace(model, "\"parents\":[2147483647,0,0,1,1,2,2", "\"parents\":[2147483647,0,0,1,1,2,1"), "parent does not match"},
      {"num_nodes lies", Replace(model, "\"num_nodes\":\"7\"", "\"num_nodes\":\"9\""), ""},
      {"tree_info names a missing class", Replace(model, "\"tree_info\":[0,0]", "\"tree_info\":[0,5]"), ""},
      {"duplicate tree id", Replace(model, "\"id\":1", "\"id\":0"), "id must equal its position"},
      {"tree id out of range", Replace(model, "\"id\":1", "\"id\":7"), "id must equal its position"},
      {"num_trees lies", Replace(model, "\"num_trees\":\"2\"", "\"num_trees\":\"3\""), "num_trees does not match"},
      {"num_parallel_tree zero", Replace(model, "\"num_parallel_tree\":\"1\"", "\"num_parallel_tree\":\"0\""),
       "num_parallel_tree is invalid"},
      {"num_class overflows", Replace(model, "\"num_class\":\"0\"", "\"num_class\":\"9223372036854775807\""),
       "invalid num_class or num_target"},
      {"more classes than trees", Replace(model, "\"num_class\":\"0\"", "\"num_class\":\"1852000000\""),
       "output groups (num_class, num_target) but only 2 trees"},
      {"num_target negative", Replace(model, "\"num_target\":\"1\"", "\"num_target\":\"-1\""),
       "invalid num_class or num_target"},
      {"num_deleted overflows", Replace(model, "\"num_deleted\":\"0\"", "\"num_deleted\":\"9223372036854775807\""),
       "not reachable from the root"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    Status s = LoadBytes(c.bytes);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK_THAT(s.message(), Catch::Contains(c.reason));
    CHECK(s.message().find(kFixtures) == std::string::npos);
  }
}

TEST_CASE("deep nesting, truncation and garbage are refused before XGBoost parses them") {
  CHECK_THAT(LoadBytes(std::string(200000, '[') + std::string(200000, ']')).message(), Catch::Contains("deeper"));
  CHECK_THAT(LoadBytes("{\"a\":" + std::string(100000, '[')).message(), Catch::Contains("deeper"));
  const std::string model = Slurp(kExample);
  CHECK(LoadBytes(model.substr(0, model.size() / 2)).code() == StatusCode::kInvalidArgument);
  CHECK(LoadBytes("").code() == StatusCode::kInvalidArgument);
  CHECK(LoadBytes(std::string("{\"learner\":\0}", 13)).code() == StatusCode::kInvalidArgument);

  const std::string ubj = Slurp(kFixtures + "/xgb/binary.ubj");
  CHECK(LoadBytes(ubj.substr(0, ubj.size() - 100), ".ubj").code() == StatusCode::kInvalidArgument);
  std::string deep_ubj = "{i\x01" "a";
  for (int i = 0; i < 100000; ++i) deep_ubj += "[";
  CHECK_THAT(LoadBytes(deep_ubj, ".ubj").message(), Catch::Contains("deeper"));
  // A typed array claiming 2^62 elements.
  std::string lying = std::string("{i\x01" "a[$d#L\x40\0\0\0\0\0\0\0", 16) + "}";
  CHECK_THAT(LoadBytes(lying, ".ubj").message(), Catch::Contains("count"));
  CHECK(LoadBytes(std::string("{\x01\x02\x03", 4), ".ubj").code() == StatusCode::kInvalidArgument);

  const std::string bst = Slurp(kFixtures + "/xgb/binary.bst");
  CHECK(LoadBytes(bst.substr(0, 40), ".bst").code() == StatusCode::kInvalidArgument);
  CHECK(LoadBytes("binf garbage", ".bst").code() == StatusCode::kInvalidArgument);
}

TEST_CASE("a legacy binary model whose lengths lie is read in a child process, and refused") {
  // Found by the fuzzer: a string length of 4 GiB. XGBoost's reader allocates it; here only the
  // converter process may, and its memory is capped.
  std::string lying = Slurp(MODELREPO_TEST_DATA_DIR "/legacy_huge_length.bst");
  Status s = LoadBytes(lying, ".bst");
  CHECK(s.code() == StatusCode::kInvalidArgument);
  INFO(s.message());
  CHECK(s.message().find('/') == std::string::npos);
  auto converted = internal::ConvertLegacyModelIsolated(Slurp(kFixtures + "/xgb/binary.bst"));
  REQUIRE(converted.ok());
  CHECK(converted->rfind("{\"learner\"", 0) == 0);
}
