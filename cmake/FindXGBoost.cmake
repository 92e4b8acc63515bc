# Finds XGBoost's C API. Debian's package config (xgboost-config.cmake) fails unless the xgboost
# CLI package is installed too, because its targets reference /usr/bin/xgboost; this module only
# needs the header and the library, and defines XGBoost::XGBoost.
find_path(XGBoost_INCLUDE_DIR NAMES xgboost/c_api.h)
find_library(XGBoost_LIBRARY NAMES xgboost)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(XGBoost REQUIRED_VARS XGBoost_LIBRARY XGBoost_INCLUDE_DIR)
if(XGBoost_FOUND AND NOT TARGET XGBoost::XGBoost)
  add_library(XGBoost::XGBoost UNKNOWN IMPORTED)
  set_target_properties(XGBoost::XGBoost PROPERTIES
    IMPORTED_LOCATION "${XGBoost_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${XGBoost_INCLUDE_DIR}")
endif()
mark_as_advanced(XGBoost_INCLUDE_DIR XGBoost_LIBRARY)
