"""The repository as a folder: models copied in while the server runs, versions, broken models,
settings.json and the startup flags."""
import json
import shutil
import time

import numpy as np

import oracles
from helpers import check_empty_ok, check_error, infer_body


def add_versioned_model(repo, examples, name, versions):
    """<name>/<version>/ folders holding the mushroom XGBoost model, one per version."""
    for v in versions:
        folder = repo / name / v
        folder.mkdir(parents=True)
        shutil.copy(examples / "models" / "mushroom-xgboost" / "model.json", folder / "model.json")
        (folder / "model-settings.json").write_text(json.dumps(
            {"implementation": "xgboost", "parameters": {"uri": "./model.json", "version": v}}))


def test_model_copied_in_while_running_appears_and_loads(start_server, examples):
    s = start_server()
    target = s.repository / "mushroom-copy"
    shutil.copytree(examples / "models" / "mushroom-xgboost", target)
    settings = json.loads((target / "model-settings.json").read_text())
    settings["name"] = "mushroom-copy"
    (target / "model-settings.json").write_text(json.dumps(settings))

    entries = s.post("/v2/repository/index", json={}).json()
    assert {"name": "mushroom-copy", "version": "v0.1.0", "state": "UNAVAILABLE", "reason": ""} in entries
    check_empty_ok(s.post("/v2/repository/models/mushroom-copy/load"))
    entries = s.post("/v2/repository/index", json={"ready": True}).json()
    assert [e["name"] for e in entries] == ["mnist-svm", "mushroom-copy", "mushroom-xgboost"]
    X, expected = oracles.mushroom(str(examples))
    r = s.post("/v2/models/mushroom-copy/infer", data=infer_body(X[:20]))
    assert r.status_code == 200, r.text
    np.testing.assert_array_equal(np.array(r.json()["outputs"][0]["data"], dtype=np.float32), expected[:20])

    # Removed from disk: gone from the index once unloaded.
    check_empty_ok(s.post("/v2/repository/models/mushroom-copy/unload"))
    shutil.rmtree(target)
    names = [e["name"] for e in s.post("/v2/repository/index", json={}).json()]
    assert names == ["mnist-svm", "mushroom-xgboost"]
    check_error(s.post("/v2/repository/models/mushroom-copy/load"), 404, "Model mushroom-copy not found")


def test_versions_and_the_default_version(start_server, examples):
    s = start_server()
    add_versioned_model(s.repository, examples, "multi", ["9", "10"])
    check_empty_ok(s.post("/v2/repository/models/multi/load"))
    entries = [e for e in s.post("/v2/repository/index", json={}).json() if e["name"] == "multi"]
    assert entries == [{"name": "multi", "version": "9", "state": "READY", "reason": ""},
                       {"name": "multi", "version": "10", "state": "READY", "reason": ""}]
    X, _ = oracles.mushroom(str(examples))
    # The default version is the highest, numerically.
    assert s.post("/v2/models/multi/infer", data=infer_body(X[:1])).json()["model_version"] == "10"
    assert s.post("/v2/models/multi/versions/9/infer", data=infer_body(X[:1])).json()["model_version"] == "9"
    check_empty_ok(s.get("/v2/models/multi/versions/9/ready"))
    assert s.get("/v2/models/multi").json()["versions"] == ["9", "10"]
    check_error(s.post("/v2/models/multi/versions/11/infer", data=infer_body(X[:1])), 404,
                "Model multi with version 11 not found")


def test_broken_model_is_unavailable_with_its_reason(start_server, examples):
    s = start_server()
    broken = s.repository / "broken"
    broken.mkdir()
    (broken / "model-settings.json").write_text('{"name": "broken", "implementation": "xgboost"}')
    (broken / "model.json").write_text("this is not a model")
    r = s.post("/v2/repository/models/broken/load")
    reason = check_error(r, 400)
    entry = [e for e in s.post("/v2/repository/index", json={}).json() if e["name"] == "broken"][0]
    assert entry["state"] == "UNAVAILABLE" and entry["reason"] == reason
    assert "/work" not in reason and str(s.repository) not in reason  # no host paths in messages
    check_empty_ok(s.get("/v2/health/ready"))  # others keep serving; readiness is not strict


def test_failed_reload_keeps_the_old_copy_serving(start_server, examples):
    s = start_server()
    X, expected = oracles.mushroom(str(examples))
    (s.repository / "mushroom-xgboost" / "model.json").write_text("{broken")
    check_error(s.post("/v2/repository/models/mushroom-xgboost/load"), 400)
    r = s.post("/v2/models/mushroom-xgboost/infer", data=infer_body(X[:3]))
    assert r.status_code == 200
    np.testing.assert_array_equal(np.array(r.json()["outputs"][0]["data"], dtype=np.float32), expected[:3])


def test_pickles_are_never_loaded(start_server):
    s = start_server()
    model = s.repository / "sk"
    model.mkdir()
    (model / "model-settings.json").write_text(
        '{"name": "sk", "implementation": "mlserver_sklearn.SKLearnModel", "parameters": {"uri": "./model.joblib"}}')
    (model / "model.joblib").write_bytes(b"\x80\x04not really a pickle")
    check_error(s.post("/v2/repository/models/sk/load"), 400)
    entry = [e for e in s.post("/v2/repository/index", json={}).json() if e["name"] == "sk"][0]
    assert entry["state"] == "UNAVAILABLE" and entry["reason"]


def test_no_loading_at_startup(start_server):
    s = start_server("--load-models-at-startup", "false")
    entries = s.post("/v2/repository/index", json={}).json()
    assert [e["state"] for e in entries] == ["UNAVAILABLE", "UNAVAILABLE"]
    check_empty_ok(s.post("/v2/repository/models/mnist-svm/load"))
    check_empty_ok(s.get("/v2/models/mnist-svm/ready"))


def test_settings_json_is_read_and_flags_win(start_server, examples, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(examples / "models", repo)
    (repo / "settings.json").write_text(json.dumps({
        "load_models_at_startup": False, "server_name": "my-server", "server_version": "7.0",
        "debug": True, "parallel_workers": 0, "http_port": 1}))
    s = start_server(repository=repo)  # --http-port 0 wins over http_port 1
    assert s.get("/v2").json() == {"name": "my-server", "version": "7.0", "extensions": ["model_repository"]}
    assert [e["state"] for e in s.post("/v2/repository/index", json={}).json()] == ["UNAVAILABLE"] * 2
    assert '"GET /v2" 200' in s.log()  # debug: one access-log line per request


def test_strict_readiness(start_server, examples, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(examples / "models", repo)
    (repo / "mnist-svm" / "model.libsvm").write_text("garbage\n")
    s = start_server("--strict-readiness", repository=repo, ready=False)
    deadline = time.monotonic() + 30
    while "startup loading finished" not in s.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    check_error(s.get("/v2/health/ready"), 400, contains="mnist-svm")
    shutil.copy(examples / "models" / "mnist-svm" / "model.libsvm", repo / "mnist-svm" / "model.libsvm")
    check_empty_ok(s.post("/v2/repository/models/mnist-svm/load"))
    check_empty_ok(s.get("/v2/health/ready"))
