"""The repository walkthrough in-process: index, unload, load, infer, metadata, readiness."""

import json
import os
import pathlib

import numpy as np
import pytest

import modelrepo
from conftest import EXAMPLES, copy_examples

MUSHROOM_P = 0.28583016991615295  # python3-xgboost on the first row of agaricus.txt.test


def states(repo):
    return {(e["name"], e["version"]): (e["state"], e["reason"]) for e in repo.index()}


def test_import_and_versions():
    assert modelrepo.__version__ == modelrepo.library_version()
    assert modelrepo.__version__.count(".") == 2
    major, minor, patch = modelrepo.c_api_version()
    assert major == 1 and minor >= 0 and patch >= 0
    assert os.path.exists(modelrepo.library_path())
    assert "libmodelrepo_c" in os.path.basename(modelrepo.library_path())


def test_walkthrough(agaricus, digits):
    X, _ = agaricus
    D, y = digits
    with modelrepo.Repository(str(EXAMPLES)) as repo:  # loads every model
        # index: both READY, sorted by name, with their versions
        assert repo.index() == [
            {"name": "mnist-svm", "version": "v0.1.0", "state": "READY", "reason": ""},
            {"name": "mushroom-xgboost", "version": "v0.1.0", "state": "READY", "reason": ""},
        ]
        # unload mushroom-xgboost: UNAVAILABLE "unloaded", requests refused
        repo.unload("mushroom-xgboost")
        assert states(repo)[("mushroom-xgboost", "v0.1.0")] == ("UNAVAILABLE", "unloaded")
        assert states(repo)[("mnist-svm", "v0.1.0")] == ("READY", "")
        assert [e["name"] for e in repo.index(ready_only=True)] == ["mnist-svm"]
        assert not repo.is_ready("mushroom-xgboost")
        with pytest.raises(modelrepo.NotFoundError, match="mushroom-xgboost"):
            repo.infer("mushroom-xgboost", X[:1])
        # load it again
        repo.load("mushroom-xgboost")
        assert states(repo)[("mushroom-xgboost", "v0.1.0")] == ("READY", "")
        assert repo.is_ready("mushroom-xgboost")
        assert repo.is_ready("mushroom-xgboost", version="v0.1.0")
        # infer on both models
        out = repo.infer("mushroom-xgboost", X[:1].astype(np.float32), outputs=["predict_proba"])
        assert list(out) == ["predict_proba"]
        proba = out["predict_proba"]
        assert proba.dtype == np.float32 and proba.shape == (1, 2)
        assert proba[0, 1] == pytest.approx(MUSHROOM_P, abs=1e-6)
        assert proba[0, 0] == pytest.approx(1 - MUSHROOM_P, abs=1e-6)
        out = repo.infer("mnist-svm", D[:5], version="v0.1.0")
        assert out["predict"].dtype == np.int64 and out["predict"].shape == (5, 1)
        assert out["predict"][0, 0] == 8


def test_metadata(repo):
    md = repo.metadata("mnist-svm")
    assert md["name"] == "mnist-svm"
    assert md["versions"] == ["v0.1.0"]
    assert md["platform"] == "libsvm"
    assert md["inputs"] == [{"name": "predict", "datatype": "FP64", "shape": [-1, 64]}]
    assert {"name": "predict", "datatype": "INT64", "shape": [-1, 1]} in md["outputs"]
    md = repo.metadata("mushroom-xgboost", version="v0.1.0")
    assert md["platform"] == "xgboost"
    assert md["inputs"][0]["shape"] == [-1, 126]
    assert {o["name"] for o in md["outputs"]} >= {"predict", "predict_proba"}
    json.dumps(md)  # plain Python values


def test_multiple_outputs_in_order(repo, digits):
    D, _ = digits
    out = repo.infer("mnist-svm", D[:3], outputs=["decision_function", "predict"])
    assert list(out) == ["decision_function", "predict"]
    assert out["decision_function"].shape == (3, 45)
    assert out["decision_function"].dtype == np.float64
    assert repo.infer("mnist-svm", D[:3], outputs="predict")["predict"].shape == (3, 1)


def test_reload_keeps_serving(repo, agaricus):
    X, _ = agaricus
    before = repo.infer("mushroom-xgboost", X[:10])["predict"]
    repo.load("mushroom-xgboost")  # reload
    np.testing.assert_array_equal(repo.infer("mushroom-xgboost", X[:10])["predict"], before)


def test_without_loading_at_startup(agaricus):
    X, _ = agaricus
    repo = modelrepo.Repository(pathlib.Path(EXAMPLES), load_models_at_startup=False)
    try:
        assert {e["state"] for e in repo.index()} == {"UNAVAILABLE"}
        assert not repo.is_ready("mnist-svm")
        with pytest.raises(modelrepo.NotFoundError):
            repo.infer("mushroom-xgboost", X[:1])
        repo.load("mushroom-xgboost")
        assert repo.is_ready("mushroom-xgboost")
        assert repo.infer("mushroom-xgboost", X[:1])["predict"][0, 0] == pytest.approx(
            MUSHROOM_P, abs=1e-6)
        assert not repo.is_ready("mnist-svm")
    finally:
        repo.close()


def test_context_manager_and_close(agaricus):
    X, _ = agaricus
    with modelrepo.Repository(EXAMPLES) as repo:
        assert not repo.closed
        assert repo.root == str(EXAMPLES)
        assert "open" in repr(repo)
    assert repo.closed
    assert "closed" in repr(repo)
    repo.close()  # twice is harmless
    for call in (repo.index, lambda: repo.load("mnist-svm"), lambda: repo.unload("mnist-svm"),
                 lambda: repo.is_ready("mnist-svm"), lambda: repo.metadata("mnist-svm"),
                 lambda: repo.infer("mushroom-xgboost", X[:1])):
        with pytest.raises(modelrepo.UnavailableError, match="closed"):
            call()


def test_models_added_and_broken_on_disk(tmp_path, digits):
    """The folder is rescanned on index and load; a broken model is UNAVAILABLE with a reason."""
    D, _ = digits
    root = tmp_path / "models"
    root.mkdir()
    with modelrepo.Repository(root) as repo:
        assert repo.index() == []
        copy_examples(tmp_path / "copy")
        (root / "digits").mkdir()
        (root / "digits" / "model.libsvm").write_bytes(
            (tmp_path / "copy" / "mnist-svm" / "model.libsvm").read_bytes())
        (root / "digits" / "model-settings.json").write_text(
            json.dumps({"name": "digits", "implementation": "libsvm"}))
        (root / "broken").mkdir()
        (root / "broken" / "model.libsvm").write_text("not a libsvm model\n")
        (root / "broken" / "model-settings.json").write_text(
            json.dumps({"name": "broken", "implementation": "libsvm"}))
        entries = {e["name"]: e for e in repo.index()}
        assert entries["digits"]["state"] == "UNAVAILABLE" and entries["digits"]["version"] is None
        repo.load("digits")
        assert repo.infer("digits", D[:1])["predict"][0, 0] == 8
        with pytest.raises(modelrepo.InvalidArgumentError) as failure:
            repo.load("broken")
        entry = {e["name"]: e for e in repo.index()}["broken"]
        assert entry["state"] == "UNAVAILABLE"
        assert entry["reason"] and entry["reason"] != "unloaded"
        assert str(failure.value)
