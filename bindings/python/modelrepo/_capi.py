"""ctypes declarations of libmodelrepo_c (bindings/c/include/modelrepo/c_api.h).

Functions are called through ctypes.CDLL, which releases the GIL for the duration of every
foreign call (ctypes.PyDLL is the variant that keeps it): inference and loads on one thread do
not stop other Python threads.
"""

import ctypes
import ctypes.util
import os

# The C API this package is written against: the library must have the same major version and
# at least this minor version.
API_MAJOR = 1
API_MINOR = 0


class Status(ctypes.Structure):
    """Opaque modelrepo_status."""


class Repository(ctypes.Structure):
    """Opaque modelrepo_repository."""


class OpenOptions(ctypes.Structure):
    """Opaque modelrepo_open_options."""


class Index(ctypes.Structure):
    """Opaque modelrepo_index."""


class Metadata(ctypes.Structure):
    """Opaque modelrepo_metadata."""


class InferRequest(ctypes.Structure):
    """Opaque modelrepo_infer_request."""


class InferResponse(ctypes.Structure):
    """Opaque modelrepo_infer_response."""


StatusP = ctypes.POINTER(Status)
RepositoryP = ctypes.POINTER(Repository)
OpenOptionsP = ctypes.POINTER(OpenOptions)
IndexP = ctypes.POINTER(Index)
MetadataP = ctypes.POINTER(Metadata)
InferRequestP = ctypes.POINTER(InferRequest)
InferResponseP = ctypes.POINTER(InferResponse)

c_int_p = ctypes.POINTER(ctypes.c_int)
c_size_p = ctypes.POINTER(ctypes.c_size_t)
c_char_pp = ctypes.POINTER(ctypes.c_char_p)
c_int64_pp = ctypes.POINTER(ctypes.POINTER(ctypes.c_int64))
c_void_pp = ctypes.POINTER(ctypes.c_void_p)

# name: (restype, argtypes). Every enum of the C API is int-sized.
_FUNCTIONS = {
    "modelrepo_c_api_version": (ctypes.c_int, [c_int_p, c_int_p, c_int_p]),
    "modelrepo_library_version": (ctypes.c_char_p, []),
    "modelrepo_status_code": (ctypes.c_int, [StatusP]),
    "modelrepo_status_message": (ctypes.c_char_p, [StatusP]),
    "modelrepo_status_free": (None, [StatusP]),
    "modelrepo_code_name": (ctypes.c_char_p, [ctypes.c_int]),
    "modelrepo_datatype_name": (ctypes.c_char_p, [ctypes.c_int]),
    "modelrepo_datatype_size": (ctypes.c_size_t, [ctypes.c_int]),
    "modelrepo_open_options_create": (StatusP, [ctypes.POINTER(OpenOptionsP)]),
    "modelrepo_open_options_free": (None, [OpenOptionsP]),
    "modelrepo_open_options_set_load_models_at_startup": (StatusP, [OpenOptionsP, ctypes.c_int]),
    "modelrepo_repository_open": (StatusP, [ctypes.c_char_p, OpenOptionsP,
                                            ctypes.POINTER(RepositoryP)]),
    "modelrepo_repository_close": (None, [RepositoryP]),
    "modelrepo_repository_root": (StatusP, [RepositoryP, c_char_pp]),
    "modelrepo_model_state_name": (ctypes.c_char_p, [ctypes.c_int]),
    "modelrepo_repository_index": (StatusP, [RepositoryP, ctypes.c_int, ctypes.POINTER(IndexP)]),
    "modelrepo_index_free": (None, [IndexP]),
    "modelrepo_index_size": (StatusP, [IndexP, c_size_p]),
    "modelrepo_index_entry": (StatusP, [IndexP, ctypes.c_size_t, c_char_pp, c_char_pp, c_int_p,
                                        c_char_pp]),
    "modelrepo_repository_load": (StatusP, [RepositoryP, ctypes.c_char_p]),
    "modelrepo_repository_unload": (StatusP, [RepositoryP, ctypes.c_char_p]),
    "modelrepo_repository_is_ready": (StatusP, [RepositoryP, ctypes.c_char_p, ctypes.c_char_p,
                                                c_int_p]),
    "modelrepo_repository_metadata": (StatusP, [RepositoryP, ctypes.c_char_p, ctypes.c_char_p,
                                                ctypes.POINTER(MetadataP)]),
    "modelrepo_metadata_free": (None, [MetadataP]),
    "modelrepo_metadata_model": (StatusP, [MetadataP, c_char_pp, c_char_pp]),
    "modelrepo_metadata_version_count": (StatusP, [MetadataP, c_size_p]),
    "modelrepo_metadata_version": (StatusP, [MetadataP, ctypes.c_size_t, c_char_pp]),
    "modelrepo_metadata_input_count": (StatusP, [MetadataP, c_size_p]),
    "modelrepo_metadata_output_count": (StatusP, [MetadataP, c_size_p]),
    "modelrepo_metadata_input": (StatusP, [MetadataP, ctypes.c_size_t, c_char_pp, c_int_p,
                                           c_int64_pp, c_size_p]),
    "modelrepo_metadata_output": (StatusP, [MetadataP, ctypes.c_size_t, c_char_pp, c_int_p,
                                            c_int64_pp, c_size_p]),
    "modelrepo_infer_request_create": (StatusP, [ctypes.c_char_p, ctypes.c_char_p,
                                                 ctypes.POINTER(InferRequestP)]),
    "modelrepo_infer_request_free": (None, [InferRequestP]),
    "modelrepo_infer_request_add_input": (StatusP, [InferRequestP, ctypes.c_char_p, ctypes.c_int,
                                                    ctypes.POINTER(ctypes.c_int64),
                                                    ctypes.c_size_t, ctypes.c_void_p,
                                                    ctypes.c_size_t]),
    "modelrepo_infer_request_add_output": (StatusP, [InferRequestP, ctypes.c_char_p]),
    "modelrepo_repository_infer": (StatusP, [RepositoryP, InferRequestP,
                                             ctypes.POINTER(InferResponseP)]),
    "modelrepo_infer_response_free": (None, [InferResponseP]),
    "modelrepo_infer_response_model": (StatusP, [InferResponseP, c_char_pp, c_char_pp]),
    "modelrepo_infer_response_output_count": (StatusP, [InferResponseP, c_size_p]),
    "modelrepo_infer_response_output": (StatusP, [InferResponseP, ctypes.c_size_t, c_char_pp,
                                                  c_int_p, c_int64_pp, c_size_p, c_void_pp,
                                                  c_size_p]),
}

# Present only in the test build of the library (fault injection).
_OPTIONAL_FUNCTIONS = {
    "modelrepo_testing_inject_fault": (StatusP, [ctypes.c_char_p, ctypes.c_int]),
}


def library_path():
    """Where libmodelrepo_c is loaded from: $MODELREPO_C_LIBRARY, else the path recorded when
    the package was built or installed, else the system's library search."""
    path = os.environ.get("MODELREPO_C_LIBRARY")
    if path:
        return path
    try:
        from . import _libpath
    except ImportError:
        _libpath = None
    if _libpath is not None and os.path.exists(_libpath.LIBRARY):
        return _libpath.LIBRARY
    found = ctypes.util.find_library("modelrepo_c")
    if found:
        return found
    raise ImportError(
        "modelrepo: cannot find libmodelrepo_c "
        "(build the project, install it, or set MODELREPO_C_LIBRARY to the library's path)")


def load():
    path = library_path()
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise ImportError(f"modelrepo: cannot load {path}: {e}") from e
    for name, (restype, argtypes) in _FUNCTIONS.items():
        try:
            fn = getattr(lib, name)
        except AttributeError as e:
            raise ImportError(f"modelrepo: {path} has no {name}: C API too old") from e
        fn.restype = restype
        fn.argtypes = argtypes
    for name, (restype, argtypes) in _OPTIONAL_FUNCTIONS.items():
        fn = getattr(lib, name, None)
        if fn is not None:
            fn.restype = restype
            fn.argtypes = argtypes
    major, minor = ctypes.c_int(), ctypes.c_int()
    lib.modelrepo_c_api_version(ctypes.byref(major), ctypes.byref(minor), None)
    if major.value != API_MAJOR or minor.value < API_MINOR:
        raise ImportError(f"modelrepo: {path} implements C API {major.value}.{minor.value}; "
                          f"this package needs {API_MAJOR}.x with x >= {API_MINOR}")
    return lib, path


lib, LIBRARY_PATH = load()
