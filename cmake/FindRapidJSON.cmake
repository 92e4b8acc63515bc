# Finds RapidJSON's headers (Debian's rapidjson-dev ships a config file without a target) and
# defines the header-only target RapidJSON::RapidJSON.
find_path(RapidJSON_INCLUDE_DIR NAMES rapidjson/document.h)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(RapidJSON REQUIRED_VARS RapidJSON_INCLUDE_DIR)
if(RapidJSON_FOUND AND NOT TARGET RapidJSON::RapidJSON)
  add_library(RapidJSON::RapidJSON INTERFACE IMPORTED)
  set(_rapidjson_defs RAPIDJSON_HAS_STDSTRING=1)
  # SSE2 string scanning reads whole 16-byte blocks, past the end of a buffer within its page:
  # harmless, but AddressSanitizer reports it, so sanitizer builds scan bytewise.
  if(NOT MODELREPO_SANITIZE MATCHES "address")
    list(APPEND _rapidjson_defs RAPIDJSON_SSE2=1)
  endif()
  set_target_properties(RapidJSON::RapidJSON PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${RapidJSON_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS "${_rapidjson_defs}")
endif()
mark_as_advanced(RapidJSON_INCLUDE_DIR)
