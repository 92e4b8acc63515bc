# MODELREPO_SANITIZE=address,undefined (or thread) instruments every target of the build.
if(MODELREPO_SANITIZE)
  message(STATUS "modelrepo: building with -fsanitize=${MODELREPO_SANITIZE}")
  add_compile_options(-fsanitize=${MODELREPO_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  if(MODELREPO_SANITIZE MATCHES "undefined")
    # RapidJSON 1.1.0 (Debian) offsets a null pointer in internal/stack.h on every parse; the
    # pointer-overflow check would stop every test at that header, not at our code.
    add_compile_options(-fno-sanitize=pointer-overflow)
    # cpprestsdk's header templates, instantiated in our code, call virtual functions of objects
    # created inside the uninstrumented libcpprest; the vptr check cannot see their type
    # information and reports every such call.
    add_compile_options(-fno-sanitize=vptr)
  endif()
  add_link_options(-fsanitize=${MODELREPO_SANITIZE})
endif()

# MODELREPO_FUZZ: coverage instrumentation for libFuzzer on every target; the fuzz targets
# themselves link -fsanitize=fuzzer (tests/fuzz).
if(MODELREPO_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "MODELREPO_FUZZ needs clang: configure with CC=clang CXX=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
