// Error helpers shared by the built-in runtimes. Internal to libmodelrepo.
#ifndef MODELREPO_SRC_RUNTIMES_ERRORS_H_
#define MODELREPO_SRC_RUNTIMES_ERRORS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <initializer_list>

#include "modelrepo/runtime.h"
#include "modelrepo/status.h"
#include "modelrepo/tensor.h"

namespace modelrepo::internal {

// A library's error text made fit for a client: log prefixes ("[12:00:00] /build/src/x.cc:42: ")
// and absolute paths removed, `model_path` shown as `display_path`, first line only, bounded
// length.
std::string CleanLibraryMessage(std::string_view message, std::string_view model_path,
                                std::string_view display_path);

// InvalidArgument: model `model` has no output `name`; names what it can compute.
Status UnknownOutput(std::string_view model, std::string_view name,
                     const std::vector<TensorSpec>& available);

// "model NAME" or "model NAME version V": how messages name a model.
std::string DescribeModel(std::string_view name, std::string_view version);
std::string DescribeModel(const ModelSettings& settings);

// Whether `file` ends with one of `extensions` (".json", ...).
bool HasExtension(std::string_view file, std::initializer_list<std::string_view> extensions);

// Largest model file a built-in runtime reads.
constexpr uintmax_t kMaxModelFileBytes = uintmax_t{1} << 30;

// The bytes of a model file: a regular file of at most kMaxModelFileBytes, opened without
// following a FIFO or device. Errors (InvalidArgument) name `display_path`, never `path`.
StatusOr<std::string> ReadModelFile(const std::string& path, std::string_view display_path);

}  // namespace modelrepo::internal

#endif  // MODELREPO_SRC_RUNTIMES_ERRORS_H_
