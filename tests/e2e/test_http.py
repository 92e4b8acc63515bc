"""HTTP behaviour of the engines: keep-alive, body limit, malformed requests, concurrency."""
import threading

import numpy as np
import pytest
import requests

import oracles
import rawhttp
from helpers import check_error, infer_body


def test_keep_alive_serves_many_requests_on_one_connection(shared_server):
    sock = rawhttp.connect(shared_server.port)
    for _ in range(20):
        sock.sendall(rawhttp.request_bytes("GET", "/v2/health/live"))
        status, _, body = rawhttp.read_response(sock)
        assert status == 200 and body == b""
    sock.sendall(rawhttp.request_bytes("POST", "/v2/repository/index", b"{}"))
    status, headers, body = rawhttp.read_response(sock)
    assert status == 200 and headers["content-type"] == "application/json"
    sock.close()


def test_body_limit_is_413(start_server):
    s = start_server("--http-max-body", "1000")
    r = s.post("/v2/models/mnist-svm/infer", data=b"x" * 5000)
    check_error(r, 413, "request body is larger than the limit of 1000 bytes")
    s2 = requests.get(s.url + "/v2/health/live", timeout=10)  # the server carries on
    assert s2.status_code == 200


def test_head_is_get_without_a_body(shared_server):
    get = shared_server.get("/v2")
    head = shared_server.http.head(shared_server.url + "/v2", timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Type"] == "application/json"


def test_malformed_http_is_answered_400_and_closed(shared_server, engine):
    if engine == "cpprest":
        pytest.skip("cpprestsdk parses HTTP itself and answers on its own terms")
    for garbage in [b"GARBAGE\r\n\r\n", b"GET /v2 HTTP/9.9\r\n\r\n",
                    b"POST /v2/repository/index HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n\r\n",
                    b"GET /v2 HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n"]:
        sock = rawhttp.connect(shared_server.port)
        sock.sendall(garbage)
        status, headers, body = rawhttp.read_response(sock)
        assert status in (400, 431), body
        assert headers["content-type"] == "application/json" and body.startswith(b'{"error":')
        assert headers.get("connection") == "close"
        assert sock.recv(100) == b""
        sock.close()
    assert shared_server.get("/v2/health/live").status_code == 200


def test_concurrent_inference_while_another_model_reloads(start_server, examples):
    s = start_server()
    X, expected = oracles.mushroom(str(examples))
    Xd, labels, _ = oracles.digits(str(examples))
    failures = []
    stop = threading.Event()

    def infer_mushroom():
        with requests.Session() as http:
            for i in range(40):
                r = http.post(s.url + "/v2/models/mushroom-xgboost/infer", data=infer_body(X[i:i + 5]), timeout=30)
                got = np.array(r.json()["outputs"][0]["data"], dtype=np.float32) if r.ok else None
                if not r.ok or not np.array_equal(got, expected[i:i + 5]):
                    failures.append(r.text)

    def infer_digits():
        with requests.Session() as http:
            while not stop.is_set():
                r = http.post(s.url + "/v2/models/mnist-svm/infer", data=infer_body(Xd[:3]), timeout=30)
                if r.status_code == 200:
                    if r.json()["outputs"][0]["data"] != labels[:3].tolist():
                        failures.append(r.text)
                elif r.status_code not in (404, 503):  # unloaded, or loading again
                    failures.append(r.text)

    def reload_digits():
        with requests.Session() as http:
            while not stop.is_set():
                for action in ("unload", "load"):
                    r = http.post(s.url + f"/v2/repository/models/mnist-svm/{action}", timeout=30)
                    if r.status_code not in (200, 404):
                        failures.append(r.text)

    workers = [threading.Thread(target=infer_mushroom) for _ in range(4)]
    others = [threading.Thread(target=infer_digits), threading.Thread(target=reload_digits)]
    for t in workers + others:
        t.start()
    for t in workers:
        t.join()
    stop.set()
    for t in others:
        t.join()
    assert not failures, failures[:3]
