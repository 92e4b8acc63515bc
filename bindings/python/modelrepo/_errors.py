"""Exceptions: one class per error code of the C API (the C++ modelrepo::StatusCode)."""


class Error(Exception):
    """Base of every error libmodelrepo reports. `code` is the C API's numeric code and
    `message` the library's message (which names the model and the problem)."""

    code = None

    def __init__(self, message, code=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidArgumentError(Error, ValueError):
    """The request or an argument is wrong: bad shape, datatype, feature count, an output the
    model cannot produce, a model file that does not load (code 1)."""

    code = 1


class NotFoundError(Error, LookupError):
    """No such model or version, or it is not loaded (code 2)."""

    code = 2


class UnavailableError(Error):
    """Try again later: the model is still loading, or the repository is closed (code 3)."""

    code = 3


class UnimplementedError(Error, NotImplementedError):
    """A feature this build or runtime does not offer (code 4)."""

    code = 4


class InternalError(Error):
    """A bug or an unexpected failure inside the library, including running out of memory
    (code 5)."""

    code = 5


class PermissionDeniedError(Error):
    """The caller may not do this (code 6)."""

    code = 6


_BY_CODE = {cls.code: cls for cls in (InvalidArgumentError, NotFoundError, UnavailableError,
                                      UnimplementedError, InternalError, PermissionDeniedError)}


def error_for(code, message):
    """The exception for a C API error code; the base class for a code this package does not
    know (a newer library)."""
    cls = _BY_CODE.get(code)
    if cls is None:
        return Error(message, code)
    return cls(message)
