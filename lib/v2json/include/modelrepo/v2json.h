// The V2 inference protocol's JSON encoding (KServe Open Inference Protocol, REST), for the
// server and for HTTP clients. It maps protocol messages to and from libmodelrepo's types; the
// core library itself knows no JSON.
//
// Decoding parses the request bytes with RapidJSON's iterative SAX reader under a nesting-depth
// limit, converting numbers straight from their text (std::from_chars: an FP32 element is rounded
// once, to float; integers are exact). Encoding writes compact JSON in the key order the protocol
// and MLServer use, floats in their shortest round-trip form for their own type (FP32 0.1 prints
// "0.1"), integers exactly. Every function is thread-safe; none throws except std::bad_alloc.
#ifndef MODELREPO_V2JSON_H_
#define MODELREPO_V2JSON_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modelrepo/repository.h"
#include "modelrepo/status.h"
#include "modelrepo/tensor.h"

namespace modelrepo::v2json {

// Nesting depth beyond which a document is refused (objects and arrays, counted together).
inline constexpr int kMaxDepth = 64;

// ---- Inference ------------------------------------------------------------------------------

// An inference request as sent on the wire: the core request plus the protocol's envelope.
struct InferRequestMessage {
  InferRequest request;           // model and version are not on the wire: the URL names them
  std::optional<std::string> id;  // "id", when the client sent one
};

// Decodes {"id"?, "parameters"?, "inputs": [...], "outputs"?: [{"name", "parameters"?}]}.
// Every tensor needs "name", "shape", "datatype" and "data"; "data" is flat or nested row-major,
// its element count must equal the shape's, and every element must fit the datatype (`null` is NaN
// in FP16/FP32/FP64; BOOL takes true/false; BYTES takes strings). "parameters" objects are
// accepted and ignored, as are unknown keys. Errors are InvalidArgument with a message naming the
// input and the problem.
// Limits a server sets on what one request may ask of it.
struct DecodeLimits {
  // The most elements all the inputs of one request may hold together. A tensor whose shape
  // would pass it is refused (InvalidArgument) before anything is allocated for its data.
  int64_t max_elements = std::numeric_limits<int64_t>::max();
};

StatusOr<InferRequestMessage> DecodeInferRequest(std::string_view body, const DecodeLimits& limits = {});

// Encodes a request (for clients): {"id"?, "inputs": [...], "outputs"?: [{"name"}]}.
std::string EncodeInferRequest(const InferRequest& request, std::string_view id = {});

struct InferResponseMessage {
  InferResponse response;
  std::string id;
};

// Appends {"model_name","model_version"?,"id","parameters":{},"outputs":[{"name","shape",
// "datatype","parameters":{"content_type":"np"},"data":[...]}]} to *out. model_version is left
// out when empty. Non-finite floats are written as null (JSON has no NaN or infinity).
void AppendInferResponse(const InferResponse& response, std::string_view id, std::string* out);
std::string EncodeInferResponse(const InferResponse& response, std::string_view id);

// Decodes an inference response (for clients), with the same rules as DecodeInferRequest.
StatusOr<InferResponseMessage> DecodeInferResponse(std::string_view body);

// A random (version 4) UUID in its canonical 36-character form: the id of a request sent
// without one.
std::string GenerateRequestId();

// ---- Model repository API -------------------------------------------------------------------

// The body of POST /v2/repository/index: {} or {"ready": true|false}; an empty body counts as
// {}. Returns the "ready" flag; InvalidArgument when the body is not such an object.
StatusOr<bool> DecodeIndexRequest(std::string_view body);
std::string EncodeIndexRequest(bool ready_only);

// [{"name","version"?,"state","reason"}, ...]; "version" is left out when empty.
void AppendIndex(const std::vector<IndexEntry>& entries, std::string* out);
std::string EncodeIndex(const std::vector<IndexEntry>& entries);
StatusOr<std::vector<IndexEntry>> DecodeIndex(std::string_view body);

// The body of a load or unload request: empty, {}, or {"parameters": {...}}. Triton's load
// parameters "config" and "file:<path>" are refused (InvalidArgument naming the parameter):
// this server loads models only from its repository folder.
Status DecodeRepositoryRequest(std::string_view body);

// ---- Metadata -------------------------------------------------------------------------------

// {"name","versions":[...],"platform","inputs":[{"name","datatype","shape"}],"outputs":[...],
//  "parameters":{}}
void AppendModelMetadata(const ModelMetadata& metadata, std::string* out);
std::string EncodeModelMetadata(const ModelMetadata& metadata);
StatusOr<ModelMetadata> DecodeModelMetadata(std::string_view body);

struct ServerMetadata {
  std::string name;
  std::string version;
  std::vector<std::string> extensions;
};
// {"name","version","extensions":[...]}
std::string EncodeServerMetadata(const ServerMetadata& metadata);
StatusOr<ServerMetadata> DecodeServerMetadata(std::string_view body);

// ---- Errors ---------------------------------------------------------------------------------

// {"error":"<message>"}
void AppendError(std::string_view message, std::string* out);
std::string EncodeError(std::string_view message);
// The message of an {"error": "..."} body; the body itself (truncated) when it is not one.
std::string DecodeError(std::string_view body);

// ---- Building blocks ------------------------------------------------------------------------

// Appends `s` as a JSON string literal. Bytes that are not valid UTF-8 become U+FFFD, so the
// output is always valid JSON.
void AppendString(std::string_view s, std::string* out);
// Shortest text that reads back as the same value of that type; integral values get a ".0"
// (1.0f -> "1.0"); NaN and infinities are written as null.
void AppendFloat(float value, std::string* out);
void AppendDouble(double value, std::string* out);
void AppendHalf(uint16_t half_bits, std::string* out);

}  // namespace modelrepo::v2json

#endif  // MODELREPO_V2JSON_H_
