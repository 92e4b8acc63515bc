"""The seed walkthrough of issue 3, step by step, with MLServer-shaped answers."""
import numpy as np

import oracles
from helpers import INDEX_BOTH_READY, UUID4, check_empty_ok, check_error, infer_body


def test_walkthrough(start_server, examples):
    s = start_server()

    # 1. Index: both models READY (sorted by name, as the spec asks).
    r = s.post("/v2/repository/index", json={})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.text == INDEX_BOTH_READY

    # 2. Unload mushroom-xgboost.
    check_empty_ok(s.post("/v2/repository/models/mushroom-xgboost/unload"))

    # 3. Index: UNAVAILABLE, reason "unloaded".
    r = s.post("/v2/repository/index", json={})
    assert r.text == ('[{"name":"mnist-svm","version":"v0.1.0","state":"READY","reason":""},'
                      '{"name":"mushroom-xgboost","version":"v0.1.0","state":"UNAVAILABLE","reason":"unloaded"}]')
    X, expected = oracles.mushroom(str(examples))
    check_error(s.post("/v2/models/mushroom-xgboost/infer", data=infer_body(X[:1])), 404,
                "Model mushroom-xgboost not found")

    # 4. Load it back; 5. index: READY again.
    check_empty_ok(s.post("/v2/repository/models/mushroom-xgboost/load"))
    assert s.post("/v2/repository/index", json={}).text == INDEX_BOTH_READY

    # 6. Inference on both models.
    r = s.post("/v2/models/mushroom-xgboost/infer", data=infer_body(X[:1]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == ["model_name", "model_version", "id", "parameters", "outputs"]
    assert body["model_name"] == "mushroom-xgboost"
    assert body["model_version"] == "v0.1.0"
    assert UUID4.fullmatch(body["id"])
    assert body["parameters"] == {}
    [out] = body["outputs"]
    assert list(out) == ["name", "shape", "datatype", "parameters", "data"]
    assert out["name"] == "predict" and out["shape"] == [1, 1] and out["datatype"] == "FP32"
    assert out["parameters"] == {"content_type": "np"}
    assert np.float32(out["data"][0]) == expected[0]
    assert abs(out["data"][0] - 0.28583016991615295) < 1e-7  # MLServer's transcript

    Xd, labels, _ = oracles.digits(str(examples))
    r = s.post("/v2/models/mnist-svm/versions/v0.1.0/infer", data=infer_body(Xd[:1], request_id="req-42"))
    assert r.status_code == 200, r.text
    assert r.text == ('{"model_name":"mnist-svm","model_version":"v0.1.0","id":"req-42","parameters":{},'
                      '"outputs":[{"name":"predict","shape":[1,1],"datatype":"INT64",'
                      '"parameters":{"content_type":"np"},"data":[8]}]}')
    assert labels[0] == 8


def test_health_and_metadata(shared_server):
    s = shared_server
    check_empty_ok(s.get("/v2/health/live"))
    check_empty_ok(s.get("/v2/health/ready"))
    check_empty_ok(s.get("/v2/models/mushroom-xgboost/ready"))
    check_empty_ok(s.get("/v2/models/mnist-svm/versions/v0.1.0/ready"))

    r = s.get("/v2")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    meta = r.json()
    assert list(meta) == ["name", "version", "extensions"]
    assert meta["name"] == "modelrepo-server"
    assert "model_repository" in meta["extensions"]

    r = s.get("/v2/models/mushroom-xgboost")
    assert r.status_code == 200
    assert r.json() == {
        "name": "mushroom-xgboost", "versions": ["v0.1.0"], "platform": "xgboost",
        "inputs": [{"name": "input-0", "datatype": "FP32", "shape": [-1, 126]}],
        "outputs": [{"name": "predict", "datatype": "FP32", "shape": [-1, 1]},
                    {"name": "predict_proba", "datatype": "FP32", "shape": [-1, 2]}],
        "parameters": {}}
    assert list(r.json()) == ["name", "versions", "platform", "inputs", "outputs", "parameters"]

    r = s.get("/v2/models/mnist-svm/versions/v0.1.0")
    assert r.status_code == 200
    meta = r.json()
    assert meta["name"] == "mnist-svm" and meta["versions"] == ["v0.1.0"]
    # model-settings.json declares the input; the runtime tells the outputs.
    assert meta["inputs"] == [{"name": "predict", "datatype": "FP64", "shape": [-1, 64]}]
    assert meta["outputs"][0] == {"name": "predict", "datatype": "INT64", "shape": [-1, 1]}
    assert {"name": "decision_function", "datatype": "FP64", "shape": [-1, 45]} in meta["outputs"]
