// The C API over the C++ core. Every entry point that can fail runs its body inside Guard(),
// which turns any C++ exception into a MODELREPO_INTERNAL status; the others (free, close,
// status accessors, names, versions) do nothing that can throw.
#include "modelrepo/c_api.h"

#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modelrepo/repository.h"
#include "modelrepo/status.h"
#include "modelrepo/tensor.h"
#include "modelrepo/version.h"

#ifdef MODELREPO_C_FAULT_INJECTION
#include <mutex>

#include "c_api_testing.h"
#endif

// The enums of the C header are the C++ enums' numbers: keep them in step.
static_assert(MODELREPO_OK == static_cast<int>(modelrepo::StatusCode::kOk));
static_assert(MODELREPO_INVALID_ARGUMENT == static_cast<int>(modelrepo::StatusCode::kInvalidArgument));
static_assert(MODELREPO_NOT_FOUND == static_cast<int>(modelrepo::StatusCode::kNotFound));
static_assert(MODELREPO_UNAVAILABLE == static_cast<int>(modelrepo::StatusCode::kUnavailable));
static_assert(MODELREPO_UNIMPLEMENTED == static_cast<int>(modelrepo::StatusCode::kUnimplemented));
static_assert(MODELREPO_INTERNAL == static_cast<int>(modelrepo::StatusCode::kInternal));
static_assert(MODELREPO_PERMISSION_DENIED == static_cast<int>(modelrepo::StatusCode::kPermissionDenied));
static_assert(MODELREPO_TYPE_BOOL == static_cast<int>(modelrepo::DataType::kBool));
static_assert(MODELREPO_TYPE_UINT8 == static_cast<int>(modelrepo::DataType::kUint8));
static_assert(MODELREPO_TYPE_UINT16 == static_cast<int>(modelrepo::DataType::kUint16));
static_assert(MODELREPO_TYPE_UINT32 == static_cast<int>(modelrepo::DataType::kUint32));
static_assert(MODELREPO_TYPE_UINT64 == static_cast<int>(modelrepo::DataType::kUint64));
static_assert(MODELREPO_TYPE_INT8 == static_cast<int>(modelrepo::DataType::kInt8));
static_assert(MODELREPO_TYPE_INT16 == static_cast<int>(modelrepo::DataType::kInt16));
static_assert(MODELREPO_TYPE_INT32 == static_cast<int>(modelrepo::DataType::kInt32));
static_assert(MODELREPO_TYPE_INT64 == static_cast<int>(modelrepo::DataType::kInt64));
static_assert(MODELREPO_TYPE_FP16 == static_cast<int>(modelrepo::DataType::kFp16));
static_assert(MODELREPO_TYPE_FP32 == static_cast<int>(modelrepo::DataType::kFp32));
static_assert(MODELREPO_TYPE_FP64 == static_cast<int>(modelrepo::DataType::kFp64));
static_assert(MODELREPO_TYPE_BYTES == static_cast<int>(modelrepo::DataType::kBytes));
static_assert(MODELREPO_STATE_UNAVAILABLE == static_cast<int>(modelrepo::ModelState::kUnavailable));
static_assert(MODELREPO_STATE_LOADING == static_cast<int>(modelrepo::ModelState::kLoading));
static_assert(MODELREPO_STATE_READY == static_cast<int>(modelrepo::ModelState::kReady));
static_assert(MODELREPO_STATE_UNLOADING == static_cast<int>(modelrepo::ModelState::kUnloading));
static_assert(MODELREPO_LOG_DEBUG == static_cast<int>(modelrepo::LogLevel::kDebug));
static_assert(MODELREPO_LOG_ERROR == static_cast<int>(modelrepo::LogLevel::kError));

// The handles. They live in the global namespace because the header declares them there.
struct modelrepo_status {
  modelrepo_code code;
  std::string message;
};

struct modelrepo_open_options {
  bool load_models_at_startup = true;
  modelrepo_log_fn log_fn = nullptr;
  void* log_user_data = nullptr;
};

struct modelrepo_repository {
  std::unique_ptr<modelrepo::Repository> impl;
};

struct modelrepo_index {
  std::vector<modelrepo::IndexEntry> entries;
};

struct modelrepo_metadata {
  modelrepo::ModelMetadata metadata;
};

struct modelrepo_infer_request {
  modelrepo::InferRequest request;
};

struct modelrepo_infer_response {
  modelrepo::InferResponse response;
  // For each output: its data in the C layout (BYTES elements serialised, see the header);
  // empty for fixed-size datatypes, whose Tensor::data is used as is.
  std::vector<std::vector<unsigned char>> bytes_data;
};

namespace {

// Returned when not even an error object can be allocated. modelrepo_status_free ignores it.
modelrepo_status g_out_of_memory{MODELREPO_INTERNAL, "out of memory"};

modelrepo_status* MakeStatus(modelrepo_code code, std::string message) noexcept {
  try {
    return new modelrepo_status{code, std::move(message)};
  } catch (...) {
    return &g_out_of_memory;
  }
}

modelrepo_status* FromStatus(const modelrepo::Status& status) noexcept {
  if (status.ok()) return nullptr;
  try {
    return MakeStatus(static_cast<modelrepo_code>(status.code()), status.message());
  } catch (...) {
    return &g_out_of_memory;
  }
}

modelrepo_status* InvalidArgument(const char* function, std::string_view what) {
  std::string message(function);
  message += ": ";
  message += what;
  return MakeStatus(MODELREPO_INVALID_ARGUMENT, std::move(message));
}

#ifdef MODELREPO_C_FAULT_INJECTION
std::mutex g_fault_mu;
std::string g_fault_function;
int g_fault = 0;

// Raises the fault armed for `function`, once.
modelrepo_status* InjectedFault(const char* function) {
  int fault = 0;
  {
    std::lock_guard lock(g_fault_mu);
    if (g_fault_function.empty() || g_fault_function != function) return nullptr;
    g_fault_function.clear();
    fault = g_fault;
  }
  switch (fault) {
    case MODELREPO_TESTING_THROW_BAD_ALLOC: throw std::bad_alloc();
    case MODELREPO_TESTING_THROW_STD_EXCEPTION: throw std::runtime_error("injected failure");
    case MODELREPO_TESTING_THROW_OTHER: throw 42;
    default: return MakeStatus(static_cast<modelrepo_code>(fault), "injected status");
  }
}
#endif

// Runs `body` (returning modelrepo_status*) so that no exception escapes.
template <class Body>
modelrepo_status* Guard(const char* function, Body&& body) noexcept {
  try {
#ifdef MODELREPO_C_FAULT_INJECTION
    if (modelrepo_status* injected = InjectedFault(function)) return injected;
#endif
    return body();
  } catch (const std::bad_alloc&) {
    return &g_out_of_memory;
  } catch (const std::exception& e) {
    try {
      return MakeStatus(MODELREPO_INTERNAL,
                        std::string(function) + ": unexpected error: " + e.what());
    } catch (...) {
      return &g_out_of_memory;
    }
  } catch (...) {
    try {
      return MakeStatus(MODELREPO_INTERNAL, std::string(function) + ": unexpected error");
    } catch (...) {
      return &g_out_of_memory;
    }
  }
}

// Argument checks shared by the entry points.
// `entry` is the entry point's name, defined before its Guard().
#define MODELREPO_REQUIRE(arg)                                       \
  do {                                                               \
    if ((arg) == nullptr) return InvalidArgument(entry, #arg " is NULL"); \
  } while (0)

std::string_view OptionalString(const char* s) { return s ? std::string_view(s) : std::string_view(); }

bool ValidDataType(int datatype) {
  return datatype >= MODELREPO_TYPE_BOOL && datatype <= MODELREPO_TYPE_BYTES;
}

modelrepo_status* IndexOutOfRange(const char* function, const char* what, size_t i, size_t size) {
  return InvalidArgument(function, std::string(what) + " index " + std::to_string(i) +
                                       " out of range (there are " + std::to_string(size) + ")");
}

// BYTES elements from the C layout: each a 4-byte little-endian length, then the bytes.
modelrepo_status* ParseBytesElements(const char* function, const std::string& name,
                                     const unsigned char* data, size_t size, int64_t count,
                                     std::vector<std::string>* out) {
  size_t pos = 0;
  out->reserve(static_cast<size_t>(std::min<int64_t>(count, static_cast<int64_t>(size / 4))));
  while (pos < size) {
    if (size - pos < 4) {
      return InvalidArgument(function, "BYTES input '" + name + "' ends inside a length prefix");
    }
    uint32_t length = static_cast<uint32_t>(data[pos]) | static_cast<uint32_t>(data[pos + 1]) << 8 |
                      static_cast<uint32_t>(data[pos + 2]) << 16 |
                      static_cast<uint32_t>(data[pos + 3]) << 24;
    pos += 4;
    if (length > size - pos) {
      return InvalidArgument(function, "BYTES input '" + name + "' has an element of " +
                                           std::to_string(length) + " bytes but only " +
                                           std::to_string(size - pos) + " remain");
    }
    out->emplace_back(reinterpret_cast<const char*>(data + pos), length);
    pos += length;
  }
  if (static_cast<int64_t>(out->size()) != count) {
    return InvalidArgument(function, "BYTES input '" + name + "' has " +
                                         std::to_string(out->size()) +
                                         " elements but its shape implies " + std::to_string(count));
  }
  return nullptr;
}

std::vector<unsigned char> SerializeBytesElements(const std::vector<std::string>& elements) {
  size_t total = 0;
  for (const auto& e : elements) total += 4 + e.size();
  std::vector<unsigned char> out;
  out.reserve(total);
  for (const auto& e : elements) {
    if (e.size() > std::numeric_limits<uint32_t>::max()) {
      throw std::length_error("a BYTES element is larger than 4 GiB");
    }
    auto length = static_cast<uint32_t>(e.size());
    for (int shift = 0; shift < 32; shift += 8) {
      out.push_back(static_cast<unsigned char>(length >> shift));
    }
    out.insert(out.end(), e.begin(), e.end());
  }
  return out;
}

modelrepo_status* SpecAt(const char* function, const char* what,
                         const std::vector<modelrepo::TensorSpec>& specs, size_t i,
                         const char** name, modelrepo_datatype* datatype, const int64_t** shape,
                         size_t* rank) {
  if (i >= specs.size()) return IndexOutOfRange(function, what, i, specs.size());
  const modelrepo::TensorSpec& spec = specs[i];
  if (name) *name = spec.name.c_str();
  if (datatype) *datatype = static_cast<modelrepo_datatype>(spec.datatype);
  if (shape) *shape = spec.shape.empty() ? nullptr : spec.shape.data();
  if (rank) *rank = spec.shape.size();
  return nullptr;
}

}  // namespace

extern "C" {

// ---- Versions ----------------------------------------------------------------------------------

int modelrepo_c_api_version(int* major, int* minor, int* patch) {
  if (major) *major = MODELREPO_C_API_VERSION_MAJOR;
  if (minor) *minor = MODELREPO_C_API_VERSION_MINOR;
  if (patch) *patch = MODELREPO_C_API_VERSION_PATCH;
  return MODELREPO_C_API_VERSION;
}

const char* modelrepo_library_version(void) { return MODELREPO_VERSION_STRING; }

// ---- Status ------------------------------------------------------------------------------------

modelrepo_code modelrepo_status_code(const modelrepo_status* status) {
  return status ? status->code : MODELREPO_OK;
}

const char* modelrepo_status_message(const modelrepo_status* status) {
  return status ? status->message.c_str() : "";
}

void modelrepo_status_free(modelrepo_status* status) {
  if (status != &g_out_of_memory) delete status;
}

const char* modelrepo_code_name(modelrepo_code code) {
  switch (code) {
    case MODELREPO_OK: return "OK";
    case MODELREPO_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case MODELREPO_NOT_FOUND: return "NOT_FOUND";
    case MODELREPO_UNAVAILABLE: return "UNAVAILABLE";
    case MODELREPO_UNIMPLEMENTED: return "UNIMPLEMENTED";
    case MODELREPO_INTERNAL: return "INTERNAL";
    case MODELREPO_PERMISSION_DENIED: return "PERMISSION_DENIED";
    default: break;
  }
  return "UNKNOWN";
}

// ---- Tensors -----------------------------------------------------------------------------------

const char* modelrepo_datatype_name(modelrepo_datatype datatype) {
  switch (datatype) {
    case MODELREPO_TYPE_BOOL: return "BOOL";
    case MODELREPO_TYPE_UINT8: return "UINT8";
    case MODELREPO_TYPE_UINT16: return "UINT16";
    case MODELREPO_TYPE_UINT32: return "UINT32";
    case MODELREPO_TYPE_UINT64: return "UINT64";
    case MODELREPO_TYPE_INT8: return "INT8";
    case MODELREPO_TYPE_INT16: return "INT16";
    case MODELREPO_TYPE_INT32: return "INT32";
    case MODELREPO_TYPE_INT64: return "INT64";
    case MODELREPO_TYPE_FP16: return "FP16";
    case MODELREPO_TYPE_FP32: return "FP32";
    case MODELREPO_TYPE_FP64: return "FP64";
    case MODELREPO_TYPE_BYTES: return "BYTES";
    default: break;
  }
  return "INVALID";
}

size_t modelrepo_datatype_size(modelrepo_datatype datatype) {
  if (!ValidDataType(datatype)) return 0;
  return modelrepo::DataTypeSize(static_cast<modelrepo::DataType>(datatype));
}

// ---- Opening a repository ----------------------------------------------------------------------

modelrepo_status* modelrepo_open_options_create(modelrepo_open_options** out) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(out);
    *out = new modelrepo_open_options();
    return nullptr;
  });
}

void modelrepo_open_options_free(modelrepo_open_options* options) { delete options; }

modelrepo_status* modelrepo_open_options_set_load_models_at_startup(modelrepo_open_options* options,
                                                                    int load) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(options);
    options->load_models_at_startup = load != 0;
    return nullptr;
  });
}

modelrepo_status* modelrepo_open_options_set_logger(modelrepo_open_options* options,
                                                    modelrepo_log_fn fn, void* user_data) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(options);
    options->log_fn = fn;
    options->log_user_data = fn ? user_data : nullptr;
    return nullptr;
  });
}

modelrepo_status* modelrepo_repository_open(const char* root, const modelrepo_open_options* options,
                                            modelrepo_repository** out) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(root);
    MODELREPO_REQUIRE(out);
    modelrepo_open_options defaults;
    const modelrepo_open_options& o = options ? *options : defaults;
    modelrepo::RepositoryOptions cpp;
    cpp.load_models_at_startup = o.load_models_at_startup;
    if (o.log_fn) {
      modelrepo_log_fn fn = o.log_fn;
      void* user_data = o.log_user_data;
      cpp.logger = [fn, user_data](modelrepo::LogLevel level, std::string_view message) {
        try {
          std::string text(message);  // NUL-terminated for C
          fn(user_data, static_cast<modelrepo_log_level>(level), text.c_str());
        } catch (...) {
          // Out of memory while copying a log line: the line is dropped.
        }
      };
    }
    auto repo = std::make_unique<modelrepo_repository>();
    auto opened = modelrepo::Repository::Open(root, std::move(cpp));
    if (!opened.ok()) return FromStatus(opened.status());
    repo->impl = std::move(*opened);
    *out = repo.release();
    return nullptr;
  });
}

void modelrepo_repository_close(modelrepo_repository* repo) { delete repo; }

modelrepo_status* modelrepo_repository_root(const modelrepo_repository* repo, const char** out) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(repo);
    MODELREPO_REQUIRE(out);
    *out = repo->impl->root().c_str();
    return nullptr;
  });
}

// ---- Repository index --------------------------------------------------------------------------

const char* modelrepo_model_state_name(modelrepo_model_state state) {
  switch (state) {
    case MODELREPO_STATE_UNAVAILABLE: return "UNAVAILABLE";
    case MODELREPO_STATE_LOADING: return "LOADING";
    case MODELREPO_STATE_READY: return "READY";
    case MODELREPO_STATE_UNLOADING: return "UNLOADING";
    default: break;
  }
  return "INVALID";
}

modelrepo_status* modelrepo_repository_index(modelrepo_repository* repo, int ready_only,
                                             modelrepo_index** out) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(repo);
    MODELREPO_REQUIRE(out);
    auto entries = repo->impl->Index(ready_only != 0);
    if (!entries.ok()) return FromStatus(entries.status());
    *out = new modelrepo_index{std::move(*entries)};
    return nullptr;
  });
}

void modelrepo_index_free(modelrepo_index* index) { delete index; }

modelrepo_status* modelrepo_index_size(const modelrepo_index* index, size_t* out) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(index);
    MODELREPO_REQUIRE(out);
    *out = index->entries.size();
    return nullptr;
  });
}

modelrepo_status* modelrepo_index_entry(const modelrepo_index* index, size_t i, const char** name,
                                        const char** version, modelrepo_model_state* state,
                                        const char** reason) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(index);
    if (i >= index->entries.size()) {
      return IndexOutOfRange(entry, "entry", i, index->entries.size());
    }
    const modelrepo::IndexEntry& e = index->entries[i];
    if (name) *name = e.name.c_str();
    if (version) *version = e.version.c_str();
    if (state) *state = static_cast<modelrepo_model_state>(e.state);
    if (reason) *reason = e.reason.c_str();
    return nullptr;
  });
}

// ---- Load, unload, readiness -------------------------------------------------------------------

modelrepo_status* modelrepo_repository_load(modelrepo_repository* repo, const char* name) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(repo);
    MODELREPO_REQUIRE(name);
    return FromStatus(repo->impl->Load(name));
  });
}

modelrepo_status* modelrepo_repository_unload(modelrepo_repository* repo, const char* name) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(repo);
    MODELREPO_REQUIRE(name);
    return FromStatus(repo->impl->Unload(name));
  });
}

modelrepo_status* modelrepo_repository_is_ready(modelrepo_repository* repo, const char* name,
                                                const char* version, int* ready) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(repo);
    MODELREPO_REQUIRE(name);
    MODELREPO_REQUIRE(ready);
    auto is_ready = repo->impl->IsReady(name, OptionalString(version));
    if (!is_ready.ok()) return FromStatus(is_ready.status());
    *ready = *is_ready ? 1 : 0;
    return nullptr;
  });
}

// ---- Metadata ----------------------------------------------------------------------------------

modelrepo_status* modelrepo_repository_metadata(modelrepo_repository* repo, const char* name,
                                                const char* version, modelrepo_metadata** out) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(repo);
    MODELREPO_REQUIRE(name);
    MODELREPO_REQUIRE(out);
    auto metadata = repo->impl->Metadata(name, OptionalString(version));
    if (!metadata.ok()) return FromStatus(metadata.status());
    *out = new modelrepo_metadata{std::move(*metadata)};
    return nullptr;
  });
}

void modelrepo_metadata_free(modelrepo_metadata* metadata) { delete metadata; }

modelrepo_status* modelrepo_metadata_model(const modelrepo_metadata* metadata, const char** name,
                                           const char** platform) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(metadata);
    if (name) *name = metadata->metadata.name.c_str();
    if (platform) *platform = metadata->metadata.platform.c_str();
    return nullptr;
  });
}

modelrepo_status* modelrepo_metadata_version_count(const modelrepo_metadata* metadata, size_t* out) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(metadata);
    MODELREPO_REQUIRE(out);
    *out = metadata->metadata.versions.size();
    return nullptr;
  });
}

modelrepo_status* modelrepo_metadata_version(const modelrepo_metadata* metadata, size_t i,
                                             const char** out) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(metadata);
    MODELREPO_REQUIRE(out);
    const auto& versions = metadata->metadata.versions;
    if (i >= versions.size()) return IndexOutOfRange(entry, "version", i, versions.size());
    *out = versions[i].c_str();
    return nullptr;
  });
}

modelrepo_status* modelrepo_metadata_input_count(const modelrepo_metadata* metadata, size_t* out) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(metadata);
    MODELREPO_REQUIRE(out);
    *out = metadata->metadata.inputs.size();
    return nullptr;
  });
}

modelrepo_status* modelrepo_metadata_output_count(const modelrepo_metadata* metadata, size_t* out) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(metadata);
    MODELREPO_REQUIRE(out);
    *out = metadata->metadata.outputs.size();
    return nullptr;
  });
}

modelrepo_status* modelrepo_metadata_input(const modelrepo_metadata* metadata, size_t i,
                                           const char** name, modelrepo_datatype* datatype,
                                           const int64_t** shape, size_t* rank) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(metadata);
    return SpecAt(entry, "input", metadata->metadata.inputs, i, name, datatype, shape, rank);
  });
}

modelrepo_status* modelrepo_metadata_output(const modelrepo_metadata* metadata, size_t i,
                                            const char** name, modelrepo_datatype* datatype,
                                            const int64_t** shape, size_t* rank) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(metadata);
    return SpecAt(entry, "output", metadata->metadata.outputs, i, name, datatype, shape, rank);
  });
}

// ---- Inference ---------------------------------------------------------------------------------

modelrepo_status* modelrepo_infer_request_create(const char* model, const char* version,
                                                 modelrepo_infer_request** out) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(model);
    MODELREPO_REQUIRE(out);
    auto request = std::make_unique<modelrepo_infer_request>();
    request->request.model = model;
    request->request.version = std::string(OptionalString(version));
    *out = request.release();
    return nullptr;
  });
}

void modelrepo_infer_request_free(modelrepo_infer_request* request) { delete request; }

modelrepo_status* modelrepo_infer_request_add_input(modelrepo_infer_request* request,
                                                    const char* name, modelrepo_datatype datatype,
                                                    const int64_t* shape, size_t rank,
                                                    const void* data, size_t byte_size) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(request);
    MODELREPO_REQUIRE(name);
    if (rank > 0 && shape == nullptr) return InvalidArgument(entry, "shape is NULL but rank is not 0");
    if (byte_size > 0 && data == nullptr) {
      return InvalidArgument(entry, "data is NULL but byte_size is not 0");
    }
    if (!ValidDataType(datatype)) {
      return InvalidArgument(entry, "input '" + std::string(name) + "' has an unknown datatype " +
                                           std::to_string(static_cast<int>(datatype)));
    }
    for (const modelrepo::Tensor& t : request->request.inputs) {
      if (t.name == name) {
        return InvalidArgument(entry, "input '" + std::string(name) + "' is given twice");
      }
    }
    modelrepo::Tensor tensor;
    tensor.name = name;
    tensor.datatype = static_cast<modelrepo::DataType>(datatype);
    tensor.shape.assign(shape, shape + rank);
    auto count = modelrepo::ElementCount(tensor.shape);
    if (!count.ok()) {
      return InvalidArgument(entry, "input '" + tensor.name + "': " + count.status().message());
    }
    const auto* bytes = static_cast<const unsigned char*>(data);
    if (tensor.datatype == modelrepo::DataType::kBytes) {
      if (modelrepo_status* s =
              ParseBytesElements(entry, tensor.name, bytes, byte_size, *count, &tensor.strings)) {
        return s;
      }
    } else {
      size_t size = modelrepo::DataTypeSize(tensor.datatype);
      auto elements = static_cast<uint64_t>(*count);
      if (elements > std::numeric_limits<size_t>::max() / size || elements * size != byte_size) {
        return InvalidArgument(entry, "input '" + tensor.name + "' has " +
                                             std::to_string(byte_size) + " bytes but its shape of " +
                                             std::to_string(elements) + " " +
                                             modelrepo_datatype_name(datatype) + " elements needs " +
                                             (elements > std::numeric_limits<size_t>::max() / size
                                                  ? std::string("more than fit in memory")
                                                  : std::to_string(elements * size)));
      }
      tensor.data.assign(bytes, bytes + byte_size);
    }
    request->request.inputs.push_back(std::move(tensor));
    return nullptr;
  });
}

modelrepo_status* modelrepo_infer_request_add_output(modelrepo_infer_request* request,
                                                     const char* name) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(request);
    MODELREPO_REQUIRE(name);
    for (const std::string& o : request->request.outputs) {
      if (o == name) return InvalidArgument(entry, "output '" + o + "' is asked for twice");
    }
    request->request.outputs.emplace_back(name);
    return nullptr;
  });
}

modelrepo_status* modelrepo_repository_infer(modelrepo_repository* repo,
                                             const modelrepo_infer_request* request,
                                             modelrepo_infer_response** out) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(repo);
    MODELREPO_REQUIRE(request);
    MODELREPO_REQUIRE(out);
    auto result = repo->impl->Infer(request->request);
    if (!result.ok()) return FromStatus(result.status());
    auto response = std::make_unique<modelrepo_infer_response>();
    response->response = std::move(*result);
    response->bytes_data.resize(response->response.outputs.size());
    for (size_t i = 0; i < response->response.outputs.size(); ++i) {
      const modelrepo::Tensor& t = response->response.outputs[i];
      if (t.datatype == modelrepo::DataType::kBytes) {
        response->bytes_data[i] = SerializeBytesElements(t.strings);
      } else if (modelrepo::Status valid = t.Validate(); !valid.ok()) {
        return MakeStatus(MODELREPO_INTERNAL, "model " + request->request.model +
                                                  " returned a malformed output: " +
                                                  valid.message());
      }
    }
    *out = response.release();
    return nullptr;
  });
}

void modelrepo_infer_response_free(modelrepo_infer_response* response) { delete response; }

modelrepo_status* modelrepo_infer_response_model(const modelrepo_infer_response* response,
                                                 const char** name, const char** version) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(response);
    if (name) *name = response->response.model_name.c_str();
    if (version) *version = response->response.model_version.c_str();
    return nullptr;
  });
}

modelrepo_status* modelrepo_infer_response_output_count(const modelrepo_infer_response* response,
                                                        size_t* out) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(response);
    MODELREPO_REQUIRE(out);
    *out = response->response.outputs.size();
    return nullptr;
  });
}

modelrepo_status* modelrepo_infer_response_output(const modelrepo_infer_response* response,
                                                  size_t i, const char** name,
                                                  modelrepo_datatype* datatype,
                                                  const int64_t** shape, size_t* rank,
                                                  const void** data, size_t* byte_size) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(response);
    const auto& outputs = response->response.outputs;
    if (i >= outputs.size()) return IndexOutOfRange(entry, "output", i, outputs.size());
    const modelrepo::Tensor& t = outputs[i];
    const std::vector<unsigned char>& bytes =
        t.datatype == modelrepo::DataType::kBytes ? response->bytes_data[i] : t.data;
    if (name) *name = t.name.c_str();
    if (datatype) *datatype = static_cast<modelrepo_datatype>(t.datatype);
    if (shape) *shape = t.shape.empty() ? nullptr : t.shape.data();
    if (rank) *rank = t.shape.size();
    if (data) *data = bytes.empty() ? nullptr : bytes.data();
    if (byte_size) *byte_size = bytes.size();
    return nullptr;
  });
}

modelrepo_status* modelrepo_infer_response_find_output(const modelrepo_infer_response* response,
                                                       const char* name, size_t* index) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    MODELREPO_REQUIRE(response);
    MODELREPO_REQUIRE(name);
    MODELREPO_REQUIRE(index);
    const auto& outputs = response->response.outputs;
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (outputs[i].name == name) {
        *index = i;
        return nullptr;
      }
    }
    return MakeStatus(MODELREPO_NOT_FOUND, "the response of model " +
                                               response->response.model_name +
                                               " has no output '" + name + "'");
  });
}

#ifdef MODELREPO_C_FAULT_INJECTION
modelrepo_status* modelrepo_testing_inject_fault(const char* function, int fault) {
  const char* const entry = __func__;
  return Guard(entry, [&]() -> modelrepo_status* {
    std::lock_guard lock(g_fault_mu);
    g_fault_function = function ? function : "";
    g_fault = fault;
    return nullptr;
  });
}
#endif

}  // extern "C"
