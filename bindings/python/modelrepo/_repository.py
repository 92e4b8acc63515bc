"""modelrepo.Repository: the models of one model-repository folder, over libmodelrepo's C API."""

import contextlib
import ctypes
import os
import struct
import threading
from collections.abc import Mapping

import numpy as np

from . import _capi
from ._errors import InternalError, InvalidArgumentError, UnavailableError, error_for

_lib = _capi.lib

# V2 datatype codes of the C API and their numpy dtypes (BYTES: object arrays of bytes).
BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BYTES = range(13)
_NUMPY_DTYPES = {
    BOOL: np.dtype(np.bool_),
    UINT8: np.dtype(np.uint8),
    UINT16: np.dtype(np.uint16),
    UINT32: np.dtype(np.uint32),
    UINT64: np.dtype(np.uint64),
    INT8: np.dtype(np.int8),
    INT16: np.dtype(np.int16),
    INT32: np.dtype(np.int32),
    INT64: np.dtype(np.int64),
    FP16: np.dtype(np.float16),
    FP32: np.dtype(np.float32),
    FP64: np.dtype(np.float64),
}
_CODE_OF_KIND_SIZE = {
    ("b", 1): BOOL,
    ("u", 1): UINT8, ("u", 2): UINT16, ("u", 4): UINT32, ("u", 8): UINT64,
    ("i", 1): INT8, ("i", 2): INT16, ("i", 4): INT32, ("i", 8): INT64,
    ("f", 2): FP16, ("f", 4): FP32, ("f", 8): FP64,
}
_STATE_NAMES = {0: "UNAVAILABLE", 1: "LOADING", 2: "READY", 3: "UNLOADING"}

DEFAULT_INPUT_NAME = "input-0"  # MLServer's name for an unnamed input


def _check(status):
    """Raises the exception for a non-NULL status, after freeing it."""
    if not status:
        return
    try:
        code = _lib.modelrepo_status_code(status)
        message = _lib.modelrepo_status_message(status).decode("utf-8", "replace")
    finally:
        _lib.modelrepo_status_free(status)
    raise error_for(code, message)


def _text(value):
    return value.decode("utf-8", "replace") if value is not None else ""


def _name_arg(value, what):
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    return value.encode("utf-8")


def _version_arg(version):
    return None if version is None else _name_arg(version, "version")


def datatype_name(code):
    """The V2 name of a datatype code ("FP32", ...)."""
    return _text(_lib.modelrepo_datatype_name(code))


def datatype_of(dtype):
    """The V2 datatype code for a numpy dtype; InvalidArgumentError when there is none."""
    dtype = np.dtype(dtype)
    if dtype.kind in "OSU":
        return BYTES
    code = _CODE_OF_KIND_SIZE.get((dtype.kind, dtype.itemsize))
    if code is None:
        raise InvalidArgumentError(
            f"numpy dtype {dtype} has no V2 datatype (use bool, integers, float16/32/64, "
            f"or bytes/str for BYTES)")
    return code


class _Tensor:
    """An input ready for modelrepo_infer_request_add_input; keeps its buffer alive."""

    def __init__(self, name, value):
        self.name = _name_arg(name, "input name")
        array = value if isinstance(value, np.ndarray) else np.asarray(value)
        self.datatype = datatype_of(array.dtype)
        self.shape = array.shape
        if self.datatype == BYTES:
            parts = []
            for element in array.reshape(-1):
                if isinstance(element, str):
                    element = element.encode("utf-8")
                elif isinstance(element, (bytes, bytearray, np.bytes_)):
                    element = bytes(element)
                else:
                    raise InvalidArgumentError(
                        f"input '{name}': a BYTES element must be bytes or str, "
                        f"not {type(element).__name__}")
                parts.append(struct.pack("<I", len(element)))
                parts.append(element)
            self.buffer = np.frombuffer(b"".join(parts), dtype=np.uint8)
        else:
            native = array.dtype.newbyteorder("=")
            self.buffer = np.ascontiguousarray(array, dtype=native)
        self.dims = (ctypes.c_int64 * max(len(self.shape), 1))(*self.shape)

    def add_to(self, request):
        _check(_lib.modelrepo_infer_request_add_input(
            request, self.name, self.datatype, self.dims, len(self.shape),
            self.buffer.ctypes.data if self.buffer.nbytes else None, self.buffer.nbytes))


def _bytes_elements(data, size, count):
    raw = ctypes.string_at(data, size) if size else b""
    out = np.empty(count, dtype=object)
    pos = 0
    for i in range(count):
        (length,) = struct.unpack_from("<I", raw, pos)
        out[i] = raw[pos + 4:pos + 4 + length]
        pos += 4 + length
    return out


def _read_output(response, i):
    name = ctypes.c_char_p()
    datatype = ctypes.c_int()
    dims = ctypes.POINTER(ctypes.c_int64)()
    rank = ctypes.c_size_t()
    data = ctypes.c_void_p()
    size = ctypes.c_size_t()
    _check(_lib.modelrepo_infer_response_output(
        response, i, ctypes.byref(name), ctypes.byref(datatype), ctypes.byref(dims),
        ctypes.byref(rank), ctypes.byref(data), ctypes.byref(size)))
    shape = tuple(dims[k] for k in range(rank.value))
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if datatype.value == BYTES:
        return _text(name.value), _bytes_elements(data.value, size.value, count).reshape(shape)
    dtype = _NUMPY_DTYPES.get(datatype.value)
    if dtype is None:
        raise InternalError(f"output '{_text(name.value)}' has datatype {datatype.value}, "
                            f"which this package does not know")
    array = np.empty(shape, dtype=dtype)
    if array.nbytes != size.value:
        raise InternalError(f"output '{_text(name.value)}' has {size.value} bytes for shape "
                            f"{list(shape)} of {datatype_name(datatype.value)}")
    if size.value:
        ctypes.memmove(array.ctypes.data, data.value, size.value)
    return _text(name.value), array


def _tensor_specs(metadata, count_fn, get_fn):
    count = ctypes.c_size_t()
    _check(count_fn(metadata, ctypes.byref(count)))
    specs = []
    for i in range(count.value):
        name = ctypes.c_char_p()
        datatype = ctypes.c_int()
        dims = ctypes.POINTER(ctypes.c_int64)()
        rank = ctypes.c_size_t()
        _check(get_fn(metadata, i, ctypes.byref(name), ctypes.byref(datatype), ctypes.byref(dims),
                      ctypes.byref(rank)))
        specs.append({"name": _text(name.value), "datatype": datatype_name(datatype.value),
                      "shape": [dims[k] for k in range(rank.value)]})
    return specs


class Repository:
    """The models of one model-repository folder (MLServer/Triton layout: a model-settings.json
    per model), loaded in this process.

        with modelrepo.Repository("examples/models") as repo:   # loads every model
            repo.index()
            out = repo.infer("mushroom-xgboost", X, outputs=["predict_proba"])

    Thread-safe: share one Repository between threads. The GIL is released while the library
    works (loading, inference), so inference on several threads runs in parallel. close() waits
    for calls already running and makes later calls raise UnavailableError.
    """

    def __init__(self, root, load_models_at_startup=True):
        """Opens the folder `root` and, unless load_models_at_startup is false, loads every
        model found (models that fail to load are listed UNAVAILABLE with the reason).
        NotFoundError when `root` is not a folder."""
        self._cond = threading.Condition()
        self._active = 0
        self._handle = None
        self._root = os.fspath(root)
        options = _capi.OpenOptionsP()
        _check(_lib.modelrepo_open_options_create(ctypes.byref(options)))
        try:
            _check(_lib.modelrepo_open_options_set_load_models_at_startup(
                options, 1 if load_models_at_startup else 0))
            handle = _capi.RepositoryP()
            _check(_lib.modelrepo_repository_open(os.fsencode(self._root), options,
                                                  ctypes.byref(handle)))
        finally:
            _lib.modelrepo_open_options_free(options)
        self._handle = handle

    # -- lifetime -------------------------------------------------------------------------------

    def close(self):
        """Waits for running calls, then unloads every model and frees the repository. Calls
        made after close() raise UnavailableError. Closing twice is harmless."""
        with self._cond:
            handle = self._handle
            if handle is None:
                return
            self._handle = None
            while self._active:
                self._cond.wait()
        _lib.modelrepo_repository_close(handle)

    @property
    def closed(self):
        return self._handle is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        # No other reference exists, so no call is running.
        handle = getattr(self, "_handle", None)
        if handle is not None and _lib is not None:
            self._handle = None
            _lib.modelrepo_repository_close(handle)

    def __repr__(self):
        state = "closed" if self.closed else "open"
        return f"<modelrepo.Repository {self._root!r} ({state})>"

    @contextlib.contextmanager
    def _use(self):
        with self._cond:
            if self._handle is None:
                raise UnavailableError(f"model repository {self._root} is closed")
            self._active += 1
            handle = self._handle
        try:
            yield handle
        finally:
            with self._cond:
                self._active -= 1
                if not self._active:
                    self._cond.notify_all()

    @property
    def root(self):
        """The folder this repository serves, as given."""
        return self._root

    # -- repository API -------------------------------------------------------------------------

    def index(self, ready_only=False):
        """Rescans the folder and lists every model version found, sorted by name then version:
        [{"name", "version" (None when the model has none), "state" ("READY", "UNAVAILABLE",
        "LOADING", "UNLOADING"), "reason" ("" or why it is unavailable)}, ...]."""
        index = _capi.IndexP()
        with self._use() as handle:
            _check(_lib.modelrepo_repository_index(handle, 1 if ready_only else 0,
                                                   ctypes.byref(index)))
        try:
            size = ctypes.c_size_t()
            _check(_lib.modelrepo_index_size(index, ctypes.byref(size)))
            entries = []
            for i in range(size.value):
                name, version, reason = ctypes.c_char_p(), ctypes.c_char_p(), ctypes.c_char_p()
                state = ctypes.c_int()
                _check(_lib.modelrepo_index_entry(index, i, ctypes.byref(name),
                                                  ctypes.byref(version), ctypes.byref(state),
                                                  ctypes.byref(reason)))
                entries.append({
                    "name": _text(name.value),
                    "version": _text(version.value) or None,
                    "state": _STATE_NAMES.get(state.value, str(state.value)),
                    "reason": _text(reason.value),
                })
            return entries
        finally:
            _lib.modelrepo_index_free(index)

    def load(self, name):
        """Loads (or reloads) every version of model `name` and returns once they are READY.
        A reload keeps the old copy serving until the new one is ready, and if it fails.
        NotFoundError for an unknown name; InvalidArgumentError with the reason on failure."""
        encoded = _name_arg(name, "model name")
        with self._use() as handle:
            _check(_lib.modelrepo_repository_load(handle, encoded))

    def unload(self, name):
        """Stops new requests to model `name` at once; running ones finish. NotFoundError when
        it is not loaded."""
        encoded = _name_arg(name, "model name")
        with self._use() as handle:
            _check(_lib.modelrepo_repository_unload(handle, encoded))

    def is_ready(self, name, version=None):
        """Whether the version (None: the default one) of `name` is READY. NotFoundError when
        the repository has no such model or version."""
        encoded, encoded_version = _name_arg(name, "model name"), _version_arg(version)
        ready = ctypes.c_int()
        with self._use() as handle:
            _check(_lib.modelrepo_repository_is_ready(handle, encoded, encoded_version,
                                                      ctypes.byref(ready)))
        return bool(ready.value)

    def metadata(self, name, version=None):
        """Metadata of a loaded model version (None: the default one), as the V2 protocol has
        it: {"name", "versions", "platform", "inputs", "outputs"}, each input and output
        {"name", "datatype", "shape"} (-1: any size). NotFoundError unless it is loaded."""
        encoded, encoded_version = _name_arg(name, "model name"), _version_arg(version)
        metadata = _capi.MetadataP()
        with self._use() as handle:
            _check(_lib.modelrepo_repository_metadata(handle, encoded, encoded_version,
                                                      ctypes.byref(metadata)))
        try:
            model_name, platform = ctypes.c_char_p(), ctypes.c_char_p()
            _check(_lib.modelrepo_metadata_model(metadata, ctypes.byref(model_name),
                                                 ctypes.byref(platform)))
            count = ctypes.c_size_t()
            _check(_lib.modelrepo_metadata_version_count(metadata, ctypes.byref(count)))
            versions = []
            for i in range(count.value):
                v = ctypes.c_char_p()
                _check(_lib.modelrepo_metadata_version(metadata, i, ctypes.byref(v)))
                versions.append(_text(v.value))
            return {
                "name": _text(model_name.value),
                "versions": versions,
                "platform": _text(platform.value),
                "inputs": _tensor_specs(metadata, _lib.modelrepo_metadata_input_count,
                                        _lib.modelrepo_metadata_input),
                "outputs": _tensor_specs(metadata, _lib.modelrepo_metadata_output_count,
                                         _lib.modelrepo_metadata_output),
            }
        finally:
            _lib.modelrepo_metadata_free(metadata)

    def infer(self, name, X, outputs=None, version=None):
        """Runs model `name` (version None: the default one) on X and returns
        {output name: numpy array}, in the order asked for.

        X is an array-like of any numeric dtype (its V2 datatype follows the dtype: float32 is
        FP32, int64 INT64, bool BOOL, ...; str/bytes arrays are BYTES) sent as the input
        "input-0", or a dict {input name: array-like} for several named inputs. Tabular models
        take one input of shape [N, F] or [F]. `outputs` names what to compute
        ("predict", "predict_proba", "decision_function"); None: the model's default output.
        Outputs come back with the datatype and shape the model gives (e.g. predict_proba of
        an XGBoost model is float32 [N, K]).

        NotFoundError for a model or version that is not loaded; InvalidArgumentError for a
        request the model cannot take; UnavailableError while it is loading."""
        encoded, encoded_version = _name_arg(name, "model name"), _version_arg(version)
        items = X.items() if isinstance(X, Mapping) else [(DEFAULT_INPUT_NAME, X)]
        tensors = [_Tensor(input_name, value) for input_name, value in items]
        if outputs is None:
            outputs = []
        elif isinstance(outputs, str):
            outputs = [outputs]
        wanted = [_name_arg(o, "output name") for o in outputs]

        request = _capi.InferRequestP()
        _check(_lib.modelrepo_infer_request_create(encoded, encoded_version,
                                                   ctypes.byref(request)))
        response = _capi.InferResponseP()
        try:
            for tensor in tensors:
                tensor.add_to(request)
            for output in wanted:
                _check(_lib.modelrepo_infer_request_add_output(request, output))
            with self._use() as handle:
                _check(_lib.modelrepo_repository_infer(handle, request, ctypes.byref(response)))
        finally:
            _lib.modelrepo_infer_request_free(request)
        try:
            count = ctypes.c_size_t()
            _check(_lib.modelrepo_infer_response_output_count(response, ctypes.byref(count)))
            return dict(_read_output(response, i) for i in range(count.value))
        finally:
            _lib.modelrepo_infer_response_free(response)
