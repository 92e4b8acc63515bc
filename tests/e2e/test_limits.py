"""The element cap of inference requests (--max-batch-elements)."""
import json
import time

import numpy as np
import pytest

import rawhttp

import oracles
from helpers import check_error, infer_body


def test_batches_over_the_element_cap_are_400_and_change_nothing(start_server, examples):
    s = start_server("--max-batch-elements", str(10 * 126))
    X, expected = oracles.mushroom(str(examples))
    r = s.post("/v2/models/mushroom-xgboost/infer", data=infer_body(X[:10]))
    assert r.status_code == 200, r.text
    np.testing.assert_array_equal(np.asarray(r.json()["outputs"][0]["data"], dtype=np.float32), expected[:10])
    check_error(s.post("/v2/models/mushroom-xgboost/infer", data=infer_body(X[:11])), 400,
                "input 'predict' has 1386 elements; with the inputs before it, the request would exceed "
                "this server's limit of 1260 elements")
    # A shape far over the cap with almost no data: refused on the shape alone.
    huge = json.dumps({"inputs": [{"name": "predict", "shape": [10**12, 126], "datatype": "FP32", "data": [0]}]})
    check_error(s.post("/v2/models/mushroom-xgboost/infer", data=huge), 400,
                contains="has 126000000000000 elements")
    # Two inputs count together.
    two = json.dumps({"inputs": [{"name": "a", "shape": [5, 126], "datatype": "FP32", "data": [0] * 630},
                                 {"name": "b", "shape": [6, 126], "datatype": "FP32", "data": [0] * 756}]})
    check_error(s.post("/v2/models/mushroom-xgboost/infer", data=two), 400, contains="input 'b' has 756 elements")
    r = s.post("/v2/models/mushroom-xgboost/infer", data=infer_body(X[:1]))
    assert r.status_code == 200 and np.float32(r.json()["outputs"][0]["data"][0]) == expected[0]


def test_connections_over_the_limit_are_closed_at_once(start_server, engine):
    if engine == "cpprest":
        pytest.skip("--http-max-connections is an option of the Beast engine only")
    s = start_server("--http-max-connections", "3")
    s.http.close()  # the readiness poll's keep-alive connection
    live = rawhttp.request_bytes("GET", "/v2/health/live")

    def served(sock):
        sock.sendall(live)
        response = rawhttp.read_response(sock)
        return response is not None and response[0] == 200

    def open_served(deadline=10):
        """A new connection that is served, retried while the server lets go of closed ones."""
        end = time.monotonic() + deadline
        while True:
            sock = rawhttp.connect(s.port, timeout=10)
            try:
                if served(sock):
                    return sock
            except OSError:
                pass
            sock.close()
            assert time.monotonic() < end, "no connection was served"
            time.sleep(0.1)

    held = [open_served() for _ in range(3)]
    extra = rawhttp.connect(s.port, timeout=10)
    assert rawhttp.closed_by_peer(extra), "a fourth connection must be closed"
    extra.close()
    for sock in held:  # the ones inside the limit keep being served
        assert served(sock)
    held.pop().close()
    held.append(open_served())  # room again once one ends
    for sock in held:
        sock.close()
    assert any("--http-max-connections" in line for line in s.lines), s.log()
