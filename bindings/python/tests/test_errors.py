"""Errors raise the exception class of their kind, with the library's message."""

import numpy as np
import pytest

import modelrepo
from modelrepo._errors import error_for
from conftest import EXAMPLES, run_python
import os


def test_class_hierarchy_and_codes():
    expected = {
        modelrepo.InvalidArgumentError: (1, ValueError),
        modelrepo.NotFoundError: (2, LookupError),
        modelrepo.UnavailableError: (3, modelrepo.Error),
        modelrepo.UnimplementedError: (4, NotImplementedError),
        modelrepo.InternalError: (5, modelrepo.Error),
        modelrepo.PermissionDeniedError: (6, modelrepo.Error),
    }
    for cls, (code, also) in expected.items():
        assert issubclass(cls, modelrepo.Error) and issubclass(cls, also)
        e = error_for(code, "a message")
        assert type(e) is cls and e.code == code and e.message == "a message"
        assert str(e) == "a message"
    unknown = error_for(99, "from a newer library")
    assert type(unknown) is modelrepo.Error and unknown.code == 99


def test_not_found(repo, agaricus):
    X, _ = agaricus
    with pytest.raises(modelrepo.NotFoundError, match="no-such-folder"):
        modelrepo.Repository("/nonexistent/no-such-folder")
    with pytest.raises(modelrepo.NotFoundError, match="no-such-model") as e:
        repo.infer("no-such-model", X[:1])
    assert e.value.code == 2
    with pytest.raises(modelrepo.NotFoundError, match="v9"):
        repo.infer("mushroom-xgboost", X[:1], version="v9")
    with pytest.raises(modelrepo.NotFoundError):
        repo.load("no-such-model")
    with pytest.raises(modelrepo.NotFoundError):
        repo.unload("no-such-model")
    with pytest.raises(modelrepo.NotFoundError):
        repo.is_ready("no-such-model")
    with pytest.raises(modelrepo.NotFoundError):
        repo.is_ready("mnist-svm", version="v9")
    with pytest.raises(modelrepo.NotFoundError):
        repo.metadata("no-such-model")
    with pytest.raises(LookupError):  # catchable as the builtin kind, too
        repo.metadata("mnist-svm", version="v9")


def test_not_found_after_unload():
    with modelrepo.Repository(EXAMPLES) as repo:
        repo.unload("mnist-svm")
        with pytest.raises(modelrepo.NotFoundError, match="mnist-svm"):
            repo.unload("mnist-svm")
        with pytest.raises(modelrepo.NotFoundError, match="mnist-svm"):
            repo.metadata("mnist-svm")
        with pytest.raises(modelrepo.NotFoundError, match="mnist-svm"):
            repo.infer("mnist-svm", np.zeros((1, 64)))


def test_invalid_argument(repo, agaricus, digits):
    X, _ = agaricus
    D, _ = digits
    with pytest.raises(modelrepo.InvalidArgumentError, match="126") as e:
        repo.infer("mushroom-xgboost", D[:1])  # 64 features
    assert e.value.code == 1 and "mushroom-xgboost" in e.value.message
    with pytest.raises(modelrepo.InvalidArgumentError, match="predict_proba"):
        repo.infer("mnist-svm", D[:1], outputs=["predict_proba"])  # no probability model
    with pytest.raises(modelrepo.InvalidArgumentError, match="twice"):
        repo.infer("mnist-svm", D[:1], outputs=["predict", "predict"])
    with pytest.raises(modelrepo.InvalidArgumentError):
        repo.infer("mnist-svm", {"a": D[:1], "b": D[:1]})  # one input only
    with pytest.raises(modelrepo.InvalidArgumentError):
        repo.infer("mnist-svm", {})
    with pytest.raises(modelrepo.InvalidArgumentError):
        repo.infer("mnist-svm", np.zeros((1, 2, 64)))
    with pytest.raises(modelrepo.InvalidArgumentError, match="no V2 datatype"):
        repo.infer("mnist-svm", D[:1].astype(np.complex128))
    with pytest.raises(ValueError):  # catchable as the builtin kind, too
        repo.infer("mushroom-xgboost", D[:1])


def test_wrong_python_types(repo):
    with pytest.raises(TypeError):
        repo.load(b"mnist-svm")
    with pytest.raises(TypeError):
        repo.infer("mnist-svm", np.zeros((1, 64)), outputs=[1])
    with pytest.raises(TypeError):
        repo.infer("mnist-svm", {1: np.zeros((1, 64))})
    with pytest.raises(TypeError):
        repo.is_ready("mnist-svm", version=1)


def test_unavailable_after_close():
    repo = modelrepo.Repository(EXAMPLES, load_models_at_startup=False)
    repo.close()
    with pytest.raises(modelrepo.UnavailableError, match="closed") as e:
        repo.index()
    assert e.value.code == 3


FAULTS = r"""
import modelrepo, numpy as np
from modelrepo import _capi
inject = _capi.lib.modelrepo_testing_inject_fault
repo = modelrepo.Repository({root!r})
X = np.zeros((1, 64))
results = []
cases = [(1, modelrepo.InvalidArgumentError), (2, modelrepo.NotFoundError),
         (3, modelrepo.UnavailableError), (4, modelrepo.UnimplementedError),
         (5, modelrepo.InternalError), (6, modelrepo.PermissionDeniedError),
         (-1, modelrepo.InternalError), (-2, modelrepo.InternalError), (-3, modelrepo.InternalError)]
for entry, call in [("modelrepo_repository_infer", lambda: repo.infer("mnist-svm", X)),
                    ("modelrepo_repository_load", lambda: repo.load("mnist-svm")),
                    ("modelrepo_repository_index", repo.index),
                    ("modelrepo_repository_metadata", lambda: repo.metadata("mnist-svm")),
                    ("modelrepo_infer_response_output", lambda: repo.infer("mnist-svm", X))]:
    for fault, cls in cases:
        assert not inject(entry.encode(), fault)  # NULL status: armed
        try:
            call()
        except modelrepo.Error as e:
            assert type(e) is cls, (entry, fault, type(e), str(e))
            assert e.code == cls.code
            if fault == -1:
                assert e.message == "out of memory", e.message
            results.append(fault)
        else:
            raise AssertionError(f"{{entry}} with fault {{fault}} raised nothing")
        call()  # fine again
print("faults", len(results))
"""


@pytest.mark.skipif(not os.environ.get("MODELREPO_C_FAULT_LIBRARY"),
                    reason="needs the fault-injection build of libmodelrepo_c (CTest sets it)")
def test_every_code_and_exception_kind_through_fault_injection():
    """The test build of the C library can make a call fail with any code, or throw inside: each
    comes out as its exception class."""
    proc = run_python(FAULTS.format(root=str(EXAMPLES)),
                      {"MODELREPO_C_LIBRARY": os.environ["MODELREPO_C_FAULT_LIBRARY"]})
    assert proc.returncode == 0, proc.stderr
    assert "faults 45" in proc.stdout


def test_import_error_names_the_problem():
    proc = run_python("import modelrepo", {"MODELREPO_C_LIBRARY": "/nonexistent/libmodelrepo_c.so"})
    assert proc.returncode != 0
    assert "ImportError" in proc.stderr and "/nonexistent/libmodelrepo_c.so" in proc.stderr
