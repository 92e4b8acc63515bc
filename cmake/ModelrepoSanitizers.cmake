# MODELREPO_SANITIZE=address,undefined (or thread) instruments every target of the build.
if(MODELREPO_SANITIZE)
  message(STATUS "modelrepo: building with -fsanitize=${MODELREPO_SANITIZE}")
  add_compile_options(-fsanitize=${MODELREPO_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${MODELREPO_SANITIZE})
endif()
