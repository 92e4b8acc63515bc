"""Every error case of the spec's tables: status, JSON content type, {"error": ...} body."""
import json

import numpy as np
import pytest

import oracles
from helpers import check_empty_ok, check_error, infer_body

ROW64 = json.loads(infer_body(np.arange(64) % 16))


def body_with(**changes):
    body = json.loads(json.dumps(ROW64))
    body["inputs"][0].update(changes)
    return json.dumps(body)


CASES = [
    # (method, path, body, status, exact message or None, substring or None)
    ("POST", "/v2/models/no-such-model/infer", json.dumps(ROW64), 404, "Model no-such-model not found", None),
    ("POST", "/v2/models/mnist-svm/versions/v9/infer", json.dumps(ROW64), 404,
     "Model mnist-svm with version v9 not found", None),
    ("POST", "/v2/models/mnist-svm/infer", '{"inputs": [ {"name": "predict", ', 400, None, "malformed JSON"),
    ("POST", "/v2/models/mnist-svm/infer", "", 400, "request body is empty; expected a JSON object", None),
    ("POST", "/v2/models/mnist-svm/infer", '{"outputs":[]}', 400, "inference request has no 'inputs'", None),
    ("POST", "/v2/models/mnist-svm/infer", body_with(datatype="FLOAT32"), 400, None, "unknown datatype 'FLOAT32'"),
    ("POST", "/v2/models/mnist-svm/infer", body_with(datatype="BYTES"), 400, None, "BYTES data must be strings"),
    ("POST", "/v2/models/mnist-svm/infer", body_with(data=["a"] * 64), 400, None, "FP32 data must be numbers"),
    ("POST", "/v2/models/mnist-svm/infer", body_with(datatype="INT32", data=[0.5] * 64), 400, None,
     "does not fit INT32"),
    ("POST", "/v2/models/mnist-svm/infer", body_with(datatype="UINT8", data=[256] * 64), 400, None,
     "does not fit UINT8"),
    ("POST", "/v2/models/mnist-svm/infer", body_with(shape=[1, 10]), 400,
     "input 'predict' has 64 elements but its shape [1, 10] implies 10", None),
    ("POST", "/v2/models/mnist-svm/infer", body_with(shape=[1, 10], data=list(range(10))), 400, None, "64"),
    ("POST", "/v2/models/mushroom-xgboost/infer", body_with(shape=[1, 10], data=list(range(10))), 400, None, "126"),
    ("POST", "/v2/models/mnist-svm/infer", body_with(shape=[-1, 64]), 400, None, "non-negative"),
    ("POST", "/v2/models/mnist-svm/infer", json.dumps({**ROW64, "outputs": [{"name": "predict_proba"}]}), 400,
     None, "predict_proba"),
    ("POST", "/v2/models/mnist-svm/infer", json.dumps({**ROW64, "outputs": [{"name": "nope"}]}), 400, None, "nope"),
    ("POST", "/v2/repository/models/no-such-model/load", "", 404, "Model no-such-model not found", None),
    ("POST", "/v2/repository/models/no-such-model/unload", "", 404, "Model no-such-model not found", None),
    ("POST", "/v2/repository/models/mnist-svm/load", '{"parameters":{"config":"{}"}}', 400, None,
     "parameter 'config' is not supported"),
    ("POST", "/v2/repository/models/mnist-svm/load", '{"parameters":{"file:1/model.bst":"AA=="}}', 400, None,
     "parameter 'file:1/model.bst' is not supported"),
    ("POST", "/v2/repository/index", '{"ready": ', 400, None, "malformed JSON"),
    ("POST", "/v2/repository/index", '{"ready":"yes"}', 400, "'ready' must be true or false", None),
    ("GET", "/v2/models/no-such-model", None, 404, "Model no-such-model not found", None),
    ("GET", "/v2/models/mnist-svm/versions/v9", None, 404, "Model mnist-svm with version v9 not found", None),
    ("GET", "/v2/models/no-such-model/ready", None, 404, "Model no-such-model not found", None),
    ("GET", "/v2/models/mnist-svm/versions/v9/ready", None, 404, "Model mnist-svm with version v9 not found", None),
    ("GET", "/v2/nope", None, 404, None, "/v2/nope"),
    ("GET", "/v2/models/a%2Fb/ready", None, 400, "invalid model name 'a/b'", None),
    ("POST", "/v2/repository/models/%2E%2E/load", "", 400, "invalid model name '..'", None),
]


@pytest.mark.parametrize("method,path,body,status,message,contains", CASES,
                         ids=[f"{c[0]} {c[1]} {c[3]}" for c in CASES])
def test_error(shared_server, method, path, body, status, message, contains):
    r = shared_server.http.request(method, shared_server.url + path, data=body, timeout=30)
    check_error(r, status, message, contains)


def test_wrong_method_is_405_with_allow(shared_server):
    r = shared_server.get("/v2/models/mnist-svm/infer")
    check_error(r, 405, contains="use POST")
    assert r.headers["Allow"] == "POST"
    r = shared_server.post("/v2/health/live")
    check_error(r, 405)
    assert r.headers["Allow"] == "GET, HEAD"


def test_index_accepts_an_empty_body(shared_server):
    r = shared_server.post("/v2/repository/index")
    assert r.status_code == 200 and len(r.json()) == 2
    r = shared_server.post("/v2/repository/index", json={"ready": True})
    assert [e["name"] for e in r.json()] == ["mnist-svm", "mushroom-xgboost"]


def test_unloaded_model(start_server, examples):
    s = start_server()
    X, _ = oracles.mushroom(str(examples))
    check_empty_ok(s.post("/v2/repository/models/mushroom-xgboost/unload"))
    check_error(s.post("/v2/repository/models/mushroom-xgboost/unload"), 404, "Model mushroom-xgboost not found")
    check_error(s.post("/v2/models/mushroom-xgboost/infer", data=infer_body(X[:1])), 404,
                "Model mushroom-xgboost not found")
    check_error(s.get("/v2/models/mushroom-xgboost"), 404, "Model mushroom-xgboost not found")
    # Known but not ready: 400 (the spec; MLServer says 404).
    check_error(s.get("/v2/models/mushroom-xgboost/ready"), 400, "Model mushroom-xgboost is not ready")
    check_empty_ok(s.get("/v2/health/ready"))  # one unloaded model does not make the server unready
    r = s.post("/v2/repository/index", json={"ready": True})
    assert r.text == '[{"name":"mnist-svm","version":"v0.1.0","state":"READY","reason":""}]'
    r = s.post("/v2/repository/index", json={"ready": False})
    assert len(r.json()) == 2
