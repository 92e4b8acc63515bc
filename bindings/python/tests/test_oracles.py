"""Predictions equal to independent implementations over the whole test sets: python3-xgboost for
XGBoost, svm-predict (libsvm-tools) and python3-libsvm for libsvm; then every model and output of
tests/fixtures/make_fixtures.py against its oracle files."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import xgboost

import modelrepo
from conftest import AGARICUS_TEST, DIGITS_MODEL, DIGITS_TEST, MUSHROOM_MODEL, SOURCE_DIR

try:
    import svm as libsvm_ctypes  # python3-libsvm
    import svmutil
except ImportError:  # pragma: no cover
    pytest.skip("python3-libsvm is not installed", allow_module_level=True)


def test_xgboost_whole_test_set(repo, agaricus):
    X, _ = agaricus
    booster = xgboost.Booster(model_file=str(MUSHROOM_MODEL))
    expected = booster.predict(xgboost.DMatrix(X, missing=np.nan))
    assert expected.shape == (1611,)
    for datatype in (np.float32, np.float64):
        out = repo.infer("mushroom-xgboost", X.astype(datatype), outputs=["predict", "predict_proba"])
        assert out["predict"].dtype == np.float32 and out["predict"].shape == (1611, 1)
        np.testing.assert_allclose(out["predict"][:, 0], expected, rtol=0, atol=1e-6)
        proba = out["predict_proba"]
        assert proba.dtype == np.float32 and proba.shape == (1611, 2)
        np.testing.assert_allclose(proba[:, 1], expected, rtol=0, atol=1e-6)
        np.testing.assert_allclose(proba[:, 0], 1 - expected, rtol=0, atol=1e-6)


def test_libsvm_labels_equal_svm_predict(repo, digits, tmp_path):
    D, _ = digits
    subprocess.run(["svm-predict", "-q", str(DIGITS_TEST), str(DIGITS_MODEL),
                    str(tmp_path / "out.txt")], check=True)
    expected = np.array([float(line) for line in (tmp_path / "out.txt").read_text().split()])
    assert expected.shape == (899,)
    out = repo.infer("mnist-svm", D)
    assert out["predict"].dtype == np.int64 and out["predict"].shape == (899, 1)
    np.testing.assert_array_equal(out["predict"][:, 0], expected.astype(np.int64))


def libsvm_decision_values(model_path, X):
    """Labels and pairwise decision values from libsvm's svm_predict_values (python3-libsvm)."""
    model = svmutil.svm_load_model(str(model_path))
    k = model.get_nr_class()
    width = k * (k - 1) // 2
    buffer = (libsvm_ctypes.c_double * width)()
    labels, values = [], []
    for row in X:
        nodes, _ = svmutil.gen_svm_nodearray({i + 1: float(v) for i, v in enumerate(row) if v != 0})
        labels.append(libsvm_ctypes.libsvm.svm_predict_values(model, nodes, buffer))
        values.append(list(buffer[:width]))
    return np.array(labels), np.array(values)


def test_libsvm_equal_python_libsvm(repo, digits):
    D, _ = digits
    labels, values = libsvm_decision_values(DIGITS_MODEL, D)
    out = repo.infer("mnist-svm", D, outputs=["predict", "decision_function"])
    np.testing.assert_array_equal(out["predict"][:, 0], labels.astype(np.int64))
    assert out["decision_function"].dtype == np.float64
    assert out["decision_function"].shape == values.shape == (899, 45)
    np.testing.assert_allclose(out["decision_function"], values, rtol=0, atol=1e-6)


# ---- The fixture models --------------------------------------------------------------------

@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    """tests/fixtures/make_fixtures.py's models and oracles, served from one repository."""
    out = tmp_path_factory.mktemp("fixtures")
    subprocess.run([sys.executable, str(SOURCE_DIR / "tests" / "fixtures" / "make_fixtures.py"),
                    str(out)], check=True, capture_output=True)
    manifest = json.loads((out / "MANIFEST.json").read_text())
    root = out / "repository"
    names = {}
    for path, entry in manifest.items():
        name = path.replace("/", "-").replace(".", "-")
        folder = root / name
        folder.mkdir(parents=True)
        shutil.copy(out / path, folder / (out / path).name)
        (folder / "model-settings.json").write_text(json.dumps({
            "name": name, "implementation": entry["runtime"],
            "parameters": {"uri": "./" + (out / path).name}}))
        names[path] = name
    with modelrepo.Repository(root) as repository:
        yield out, manifest, names, repository


def read_oracle(path):
    return np.array([[float(v) for v in line.split()] for line in path.read_text().splitlines()])


def check_outputs(repository, name, X, outputs, exact, base, atol, label):
    got = repository.infer(name, X, outputs=list(outputs))
    for output, oracle_file in outputs.items():
        expected = read_oracle(base / oracle_file)
        value = got[output].reshape(len(X), -1).astype(np.float64)
        assert value.shape == expected.shape, f"{label} {output}"
        if output in exact:
            np.testing.assert_array_equal(value, expected, err_msg=f"{label} {output}")
        else:
            np.testing.assert_allclose(value, expected, rtol=0, atol=atol,
                                       err_msg=f"{label} {output}")


def test_fixture_models_equal_their_oracles(fixtures):
    base, manifest, names, repository = fixtures
    assert len(manifest) >= 10
    index = {e["name"]: e for e in repository.index()}
    for path, entry in sorted(manifest.items()):
        name = names[path]
        assert index[name]["state"] == "READY", (path, index[name]["reason"])
        X = np.loadtxt(base / "data" / entry["data"], delimiter=",", ndmin=2)
        assert X.shape == (entry["rows"], entry["features"])
        check_outputs(repository, name, X, entry["outputs"], entry.get("exact", ()), base,
                      entry["atol"], path)
        if "missing" in entry:  # NaN is a missing value for XGBoost
            missing = entry["missing"]
            Xm = np.loadtxt(base / "data" / missing["data"], delimiter=",", ndmin=2)
            assert np.isnan(Xm).any()
            check_outputs(repository, name, Xm, missing["outputs"], (), base, entry["atol"],
                          path + " (missing values)")
