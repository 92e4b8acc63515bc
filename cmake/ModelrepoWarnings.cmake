# modelrepo_warnings(target): the warning set every first-party target is built with.
add_library(modelrepo_warnings INTERFACE)
target_compile_options(modelrepo_warnings INTERFACE
  $<$<COMPILE_LANG_AND_ID:CXX,GNU,Clang>:-Wall -Wextra -Wpedantic -Wnon-virtual-dtor $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>>
  $<$<COMPILE_LANG_AND_ID:C,GNU,Clang>:-Wall -Wextra -Wpedantic>)
function(modelrepo_warnings target)
  target_link_libraries(${target} PRIVATE $<BUILD_INTERFACE:modelrepo_warnings>)
endfunction()
