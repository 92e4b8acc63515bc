"""Graceful shutdown: SIGTERM/SIGINT turn readiness 503, refuse new work, let requests in flight
finish (bounded by --shutdown-timeout) and exit 0."""
import signal
import time

import numpy as np
import pytest
import requests

import oracles
import rawhttp
from helpers import infer_body


def refused_or_503(server):
    try:
        r = requests.get(server.url + "/v2/health/live", timeout=5)
    except requests.ConnectionError:
        return True
    return r.status_code == 503 and r.json() == {"error": "server is shutting down"}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_requests_in_flight_finish(start_server, examples, sig):
    s = start_server()
    X, expected = oracles.mushroom(str(examples))
    body = infer_body(X[:200]).encode()
    head = rawhttp.request_bytes("POST", "/v2/models/mushroom-xgboost/infer", body,
                                 {"Content-Type": "application/json"})
    head, body_part = head[:len(head) - len(body)], body
    in_flight = rawhttp.connect(s.port)
    in_flight.sendall(head + body_part[:1000])  # the request has begun
    ready_probe = rawhttp.connect(s.port)
    ready_probe.sendall(b"GET /v2/health/ready HTTP/1.1\r\nHost: x\r\n")  # so has this one
    time.sleep(0.3)

    s.proc.send_signal(sig)
    time.sleep(0.5)
    assert s.proc.poll() is None, "exited with a request in flight:\n" + s.log()
    assert refused_or_503(s)

    ready_probe.sendall(b"\r\n")
    status, _, text = rawhttp.read_response(ready_probe)
    assert status == 503 and text == b'{"error":"server is shutting down"}'

    in_flight.sendall(body_part[1000:])
    status, headers, text = rawhttp.read_response(in_flight)
    assert status == 200, text
    import json
    got = np.array(json.loads(text)["outputs"][0]["data"], dtype=np.float32)
    np.testing.assert_array_equal(got, expected[:200])

    assert s.proc.wait(30) == 0, s.log()
    assert "shutting down" in s.log()


def test_idle_keep_alive_connections_do_not_delay_shutdown(start_server):
    s = start_server()
    for _ in range(3):
        assert s.get("/v2/health/live").status_code == 200  # one kept-alive connection
    start = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    assert s.proc.wait(30) == 0
    assert time.monotonic() - start < 5


def test_shutdown_timeout_bounds_the_wait(start_server):
    s = start_server("--shutdown-timeout", "1")
    stuck = rawhttp.connect(s.port)
    stuck.sendall(b"POST /v2/repository/index HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    time.sleep(0.3)
    start = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    assert s.proc.wait(30) == 0, s.log()
    assert time.monotonic() - start < 6
