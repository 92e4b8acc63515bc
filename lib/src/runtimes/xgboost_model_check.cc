#include "runtimes/xgboost_model_check.h"

#include "runtimes/errors.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <vector>

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <xgboost/c_api.h>

namespace modelrepo::internal {
namespace {

Status Invalid(std::string why) {
  return Status::InvalidArgument(fmt::format("invalid XGBoost model: {}", why));
}

// --- JSON: a SAX pass that writes compact JSON and refuses deep nesting.
using CompactWriter = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                                        rapidjson::CrtAllocator, rapidjson::kWriteNanAndInfFlag>;

struct DepthLimitedCopy : CompactWriter {
  explicit DepthLimitedCopy(rapidjson::StringBuffer& out) : CompactWriter(out) {}
  int depth = 0;
  bool too_deep = false;
  bool StartObject() { return Enter() && CompactWriter::StartObject(); }
  bool StartArray() { return Enter() && CompactWriter::StartArray(); }
  bool EndObject(rapidjson::SizeType n) { --depth; return CompactWriter::EndObject(n); }
  bool EndArray(rapidjson::SizeType n) { --depth; return CompactWriter::EndArray(n); }
  bool Enter() {
    if (++depth > kMaxModelNesting) too_deep = true;
    return !too_deep;
  }
};

StatusOr<std::string> CompactJson(const std::string& bytes) {
  rapidjson::StringBuffer out;
  DepthLimitedCopy copy(out);
  rapidjson::Reader reader;
  rapidjson::StringStream in(bytes.c_str());
  // Not kParseFullPrecisionFlag: Debian's RapidJSON 1.1 then calls clz(0) (undefined) on some
  // inputs. The normal path is within a double's last bit, far finer than the float32 values
  // XGBoost stores, so every value reads back as the same float.
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseNanAndInfFlag;
  if (bytes.find('\0') != std::string::npos) return Invalid("the JSON file contains NUL bytes");
  rapidjson::ParseResult ok = reader.Parse<kFlags>(in, copy);
  if (copy.too_deep) return Invalid(fmt::format("JSON nested deeper than {} levels", kMaxModelNesting));
  if (!ok) {
    return Invalid(fmt::format("JSON syntax error at offset {}: {}", ok.Offset(),
                               rapidjson::GetParseError_En(ok.Code())));
  }
  return std::string(out.GetString(), out.GetSize());
}

// --- UBJSON: an iterative walk that checks every value's framing and the nesting depth.
class UbjWalker {
 public:
  explicit UbjWalker(std::string_view b) : b_(b) {}

  Status Walk() {
    char root;
    if (!Byte(&root) || root != '{') return Invalid("UBJSON must start with an object");
    if (Status s = Value(root); !s.ok()) return s;
    while (!stack_.empty()) {
      size_t top = stack_.size() - 1;
      if (stack_[top].counted) {
        if (stack_[top].remaining == 0) {
          stack_.pop_back();
          continue;
        }
        --stack_[top].remaining;
      } else {
        if (p_ >= b_.size()) return Invalid("UBJSON ends inside a container");
        if (b_[p_] == (stack_[top].object ? '}' : ']')) {
          ++p_;
          stack_.pop_back();
          continue;
        }
      }
      if (stack_[top].object) {  // a key: length-prefixed string without its 'S'
        char m;
        int64_t len;
        if (!Byte(&m) || !Int(m, &len) || len < 0 || !Skip(len)) return Invalid("bad UBJSON key");
      }
      char m = stack_[top].type;
      if (m == 0 && !Byte(&m)) return Invalid("UBJSON ends inside a container");
      if (Status s = Value(m); !s.ok()) return s;
    }
    if (p_ != b_.size()) return Invalid("bytes after the end of the UBJSON document");
    return Status::Ok();
  }

 private:
  struct Frame {
    bool object;
    bool counted;
    int64_t remaining;
    char type;  // element type of a typed container, else 0
  };

  bool Byte(char* c) {
    if (p_ >= b_.size()) return false;
    *c = b_[p_++];
    return true;
  }
  bool Skip(int64_t n) {
    if (n < 0 || static_cast<uint64_t>(n) > b_.size() - p_) return false;
    p_ += static_cast<size_t>(n);
    return true;
  }
  bool Int(char marker, int64_t* v) {
    int size;
    switch (marker) {
      case 'i': case 'U': size = 1; break;
      case 'I': size = 2; break;
      case 'l': size = 4; break;
      case 'L': size = 8; break;
      default: return false;
    }
    if (b_.size() - p_ < static_cast<size_t>(size)) return false;
    uint64_t u = 0;
    for (int i = 0; i < size; ++i) u = u << 8 | static_cast<unsigned char>(b_[p_ + i]);
    p_ += size;
    switch (marker) {
      case 'i': *v = static_cast<int8_t>(u); break;
      case 'U': *v = static_cast<uint8_t>(u); break;
      case 'I': *v = static_cast<int16_t>(u); break;
      case 'l': *v = static_cast<int32_t>(u); break;
      default: *v = static_cast<int64_t>(u); break;
    }
    return true;
  }

  Status Value(char m) {
    switch (m) {
      case 'Z': case 'N': case 'T': case 'F': return Status::Ok();
      case 'i': case 'U': case 'C': return Skip(1) ? Status::Ok() : Invalid("truncated UBJSON");
      case 'I': return Skip(2) ? Status::Ok() : Invalid("truncated UBJSON");
      case 'l': case 'd': return Skip(4) ? Status::Ok() : Invalid("truncated UBJSON");
      case 'L': case 'D': return Skip(8) ? Status::Ok() : Invalid("truncated UBJSON");
      case 'S': case 'H': {
        char lm;
        int64_t len;
        if (!Byte(&lm) || !Int(lm, &len) || !Skip(len)) return Invalid("bad UBJSON string");
        return Status::Ok();
      }
      case '[': case '{': {
        if (stack_.size() >= static_cast<size_t>(kMaxModelNesting)) {
          return Invalid(fmt::format("UBJSON nested deeper than {} levels", kMaxModelNesting));
        }
        Frame f{m == '{', false, 0, 0};
        if (p_ < b_.size() && b_[p_] == '$') {
          ++p_;
          if (!Byte(&f.type) || f.type == '[' || f.type == '{') return Invalid("bad UBJSON container type");
          if (p_ >= b_.size() || b_[p_] != '#') return Invalid("a typed UBJSON container needs a count");
        }
        if (p_ < b_.size() && b_[p_] == '#') {
          ++p_;
          char cm;
          if (!Byte(&cm) || !Int(cm, &f.remaining) || f.remaining < 0) return Invalid("bad UBJSON count");
          f.counted = true;
          // Elements take at least one byte each (fixed-size types more): a count that
          // cannot fit in the rest of the file is a lie.
          if (static_cast<uint64_t>(f.remaining) > b_.size() - p_) return Invalid("UBJSON count exceeds the file");
        }
        stack_.push_back(f);
        return Status::Ok();
      }
      default:
        return Invalid(fmt::format("unknown UBJSON marker 0x{:02x}", static_cast<unsigned char>(m)));
    }
  }

  std::string_view b_;
  size_t p_ = 0;
  std::vector<Frame> stack_;
};

// --- Structure of an exported model.
using Value = rapidjson::Value;

const Value* Member(const Value& v, const char* key) {
  if (!v.IsObject()) return nullptr;
  auto it = v.FindMember(key);
  return it == v.MemberEnd() ? nullptr : &it->value;
}

// XGBoost writes counts as decimal strings ("126").
bool IntField(const Value& parent, const char* key, int64_t* out) {
  const Value* v = Member(parent, key);
  if (!v) return false;
  if (v->IsInt64()) {
    *out = v->GetInt64();
    return true;
  }
  if (!v->IsString()) return false;
  const char* s = v->GetString();
  char* end = nullptr;
  long long x = std::strtoll(s, &end, 10);
  if (end == s || *end != '\0') return false;
  *out = x;
  return true;
}

const Value* IntArray(const Value& tree, const char* key, size_t n) {
  const Value* v = Member(tree, key);
  if (!v || !v->IsArray() || v->Size() != n) return nullptr;
  for (const auto& e : v->GetArray()) {
    if (!e.IsInt64()) return nullptr;
  }
  return v;
}

Status CheckTree(const Value& tree, size_t index, int64_t num_feature) {
  auto bad = [&](std::string why) { return Invalid(fmt::format("tree {}: {}", index, why)); };
  // XGBoost places each tree at the position its "id" names: a duplicate leaves a hole that
  // prediction dereferences.
  const Value* id = Member(tree, "id");
  if (!id || !id->IsInt64() || id->GetInt64() != static_cast<int64_t>(index)) {
    return bad("its id must equal its position in the tree list");
  }
  const Value* param = Member(tree, "tree_param");
  int64_t n = 0, leaf_vector = 0;
  if (!param || !IntField(*param, "num_nodes", &n) || n < 1 || n > (int64_t{1} << 31)) {
    return bad("no valid tree_param.num_nodes");
  }
  IntField(*param, "size_leaf_vector", &leaf_vector);
  if (leaf_vector != 0) return bad("vector leaves are not supported");
  const size_t nodes = static_cast<size_t>(n);
  const Value* left = IntArray(tree, "left_children", nodes);
  const Value* right = IntArray(tree, "right_children", nodes);
  const Value* parents = IntArray(tree, "parents", nodes);
  const Value* split = IntArray(tree, "split_indices", nodes);
  if (!left || !right || !parents || !split) return bad("child, parent or split arrays do not match num_nodes");
  for (const char* key : {"split_conditions", "default_left", "base_weights", "loss_changes", "sum_hessian"}) {
    const Value* v = Member(tree, key);
    if (!v || !v->IsArray() || v->Size() != nodes) return bad(fmt::format("{} does not match num_nodes", key));
  }
  const Value* split_type = Member(tree, "split_type");
  if (split_type && (!split_type->IsArray() || split_type->Size() != nodes)) {
    return bad("split_type does not match num_nodes");
  }

  // Categorical splits: each categorical node's segment lies within the category list.
  std::vector<bool> categorical(nodes, false);
  if (split_type) {
    for (size_t i = 0; i < nodes; ++i) {
      const Value& t = (*split_type)[static_cast<rapidjson::SizeType>(i)];
      if (!t.IsInt64() || (t.GetInt64() != 0 && t.GetInt64() != 1)) return bad("split_type must be 0 or 1");
      categorical[i] = t.GetInt64() == 1;
    }
    const Value* cats = Member(tree, "categories");
    const Value* cat_nodes = Member(tree, "categories_nodes");
    const Value* segments = Member(tree, "categories_segments");
    const Value* sizes = Member(tree, "categories_sizes");
    size_t with_categories = 0;
    if (cats && cat_nodes && segments && sizes && cats->IsArray() && cat_nodes->IsArray() &&
        segments->IsArray() && sizes->IsArray() && cat_nodes->Size() == segments->Size() &&
        cat_nodes->Size() == sizes->Size()) {
      for (const auto& c : cats->GetArray()) {
        if (!c.IsInt64() || c.GetInt64() < 0 || c.GetInt64() >= (int64_t{1} << 24)) {
          return bad("categories must be integers in [0, 2^24)");
        }
      }
      for (rapidjson::SizeType j = 0; j < cat_nodes->Size(); ++j) {
        const Value& node = (*cat_nodes)[j];
        const Value& seg = (*segments)[j];
        const Value& size = (*sizes)[j];
        if (!node.IsInt64() || !seg.IsInt64() || !size.IsInt64() || node.GetInt64() < 0 ||
            node.GetInt64() >= n || !categorical[node.GetInt64()] || seg.GetInt64() < 0 ||
            size.GetInt64() < 0 || seg.GetInt64() > static_cast<int64_t>(cats->Size()) ||
            size.GetInt64() > static_cast<int64_t>(cats->Size()) - seg.GetInt64()) {
          return bad("categorical split tables are inconsistent");
        }
        ++with_categories;
      }
    } else if (std::find(categorical.begin(), categorical.end(), true) != categorical.end()) {
      return bad("categorical splits without category tables");
    }
    size_t categorical_nodes = 0;
    for (size_t i = 0; i < nodes; ++i) {
      categorical_nodes += categorical[i] && (*left)[static_cast<rapidjson::SizeType>(i)].GetInt64() != -1;
    }
    if (with_categories != categorical_nodes) return bad("categorical split tables are inconsistent");
  }

  // Children in range, parents matching, and every node reached once from the root.
  std::vector<uint8_t> seen(nodes, 0);
  std::vector<size_t> queue{0};
  seen[0] = 1;
  size_t reached = 0;
  while (!queue.empty()) {
    size_t i = queue.back();
    queue.pop_back();
    ++reached;
    auto si = static_cast<rapidjson::SizeType>(i);
    int64_t l = (*left)[si].GetInt64(), r = (*right)[si].GetInt64();
    if (l == -1 && r == -1) continue;  // leaf
    if (l <= 0 || r <= 0 || l >= n || r >= n || l == r) {
      return bad(fmt::format("node {} has children out of range", i));
    }
    int64_t feature = (*split)[si].GetInt64();
    if (feature < 0 || feature >= num_feature) {
      return bad(fmt::format("node {} splits on feature {} of {}", i, feature, num_feature));
    }
    for (int64_t c : {l, r}) {
      if ((*parents)[static_cast<rapidjson::SizeType>(c)].GetInt64() != static_cast<int64_t>(i)) {
        return bad(fmt::format("node {}'s parent does not match", c));
      }
      if (seen[c]) return bad(fmt::format("node {} is reached twice", c));
      seen[c] = 1;
      queue.push_back(static_cast<size_t>(c));
    }
  }
  int64_t deleted = 0;
  if (param) IntField(*param, "num_deleted", &deleted);
  if (deleted < 0 || deleted > n || static_cast<int64_t>(reached) != n - deleted) {
    return bad("nodes not reachable from the root");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::string> PrepareXGBoostModel(std::string bytes, XGBoostFormat* format) {
  if (bytes.size() >= 4 && std::memcmp(bytes.data(), "binf", 4) == 0) {
    *format = XGBoostFormat::kLegacyBinary;
    return bytes;
  }
  size_t first = bytes.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return Invalid("the file is empty");
  if (bytes[first] == '{' && first == 0 && bytes.size() > 1 && bytes[1] != '"' && bytes[1] != ' ' &&
      bytes[1] != '\n' && bytes[1] != '\r' && bytes[1] != '\t' && bytes[1] != '}') {
    *format = XGBoostFormat::kUbjson;
    if (Status s = UbjWalker(bytes).Walk(); !s.ok()) return s;
    return bytes;
  }
  if (bytes[first] == '{' || bytes[first] == '[') {
    *format = XGBoostFormat::kJson;
    return CompactJson(bytes);
  }
  *format = XGBoostFormat::kLegacyBinary;  // models of XGBoost before 1.0 have no "binf" header
  return bytes;
}

Status CheckXGBoostModelJson(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseNanAndInfFlag>(json.data(), json.size());
  if (doc.HasParseError()) return Invalid("the exported model is not JSON");
  const Value* learner = Member(doc, "learner");
  const Value* mparam = learner ? Member(*learner, "learner_model_param") : nullptr;
  int64_t num_feature = 0, num_class = 0, num_target = 1;
  if (!mparam || !IntField(*mparam, "num_feature", &num_feature) || num_feature < 1 ||
      num_feature > std::numeric_limits<int32_t>::max()) {
    return Invalid("no valid learner_model_param.num_feature");
  }
  IntField(*mparam, "num_class", &num_class);
  IntField(*mparam, "num_target", &num_target);
  constexpr int64_t kMaxCount = std::numeric_limits<int32_t>::max();
  if (num_class < 0 || num_class > kMaxCount || num_target < 0 || num_target > kMaxCount) {
    return Invalid("learner_model_param has an invalid num_class or num_target");
  }
  const Value* booster = Member(*learner, "gradient_booster");
  const Value* name = booster ? Member(*booster, "name") : nullptr;
  if (!name || !name->IsString()) return Invalid("no gradient_booster.name");
  std::string_view kind = name->GetString();
  const int64_t groups = std::max<int64_t>({num_class, num_target, 1});

  if (kind == "gblinear") {
    const Value* model = Member(*booster, "model");
    const Value* weights = model ? Member(*model, "weights") : nullptr;
    if (!weights || !weights->IsArray() ||
        static_cast<int64_t>(weights->Size()) != (num_feature + 1) * groups) {
      return Invalid("gblinear weights do not match the feature and class counts");
    }
    return Status::Ok();
  }
  const Value* model = nullptr;
  const Value* weight_drop = nullptr;
  if (kind == "gbtree") {
    model = Member(*booster, "model");
  } else if (kind == "dart") {
    const Value* inner = Member(*booster, "gbtree");
    model = inner ? Member(*inner, "model") : nullptr;
    weight_drop = Member(*booster, "weight_drop");
    if (!weight_drop || !weight_drop->IsArray()) return Invalid("dart model without weight_drop");
  } else {
    return Invalid(fmt::format("unknown booster '{}'", kind.substr(0, 40)));
  }
  const Value* trees = model ? Member(*model, "trees") : nullptr;
  const Value* info = model ? Member(*model, "tree_info") : nullptr;
  if (!trees || !trees->IsArray() || !info || !info->IsArray() || info->Size() != trees->Size()) {
    return Invalid("trees and tree_info do not match");
  }
  // XGBoost sizes its tables by these counts and divides by num_parallel_tree.
  const Value* tree_param = Member(*model, "gbtree_model_param");
  int64_t num_trees = -1, parallel = 1;
  if (!tree_param || !IntField(*tree_param, "num_trees", &num_trees) ||
      num_trees != static_cast<int64_t>(trees->Size())) {
    return Invalid("gbtree_model_param.num_trees does not match the trees");
  }
  // Each boosting round adds a tree per output group: more groups than trees is a lie, and
  // prediction would allocate rows x groups outputs.
  if (groups > std::max<int64_t>(num_trees, 1)) {
    return Invalid(fmt::format("{} output groups (num_class, num_target) but only {} trees", groups, num_trees));
  }
  IntField(*tree_param, "num_parallel_tree", &parallel);
  if (parallel < 1 || parallel > kMaxCount) return Invalid("gbtree_model_param.num_parallel_tree is invalid");
  if (weight_drop) {
    if (weight_drop->Size() != trees->Size()) return Invalid("dart weight_drop does not match the trees");
    for (const auto& w : weight_drop->GetArray()) {
      if (!w.IsNumber()) return Invalid("dart weight_drop must hold numbers");
    }
  }
  for (const auto& group : info->GetArray()) {
    if (!group.IsInt64() || group.GetInt64() < 0 || group.GetInt64() >= groups) {
      return Invalid("tree_info names a class the model does not have");
    }
  }
  for (rapidjson::SizeType i = 0; i < trees->Size(); ++i) {
    if (Status s = CheckTree((*trees)[i], i, num_feature); !s.ok()) return s;
  }
  return Status::Ok();
}

namespace {

std::string XGBoostError() { return CleanLibraryMessage(XGBGetLastError(), "", ""); }

// Sanitizer builds (whose converter is instrumented too) reserve terabytes of address space,
// so only other builds cap it.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kLimitAddressSpace = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kLimitAddressSpace = false;
#else
constexpr bool kLimitAddressSpace = true;
#endif
#else
constexpr bool kLimitAddressSpace = true;
#endif

// modelrepo-xgboost-convert: beside this library (build tree), in ../libexec/modelrepo
// (installed), at the configured install path, or where MODELREPO_XGBOOST_CONVERTER says.
std::string FindConverter() {
  if (const char* env = std::getenv("MODELREPO_XGBOOST_CONVERTER"); env && *env) return env;
  std::vector<std::string> candidates;
  Dl_info info;
  if (::dladdr(reinterpret_cast<void*>(&FindConverter), &info) != 0 && info.dli_fname) {
    std::string dir = info.dli_fname;
    dir = dir.substr(0, dir.rfind('/') + 1);
    candidates.push_back(dir + "modelrepo-xgboost-convert");
    candidates.push_back(dir + "../libexec/modelrepo/modelrepo-xgboost-convert");
  }
  candidates.push_back(MODELREPO_INSTALL_LIBEXECDIR "/modelrepo-xgboost-convert");
  for (const auto& c : candidates) {
    if (::access(c.c_str(), X_OK) == 0) return c;
  }
  return {};
}

}  // namespace

StatusOr<std::string> ConvertLegacyModelIsolated(const std::string& bytes) {
  static const std::string converter = FindConverter();
  if (converter.empty()) {
    return Status::Unimplemented(
        "legacy binary XGBoost models need modelrepo-xgboost-convert, which is not installed");
  }
  // The model goes in through an in-memory file, the JSON comes out through a pipe.
  int in = ::memfd_create("modelrepo-xgboost-model", MFD_CLOEXEC);
  if (in < 0) return Status::Internal("memfd_create failed");
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(in, bytes.data() + off, bytes.size() - off);
    if (n <= 0) {
      ::close(in);
      return Status::Internal("cannot stage the model for conversion");
    }
    off += static_cast<size_t>(n);
  }
  ::lseek(in, 0, SEEK_SET);
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in);
    return Status::Internal("pipe failed");
  }
  // Enough for XGBoost and the model several times over, and no more.
  const rlim_t mem = static_cast<rlim_t>(16 * bytes.size() + (uint64_t{1} << 30));
  char* const argv[] = {const_cast<char*>(converter.c_str()), nullptr};
  // Instrumented builds cannot cap the address space (see kLimitAddressSpace): their allocator
  // caps each allocation instead, and fails it rather than aborting.
  const std::string sanitizer_caps = fmt::format(
      "max_allocation_size_mb={}:allocator_may_return_null=1:detect_leaks=0", mem >> 20);
  const std::string asan = "ASAN_OPTIONS=" + sanitizer_caps;
  const std::string tsan = "TSAN_OPTIONS=" + sanitizer_caps;
  char* const envp[] = {const_cast<char*>("OMP_NUM_THREADS=1"), const_cast<char*>(asan.c_str()),
                        const_cast<char*>(tsan.c_str()), nullptr};
  // CPU time: generous for any real model (10 s, and 1 s more per 8 MiB).
  const rlim_t cpu_seconds = 10 + static_cast<rlim_t>(bytes.size() >> 23);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(in);
    ::close(out[0]);
    ::close(out[1]);
    return Status::Internal("fork failed");
  }
  if (pid == 0) {  // only async-signal-safe calls until exec
    struct rlimit as{mem, mem}, cpu{cpu_seconds, cpu_seconds}, core{0, 0};
    if (kLimitAddressSpace) ::setrlimit(RLIMIT_AS, &as);
    ::setrlimit(RLIMIT_CPU, &cpu);
    ::setrlimit(RLIMIT_CORE, &core);
    if (::dup2(in, 0) < 0 || ::dup2(out[1], 1) < 0) ::_exit(127);
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, 2);
    ::execve(argv[0], argv, envp);
    ::_exit(127);
  }
  ::close(in);
  ::close(out[1]);
  std::string result;
  const size_t cap = 64 * bytes.size() + (size_t{64} << 20);  // JSON is bigger, not this much
  char buf[65536];
  bool too_big = false;
  for (;;) {
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (result.size() + static_cast<size_t>(n) > cap) {
      too_big = true;
      ::kill(pid, SIGKILL);
      break;
    }
    result.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (too_big) return Invalid("the model converts to an implausibly large JSON model");
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    return Invalid(fmt::format("XGBoost's reader {} on it (signal {})",
                               sig == SIGXCPU || sig == SIGKILL ? "ran out of time" : "crashed", sig));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) == 127) {
    return Status::Internal("cannot run modelrepo-xgboost-convert");
  }
  if (result.empty() || result[0] != 'J' || WEXITSTATUS(status) != 0) {
    std::string why = !result.empty() && result[0] == 'E' ? result.substr(1) : "no model came out";
    return Invalid(fmt::format("XGBoost cannot read it: {}", CleanLibraryMessage(why, "", "")));
  }
  return result.substr(1);
}

StatusOr<void*> LoadCheckedBooster(std::string bytes, const std::function<void(std::string_view)>& on_export) {
  XGBoostFormat format;
  StatusOr<std::string> prepared = PrepareXGBoostModel(std::move(bytes), &format);
  if (!prepared.ok()) return prepared.status();
  // XGBoost's own readers trust the tree arrays even while loading (an array shorter than
  // num_nodes crashes RegTree::LoadModel), so the structure is checked before this process's
  // booster reads anything: JSON directly; UBJSON and legacy binary after a separate process has
  // turned them into JSON.
  if (format != XGBoostFormat::kJson) {
    StatusOr<std::string> json = ConvertLegacyModelIsolated(*prepared);
    if (!json.ok()) return json.status();
    prepared = PrepareXGBoostModel(std::move(*json), &format);
    if (!prepared.ok()) return prepared.status();
  }
  if (Status s = CheckXGBoostModelJson(*prepared); !s.ok()) return s;
  BoosterHandle booster = nullptr;
  if (XGBoosterCreate(nullptr, 0, &booster) != 0) {
    return Status::Internal(fmt::format("cannot create a booster: {}", XGBoostError()));
  }
  std::unique_ptr<void, int (*)(BoosterHandle)> guard(booster, XGBoosterFree);
  if (XGBoosterLoadModelFromBuffer(booster, prepared->data(), prepared->size()) != 0) {
    return Invalid(fmt::format("XGBoost cannot read it: {}", XGBoostError()));
  }
  prepared = std::string();
  // Before the booster predicts anything: its trees, as XGBoost itself exports them.
  bst_ulong len = 0;
  const char* json = nullptr;
  if (XGBoosterSaveModelToBuffer(booster, R"({"format":"json"})", &len, &json) != 0) {
    return Invalid(fmt::format("cannot export it for checking: {}", XGBoostError()));
  }
  if (Status s = CheckXGBoostModelJson(std::string_view(json, len)); !s.ok()) return s;
  if (on_export) on_export(std::string_view(json, len));
  return guard.release();
}

}  // namespace modelrepo::internal
