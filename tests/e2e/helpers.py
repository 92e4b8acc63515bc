"""Request bodies and checks shared by the end-to-end tests."""
import json
import re

import numpy as np

UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")

INDEX_BOTH_READY = ('[{"name":"mnist-svm","version":"v0.1.0","state":"READY","reason":""},'
                    '{"name":"mushroom-xgboost","version":"v0.1.0","state":"READY","reason":""}]')


def infer_body(rows, datatype="FP32", name="predict", outputs=None, request_id=None, nested=False):
    rows = np.asarray(rows)
    if rows.ndim == 1:
        rows = rows[None, :]
    data = rows.tolist() if nested else rows.ravel().tolist()
    body = {"inputs": [{"name": name, "shape": list(rows.shape), "datatype": datatype, "data": data}]}
    if outputs is not None:
        body["outputs"] = [{"name": o} for o in outputs]
    if request_id is not None:
        body["id"] = request_id
    return json.dumps(body)


def check_error(response, status, message=None, contains=None):
    """An error answer: the status, JSON content type, and {"error": message} as the only key."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"], body
    if message is not None:
        assert body["error"] == message
    if contains is not None:
        assert contains in body["error"], body["error"]
    return body["error"]


def check_empty_ok(response):
    assert response.status_code == 200, response.text
    assert response.content == b""


def vm_rss_kib(pid):
    """Resident memory of a process in KiB, from VmRSS in /proc/<pid>/status."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def check_serving(server, mushroom):
    """The server is up and answers a real inference, on a new connection, correctly."""
    import requests
    assert server.proc.poll() is None, "the server exited:\n" + server.log()
    body, expected = mushroom
    r = requests.post(server.url + "/v2/models/mushroom-xgboost/infer", data=body, timeout=30)
    assert r.status_code == 200, r.text
    np.testing.assert_array_equal(np.array(r.json()["outputs"][0]["data"], dtype=np.float32), expected)
