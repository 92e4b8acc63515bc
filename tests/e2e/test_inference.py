"""Inference over whole test sets, equal to independent oracles (python3-xgboost, libsvm)."""
import json

import numpy as np
import pytest

import oracles
from helpers import UUID4, check_error, infer_body


def outputs_of(response):
    assert response.status_code == 200, response.text
    return {o["name"]: o for o in response.json()["outputs"]}


@pytest.mark.parametrize("datatype", ["FP32", "FP64"])
def test_mushroom_whole_test_set(shared_server, examples, datatype):
    X, expected = oracles.mushroom(str(examples))
    r = shared_server.post("/v2/models/mushroom-xgboost/infer", data=infer_body(X, datatype))
    out = outputs_of(r)["predict"]
    assert out["shape"] == [len(X), 1]
    assert out["datatype"] == "FP32"
    got = np.array(out["data"], dtype=np.float32)
    np.testing.assert_array_equal(got, expected)


def test_mushroom_predict_proba(shared_server, examples):
    X, expected = oracles.mushroom(str(examples))
    r = shared_server.post("/v2/models/mushroom-xgboost/infer",
                           data=infer_body(X[:50], outputs=["predict_proba", "predict"]))
    outs = outputs_of(r)
    assert [o["name"] for o in r.json()["outputs"]] == ["predict_proba", "predict"]
    proba = np.array(outs["predict_proba"]["data"], dtype=np.float32).reshape(50, 2)
    np.testing.assert_array_equal(proba[:, 1], expected[:50])
    np.testing.assert_allclose(proba[:, 0], 1 - expected[:50], atol=1e-7)


@pytest.mark.parametrize("datatype", ["FP32", "FP64", "INT64", "UINT8"])
def test_digits_whole_test_set(shared_server, examples, datatype):
    X, labels, _ = oracles.digits(str(examples))
    r = shared_server.post("/v2/models/mnist-svm/infer", data=infer_body(X.astype(int), datatype))
    out = outputs_of(r)["predict"]
    assert out["shape"] == [len(X), 1] and out["datatype"] == "INT64"
    np.testing.assert_array_equal(np.array(out["data"]), labels)


def test_digits_decision_function(shared_server, examples):
    X, _, decisions = oracles.digits(str(examples))
    r = shared_server.post("/v2/models/mnist-svm/infer",
                           data=infer_body(X, "FP64", outputs=["decision_function"]))
    out = outputs_of(r)["decision_function"]
    assert out["shape"] == [len(X), 45] and out["datatype"] == "FP64"
    np.testing.assert_allclose(np.array(out["data"]).reshape(len(X), 45), decisions, rtol=1e-9, atol=1e-12)


def test_row_by_row_and_nested_data(shared_server, examples):
    X, labels, _ = oracles.digits(str(examples))
    for i in range(0, len(X), 97):
        r = shared_server.post("/v2/models/mnist-svm/infer", data=infer_body(X[i], nested=True))
        assert outputs_of(r)["predict"]["data"] == [labels[i]]
    # [F] for one row
    body = json.dumps({"inputs": [{"name": "x", "shape": [64], "datatype": "FP32", "data": X[0].tolist()}]})
    r = shared_server.post("/v2/models/mnist-svm/infer", data=body)
    assert outputs_of(r)["predict"]["data"] == [labels[0]]


def test_null_is_a_missing_value(shared_server, examples):
    X, _ = oracles.mushroom(str(examples))
    body = json.loads(infer_body(X[:1]))
    body["inputs"][0]["data"][5] = None
    r = shared_server.post("/v2/models/mushroom-xgboost/infer", json=body)
    assert r.status_code == 200, r.text
    value = r.json()["outputs"][0]["data"][0]
    assert 0.0 <= value <= 1.0


def test_ids_and_versions(shared_server, examples):
    X, _ = oracles.mushroom(str(examples))
    s = shared_server
    r = s.post("/v2/models/mushroom-xgboost/versions/v0.1.0/infer", data=infer_body(X[:2], request_id="abc-1"))
    body = r.json()
    assert body["id"] == "abc-1" and body["model_version"] == "v0.1.0"
    ids = {s.post("/v2/models/mushroom-xgboost/infer", data=infer_body(X[:1])).json()["id"] for _ in range(5)}
    assert len(ids) == 5 and all(UUID4.fullmatch(i) for i in ids)
    check_error(s.post("/v2/models/mushroom-xgboost/versions/v9/infer", data=infer_body(X[:1])), 404,
                "Model mushroom-xgboost with version v9 not found")


def test_shortest_float_text(shared_server, examples):
    X, _ = oracles.mushroom(str(examples))
    r = shared_server.post("/v2/models/mushroom-xgboost/infer", data=infer_body(X[:1]))
    # FP32 printed as the shortest text that reads back as the same float.
    assert '"data":[0.28583017]' in r.text
