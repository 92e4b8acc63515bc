"""Every numeric numpy dtype goes in as its V2 datatype and gives the same predictions; outputs
come back with the model's datatype and shape; array layouts and input forms."""

import numpy as np
import pytest

import modelrepo

ALL_NUMERIC = [np.bool_, np.uint8, np.uint16, np.uint32, np.uint64, np.int8, np.int16, np.int32,
               np.int64, np.float16, np.float32, np.float64]


@pytest.mark.parametrize("dtype", ALL_NUMERIC, ids=lambda t: np.dtype(t).name)
def test_every_dtype_xgboost(repo, agaricus, dtype):
    X, _ = agaricus  # 0/1 values: exact in every dtype, bool included
    expected = repo.infer("mushroom-xgboost", X.astype(np.float32), outputs=["predict_proba"])
    out = repo.infer("mushroom-xgboost", X.astype(dtype), outputs=["predict_proba"])
    assert out["predict_proba"].dtype == np.float32
    np.testing.assert_array_equal(out["predict_proba"], expected["predict_proba"])


@pytest.mark.parametrize("dtype", ALL_NUMERIC[1:], ids=lambda t: np.dtype(t).name)
def test_every_dtype_libsvm(repo, digits, dtype):
    D, _ = digits  # integers 0..16: exact in every dtype but bool
    expected = repo.infer("mnist-svm", D, outputs=["predict", "decision_function"])
    out = repo.infer("mnist-svm", D.astype(dtype), outputs=["predict", "decision_function"])
    np.testing.assert_array_equal(out["predict"], expected["predict"])
    np.testing.assert_array_equal(out["decision_function"], expected["decision_function"])


def test_datatype_mapping():
    from modelrepo._repository import datatype_name, datatype_of
    names = [datatype_name(datatype_of(t)) for t in ALL_NUMERIC]
    assert names == ["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32",
                     "INT64", "FP16", "FP32", "FP64"]
    assert datatype_name(datatype_of(np.dtype("S3"))) == "BYTES"
    assert datatype_name(datatype_of(np.dtype("U3"))) == "BYTES"
    assert datatype_name(datatype_of(object)) == "BYTES"
    for unsupported in (np.complex64, np.complex128, "M8[s]", "m8[s]", np.longdouble):
        if np.dtype(unsupported).kind == "f" and np.dtype(unsupported).itemsize == 8:
            continue  # longdouble is double on some platforms
        with pytest.raises(modelrepo.InvalidArgumentError, match="no V2 datatype"):
            datatype_of(unsupported)


def test_output_dtypes_and_shapes(repo, agaricus, digits):
    X, _ = agaricus
    D, _ = digits
    out = repo.infer("mushroom-xgboost", X[:7], outputs=["predict", "predict_proba"])
    assert (out["predict"].dtype, out["predict"].shape) == (np.float32, (7, 1))
    assert (out["predict_proba"].dtype, out["predict_proba"].shape) == (np.float32, (7, 2))
    out = repo.infer("mnist-svm", D[:7], outputs=["predict", "decision_function"])
    assert (out["predict"].dtype, out["predict"].shape) == (np.int64, (7, 1))
    assert (out["decision_function"].dtype, out["decision_function"].shape) == (np.float64, (7, 45))
    # outputs own their memory (copied out of the C response)
    assert out["predict"].flags.owndata and out["predict"].flags.writeable


def test_layouts_and_forms(repo, digits):
    D, _ = digits
    expected = repo.infer("mnist-svm", D[:20])["predict"]
    wide = np.zeros((20, 128))
    wide[:, ::2] = D[:20]
    forms = {
        "strided view": wide[:, ::2],
        "Fortran order": np.asfortranarray(D[:20]),
        "big-endian": D[:20].astype(">f8"),
        "big-endian int": D[:20].astype(">i4"),
        "nested lists": D[:20].tolist(),
        "list of ints": D[:20].astype(int).tolist(),
    }
    for label, X in forms.items():
        np.testing.assert_array_equal(repo.infer("mnist-svm", X)["predict"], expected,
                                      err_msg=label)
    # a dict of named inputs; one row as a 1-D array
    np.testing.assert_array_equal(repo.infer("mnist-svm", {"predict": D[:20]})["predict"], expected)
    one = repo.infer("mnist-svm", D[0])["predict"]
    assert one.shape == (1, 1) and one[0, 0] == expected[0, 0]


def test_empty_batch(repo):
    out = repo.infer("mushroom-xgboost", np.zeros((0, 126), dtype=np.float32))
    assert out["predict"].shape == (0, 1) and out["predict"].dtype == np.float32


def test_nan_is_missing_for_xgboost(repo, agaricus):
    X, _ = agaricus
    Xm = X[:50].copy()
    Xm[:, 3] = np.nan
    import xgboost
    from conftest import MUSHROOM_MODEL
    booster = xgboost.Booster(model_file=str(MUSHROOM_MODEL))
    expected = booster.predict(xgboost.DMatrix(Xm, missing=np.nan))
    np.testing.assert_allclose(repo.infer("mushroom-xgboost", Xm)["predict"][:, 0], expected,
                               rtol=0, atol=1e-6)


def test_bytes_inputs_reach_the_model(repo):
    # BYTES is carried through the C API (length-prefixed elements); tabular models refuse it.
    for X in (np.array([["a", "bc"]]), np.array([[b"a", b""]]), np.array([["x", b"y"]], dtype=object)):
        with pytest.raises(modelrepo.InvalidArgumentError, match="mushroom-xgboost"):
            repo.infer("mushroom-xgboost", X)
    with pytest.raises(modelrepo.InvalidArgumentError, match="BYTES element"):
        repo.infer("mushroom-xgboost", np.array([[1, "a"]], dtype=object))
