// Fuzzes the V2 request decoders the server runs on every request body: whatever the bytes,
// they decode or give InvalidArgument, and what decodes is consistent (every tensor's data holds
// exactly the elements its shape implies) and encodes back to JSON the decoder accepts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "modelrepo/v2json.h"

using namespace modelrepo;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto request = v2json::DecodeInferRequest(body);
  if (request.ok()) {
    for (const Tensor& t : request->request.inputs) {
      if (!t.Validate().ok()) __builtin_trap();
    }
    std::string again = v2json::EncodeInferRequest(request->request, request->id.value_or(""));
    auto round = v2json::DecodeInferRequest(again);
    if (!round.ok() || round->request.inputs.size() != request->request.inputs.size()) __builtin_trap();
  } else if (request.status().code() != StatusCode::kInvalidArgument) {
    __builtin_trap();
  }
  auto index = v2json::DecodeIndexRequest(body);
  if (!index.ok() && index.status().code() != StatusCode::kInvalidArgument) __builtin_trap();
  Status repo = v2json::DecodeRepositoryRequest(body);
  if (!repo.ok() && repo.code() != StatusCode::kInvalidArgument) __builtin_trap();
  return 0;
}
