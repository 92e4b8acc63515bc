"""modelrepo: serve the models of a model-repository folder (MLServer/Triton layout) in-process.

    import modelrepo
    with modelrepo.Repository("examples/models") as repo:   # loads every model
        print(repo.index())
        repo.unload("mushroom-xgboost")
        repo.load("mushroom-xgboost")
        out = repo.infer("mushroom-xgboost", X, outputs=["predict_proba"])  # {"predict_proba": ndarray}

A thin layer over libmodelrepo's C API (libmodelrepo_c) through ctypes. Errors raise a subclass of
modelrepo.Error per kind: NotFoundError, InvalidArgumentError, UnavailableError,
UnimplementedError, InternalError, PermissionDeniedError.
"""

import ctypes as _ctypes

from . import _capi
from ._errors import (Error, InternalError, InvalidArgumentError, NotFoundError,
                      PermissionDeniedError, UnavailableError, UnimplementedError)
from ._repository import Repository

__all__ = [
    "Repository", "Error", "InvalidArgumentError", "NotFoundError", "UnavailableError",
    "UnimplementedError", "InternalError", "PermissionDeniedError", "c_api_version",
    "library_version", "library_path",
]


def library_version():
    """libmodelrepo's version, e.g. "0.1.0"."""
    return _capi.lib.modelrepo_library_version().decode()


def c_api_version():
    """The C API version of the loaded libmodelrepo_c: (major, minor, patch)."""
    major, minor, patch = _ctypes.c_int(), _ctypes.c_int(), _ctypes.c_int()
    _capi.lib.modelrepo_c_api_version(_ctypes.byref(major), _ctypes.byref(minor),
                                      _ctypes.byref(patch))
    return major.value, minor.value, patch.value


def library_path():
    """The path libmodelrepo_c was loaded from."""
    return _capi.LIBRARY_PATH


__version__ = library_version()
