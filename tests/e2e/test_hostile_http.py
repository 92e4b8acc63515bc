"""Hostile HTTP against a running server: broken framing (chunk sizes, Content-Length,
Transfer-Encoding), garbage request lines and versions, endless and oversized headers, bodies over
--http-max-body, unexpected methods, absolute-form and traversal targets, pipelining, half-closed,
idle and very slow connections, and memory after an abuse loop.

The contract (issue 5): each is answered 4xx with {"error": ...} or the connection is closed; never a
5xx, never a crash or hang; and after each, the server still serves a real inference with the right
answer. The cpprest engine does not hold against all of it: those cases are skipped on it, each
with the exact reason (the README's cpprest note lists them)."""
import json
import socket
import threading
import time

import numpy as np
import pytest

import rawhttp
from conftest import TIMEOUT, Server, copy_models, serve_until_done
from helpers import check_serving, vm_rss_kib

MAX_BODY = 100_000  # --http-max-body of the servers here
INDEX = "POST /v2/repository/index HTTP/1.1\r\nHost: x\r\n"
CHUNKED = INDEX + "Transfer-Encoding: chunked\r\n\r\n"

# Reasons the cpprest engine (Debian's cpprestsdk 2.10.18 http_listener) fails a case.
CPPREST_CHUNK_MINUS_ONE = ("cpprestsdk terminates the whole process (std::bad_alloc, SIGABRT) on a "
                           "chunked request whose chunk size is -1")
CPPREST_CHUNK_SIZE = ("cpprestsdk does not validate chunk sizes: a negative, non-hex, '0x'/'+'-prefixed "
                      "or empty size is read as some number (answered 200) or leaves the connection waiting")
CPPREST_CHUNK_HUGE = ("cpprestsdk waits for the data of a chunk larger than the body limit (or than 64 bits) "
                      "instead of refusing it: the connection is held")
CPPREST_CHUNK_DATA = ("cpprestsdk does not check the CRLF after chunk data nor data shorter than the chunk "
                      "size: answered 200 or left waiting")
CPPREST_CHUNK_EXT = ("cpprestsdk does not parse chunk extensions (RFC 9112 7.1.1): a request using one is "
                     "never answered")
CPPREST_CL = ("cpprestsdk accepts conflicting or malformed Content-Length headers (two values, a list, "
              "'+2', '0x2', '1 1') and Content-Length together with Transfer-Encoding, answering 200: "
              "request smuggling behind a proxy that reads them differently")
CPPREST_CL_NEGATIVE = "cpprestsdk leaves a request with a negative Content-Length waiting, unanswered"
CPPREST_CL_UNSENT = ("cpprestsdk sends its 413 for a declared Content-Length over the limit only once the "
                     "whole declared body has arrived: a client declaring a huge body holds the connection")
CPPREST_VERSION = ("cpprestsdk does not check the HTTP version: 'HTTP/2.0', 'http/1.1', 'HTTP/1.1.1' "
                   "and the like are answered as HTTP/1.1")
CPPREST_REQUEST_LINE = "cpprestsdk accepts tabs instead of spaces between the parts of a request line (answered 200)"
CPPREST_LF = "cpprestsdk leaves a request whose lines end in a bare LF waiting, unanswered"
CPPREST_HEADER_LIMIT = ("cpprestsdk has no limit on the size or number of request headers: they are read "
                        "into memory whatever their size")
CPPREST_HEADER_SYNTAX = ("cpprestsdk accepts malformed header fields (whitespace before the colon, NUL or "
                         "CR in a value) and answers 200")
CPPREST_TE = ("cpprestsdk accepts two Transfer-Encoding headers and Transfer-Encoding on HTTP/1.0 "
              "requests")
CPPREST_TRACE = ("cpprestsdk answers TRACE itself with 200 and echoes the request's headers (cookies, "
                 "Authorization) in a message/http body; OPTIONS is answered 200 with an empty Allow")
CPPREST_PIPELINE = ("cpprestsdk answers only the first of several requests sent together (pipelined); "
                    "the others are never answered")
CPPREST_METHOD_CASE = ("cpprestsdk matches method names case-insensitively: 'get' is served as GET "
                       "(methods are case-sensitive tokens, RFC 9110 9.1)")
CPPREST_IDLE = ("cpprestsdk has no idle or header timeout: idle and slow (slowloris) connections stay open "
                "as long as the client wants")

ANY = "4xx or close"


def case(name, data, beast, cpprest=None, json_body=True):
    """One hostile request. `beast`: the status the default engine answers (it then closes), or
    ANY. `cpprest`: None when the cpprest engine holds the same contract, else why it does not;
    `json_body` False when cpprest answers 4xx with a body of its own rather than {"error"}."""
    if isinstance(data, str):
        data = data.encode("latin1")
    return pytest.param(data, beast, cpprest, json_body, id=name)


FRAMING = [
    # Chunk sizes.
    case("chunk-size--1-no-data", CHUNKED + "-1\r\n\r\n", 400, CPPREST_CHUNK_MINUS_ONE),
    case("chunk-size--1-with-data", CHUNKED + "-1\r\n{}\r\n0\r\n\r\n", 400, CPPREST_CHUNK_MINUS_ONE),
    case("chunk-size--0", CHUNKED + "-0\r\n\r\n", 400, CPPREST_CHUNK_SIZE),
    case("chunk-size--FFFFFFFF", CHUNKED + "-FFFFFFFF\r\n\r\n", 400, CPPREST_CHUNK_SIZE),
    case("chunk-size-after-a-good-chunk--1", CHUNKED + "2\r\n{}\r\n-1\r\n\r\n", 400, CPPREST_CHUNK_MINUS_ONE),
    case("chunk-size-non-hex", CHUNKED + "zz\r\n{}\r\n0\r\n\r\n", 400, CPPREST_CHUNK_SIZE),
    case("chunk-size-0x-prefix", CHUNKED + "0x2\r\n{}\r\n0\r\n\r\n", 400, CPPREST_CHUNK_SIZE),
    case("chunk-size-plus", CHUNKED + "+2\r\n{}\r\n0\r\n\r\n", 400, CPPREST_CHUNK_SIZE),
    case("chunk-size-empty", CHUNKED + "\r\n{}\r\n0\r\n\r\n", 400, CPPREST_CHUNK_SIZE),
    case("chunk-size-trailing-space", CHUNKED + "2 \r\n{}\r\n0\r\n\r\n", 400, CPPREST_CHUNK_SIZE),
    case("chunk-size-binary", CHUNKED + "\x00\xff\r\n{}\r\n0\r\n\r\n", 400, CPPREST_CHUNK_SIZE),
    case("chunk-size-over-64-bits", CHUNKED + "F" * 20 + "\r\n{}\r\n0\r\n\r\n", 400, CPPREST_CHUNK_HUGE),
    case("chunk-size-1000-digits", CHUNKED + "1" * 1000 + "\r\n{}\r\n0\r\n\r\n", 400, CPPREST_CHUNK_HUGE),
    case("chunk-size-2^64-1", CHUNKED + "FFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n", 413, CPPREST_CHUNK_HUGE),
    case("chunk-size-2^63-1", CHUNKED + "7FFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n", 413, CPPREST_CHUNK_HUGE),
    case("chunk-size-just-over-the-limit", CHUNKED + f"{MAX_BODY + 1:x}\r\n", 413, CPPREST_CHUNK_HUGE),
    # Chunk data.
    case("chunk-data-without-crlf", CHUNKED + "2\r\n{}XX0\r\n\r\n", 400, CPPREST_CHUNK_DATA),
    case("chunk-data-shorter-than-size", CHUNKED + "5\r\n{}\r\n0\r\n\r\n", 400, CPPREST_CHUNK_DATA),
    # Chunk extensions.
    case("chunk-extension-malformed", CHUNKED + "2;\r\n{}\r\n0\r\n\r\n", 400, CPPREST_CHUNK_EXT),
    # Content-Length.
    case("content-length-twice-different", INDEX + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{} ", 400,
         CPPREST_CL),
    case("content-length-list", INDEX + "Content-Length: 2, 3\r\n\r\n{} ", 400, CPPREST_CL),
    case("content-length-and-chunked", INDEX + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
         "2\r\n{}\r\n0\r\n\r\n", 400, CPPREST_CL),
    case("chunked-and-content-length", INDEX + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
         "2\r\n{}\r\n0\r\n\r\n", 400, CPPREST_CL),
    case("content-length-plus", INDEX + "Content-Length: +2\r\n\r\n{}", 400, CPPREST_CL),
    case("content-length-hex", INDEX + "Content-Length: 0x2\r\n\r\n{}", 400, CPPREST_CL),
    case("content-length-inner-space", INDEX + "Content-Length: 1 1\r\n\r\n{}", 400, CPPREST_CL),
    case("content-length-negative", INDEX + "Content-Length: -1\r\n\r\n{}", 400, CPPREST_CL_NEGATIVE),
    case("content-length-over-64-bits", INDEX + "Content-Length: 99999999999999999999999\r\n\r\n{}", 400),
    case("content-length-2^64-1", INDEX + "Content-Length: 18446744073709551615\r\n\r\n{}", 413,
         CPPREST_CL_UNSENT),
    case("content-length-over-the-limit-unsent", INDEX + f"Content-Length: {MAX_BODY + 1}\r\n\r\n{{}}", 413,
         CPPREST_CL_UNSENT),
    # Transfer-Encoding.
    case("transfer-encoding-twice", INDEX + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
         "2\r\n{}\r\n0\r\n\r\n", 400, CPPREST_TE),
    # Request lines.
    case("binary-junk", b"\x00\x01\x02\xff\xfe\r\n\r\n", 400, json_body=False),
    case("tls-client-hello", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(32)) + b"\r\n\r\n",
         400, json_body=False),
    case("http-0.9", "GET /v2\r\n\r\n", 400, json_body=False),
    case("no-target", "GET HTTP/1.1\r\nHost: x\r\n\r\n", 400, CPPREST_LF),
    case("only-crlf", "\r\n\r\n\r\n\r\n", ANY, json_body=False),
    case("method-with-slash", "GE/T /v2 HTTP/1.1\r\nHost: x\r\n\r\n", 400, json_body=False),
    case("tab-separated", "GET\t/v2\tHTTP/1.1\r\nHost: x\r\n\r\n", 400, CPPREST_REQUEST_LINE),
    case("nul-in-target", "GET /v2/models/a\x00b/ready HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    case("space-in-target", "GET /v2/models/a b/ready HTTP/1.1\r\nHost: x\r\n\r\n", 400, json_body=False),
    case("target-1MB", "GET /v2/" + "a" * 1_000_000 + " HTTP/1.1\r\nHost: x\r\n\r\n", 431,
         CPPREST_HEADER_LIMIT),
    case("bare-lf-lines", "GET /v2 HTTP/1.1\nHost: x\n\n", 400, CPPREST_LF),
    case("bare-cr", "GET /v2 HTTP/1.1\rHost: x\r\n\r\n", 400, json_body=False),
    # HTTP versions.
    case("version-2.0", "GET /v2 HTTP/2.0\r\nHost: x\r\n\r\n", 400, CPPREST_VERSION),
    case("version-lower-case", "GET /v2 http/1.1\r\nHost: x\r\n\r\n", 400, CPPREST_VERSION),
    case("version-1.1.1", "GET /v2 HTTP/1.1.1\r\nHost: x\r\n\r\n", 400, CPPREST_VERSION),
    case("version-11", "GET /v2 HTTP/11\r\nHost: x\r\n\r\n", 400, CPPREST_VERSION),
    case("version-letters", "GET /v2 HTTP/a.b\r\nHost: x\r\n\r\n", 400, CPPREST_VERSION),
    case("version-not-http", "GET /v2 HTTX/1.1\r\nHost: x\r\n\r\n", 400, CPPREST_VERSION),
    # Headers: endless, oversized, malformed.
    case("headers-10000-small", "GET /v2 HTTP/1.1\r\nHost: x\r\n" + "X: y\r\n" * 10_000 + "\r\n", 431,
         CPPREST_HEADER_LIMIT),
    case("header-value-1MB", "GET /v2 HTTP/1.1\r\nHost: x\r\nX: " + "a" * 1_000_000 + "\r\n\r\n", 431,
         CPPREST_HEADER_LIMIT),
    case("header-name-100k", "GET /v2 HTTP/1.1\r\nHost: x\r\n" + "X" * 100_000 + ": y\r\n\r\n", 431,
         CPPREST_HEADER_LIMIT),
    case("header-without-colon", "GET /v2 HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n", 400, json_body=False),
    case("header-space-before-colon", "GET /v2 HTTP/1.1\r\nHost : x\r\n\r\n", 400, CPPREST_HEADER_SYNTAX),
    case("header-nul-in-value", "GET /v2 HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n", 400, CPPREST_HEADER_SYNTAX),
    case("header-cr-in-value", "GET /v2 HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", 400, CPPREST_HEADER_SYNTAX),
    case("header-name-with-parenthesis", "GET /v2 HTTP/1.1\r\nHost: x\r\nX(y): z\r\n\r\n", 400,
         CPPREST_HEADER_SYNTAX),
]


@pytest.fixture(scope="module")
def hostile_server(server_binary, examples, tmp_path_factory, engine):
    """One server per engine with a small body limit; it must survive the whole module and stop
    with exit code 0."""
    repo = copy_models(examples, tmp_path_factory.mktemp("hostile") / "models")
    yield from serve_until_done(Server(server_binary, repo, engine, "--http-max-body", str(MAX_BODY)))


def check_refused(response, closed, status=None, json_body=True):
    """4xx (the given status, when one is given) with {"error": ...}, or a closed connection."""
    if response is None:
        assert status is None, f"closed without the expected {status} answer"
        return
    code, headers, body = response
    assert 400 <= code < 500, (code, body[:300])
    if status is not None:
        assert code == status, (code, body[:300])
    if json_body:
        assert headers.get("content-type") == "application/json", headers
        assert list(json.loads(body)) == ["error"], body[:300]
    if status is not None:  # the default engine closes after refusing a request
        assert closed, "the connection stayed open after an error answer"


@pytest.mark.parametrize("data,beast,cpprest,json_body", FRAMING)
def test_hostile_request_is_refused(hostile_server, mushroom, engine, data, beast, cpprest, json_body):
    if engine == "cpprest" and cpprest:
        pytest.skip(cpprest)
    # cpprestsdk may keep the connection after answering 4xx: no waiting for its close there.
    response, closed = rawhttp.exchange(hostile_server.port, data, timeout=TIMEOUT, wait_close=engine == "beast")
    if engine == "beast":
        check_refused(response, closed, None if beast == ANY else beast)
    else:
        check_refused(response, closed, json_body=json_body)
    check_serving(hostile_server, mushroom)


WELL_FORMED_CHUNKED = [
    pytest.param("2;foo=bar\r\n{}\r\n0\r\n\r\n", CPPREST_CHUNK_EXT, id="extension-with-value"),
    pytest.param('2;foo="b a r"\r\n{}\r\n0\r\n\r\n', CPPREST_CHUNK_EXT, id="extension-quoted"),
    pytest.param("2;a;b;c\r\n{}\r\n0\r\n\r\n", CPPREST_CHUNK_EXT, id="extensions-several"),
    pytest.param("2;a=" + "b" * 1_000_000 + "\r\n{}\r\n0\r\n\r\n", CPPREST_CHUNK_EXT, id="extension-1MB"),
    pytest.param("2" + ";a" * 100_000 + "\r\n{}\r\n0\r\n\r\n", CPPREST_CHUNK_EXT, id="extensions-100000"),
    pytest.param("1\r\n{\r\n1\r\n}\r\n0\r\n\r\n", None, id="one-byte-chunks"),
    pytest.param("0002\r\n{}\r\n0\r\n\r\n", None, id="leading-zeros"),
    pytest.param("2\r\n{}\r\n0\r\nX-Trailer: y\r\n\r\n", None, id="trailer"),
]


@pytest.mark.parametrize("chunks,cpprest", WELL_FORMED_CHUNKED)
def test_well_formed_chunked_bodies_are_read(hostile_server, mushroom, engine, chunks, cpprest):
    """The edges of valid chunked framing (extensions, however long; tiny chunks; trailers) are served."""
    if engine == "cpprest" and cpprest:
        pytest.skip(cpprest)
    data = (INDEX + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunks).encode()
    response, closed = rawhttp.exchange(hostile_server.port, data, timeout=TIMEOUT)
    assert response is not None and response[0] == 200, response
    assert len(json.loads(response[2])) == 2
    check_serving(hostile_server, mushroom)


def chunked(payload, size):
    """`payload` in chunks of `size` bytes."""
    out = b""
    for i in range(0, len(payload), size):
        piece = payload[i:i + size]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return out + b"0\r\n\r\n"


@pytest.mark.parametrize("framing", ["content-length", "one-chunk", "4k-chunks", "1-byte-chunks-over-by-1"])
@pytest.mark.parametrize("route", ["/v2/models/mushroom-xgboost/infer", "/v2/repository/index",
                                   "/v2/repository/models/mnist-svm/load", "/v2/health/live", "/v2/nope"])
def test_body_over_the_limit_is_413(hostile_server, mushroom, framing, route):
    """Bodies over --http-max-body, declared or chunked, on every kind of route: 413 and a close."""
    if framing == "1-byte-chunks-over-by-1":
        payload = b" " * (MAX_BODY + 1)
        body = chunked(payload, 1000)[:-5] + b"1\r\n \r\n0\r\n\r\n"  # the last, over-the-limit byte alone
    else:
        payload = b"[" + b"0," * (MAX_BODY // 2) + b"0]"
        body = payload if framing == "content-length" else chunked(payload, len(payload) if framing == "one-chunk"
                                                                   else 4096)
    head = f"POST {route} HTTP/1.1\r\nHost: x\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n" if framing == "content-length" else \
        "Transfer-Encoding: chunked\r\n\r\n"
    response, closed = rawhttp.exchange(hostile_server.port, head.encode() + body, timeout=TIMEOUT)
    assert response is not None, "closed without an answer"
    code, headers, text = response
    assert code == 413, text[:300]
    assert json.loads(text) == {"error": f"request body is larger than the limit of {MAX_BODY} bytes"}
    assert closed
    check_serving(hostile_server, mushroom)


ROUTES = [("GET", "/v2"), ("GET", "/v2/health/live"), ("GET", "/v2/health/ready"),
          ("GET", "/v2/models/mushroom-xgboost"), ("GET", "/v2/models/mushroom-xgboost/ready"),
          ("GET", "/v2/models/mushroom-xgboost/versions/v0.1.0"),
          ("GET", "/v2/models/mushroom-xgboost/versions/v0.1.0/ready"),
          ("POST", "/v2/models/mushroom-xgboost/infer"), ("POST", "/v2/models/mushroom-xgboost/versions/v0.1.0/infer"),
          ("POST", "/v2/repository/index"), ("POST", "/v2/repository/models/mushroom-xgboost/load"),
          ("POST", "/v2/repository/models/mushroom-xgboost/unload"),
          ("GET", "/"), ("GET", "/v1/models/m"), ("GET", "/v2/models")]
METHODS = ["TRACE", "CONNECT", "OPTIONS", "PUT", "DELETE", "PATCH", "PROPFIND", "FOO", "get", "POST", "GET"]


@pytest.mark.parametrize("method", METHODS)
def test_unexpected_methods_on_every_route(hostile_server, mushroom, engine, method):
    """Each method on each route: 405 with Allow on a known route, 404 on an unknown one, both with
    {"error": ...}; TRACE never echoes the request's headers. (GET and POST appear for the routes
    that take the other; a load or unload is never run by a wrong method.)"""
    if engine == "cpprest" and method in ("TRACE", "OPTIONS"):
        pytest.skip(CPPREST_TRACE)
    if engine == "cpprest" and method == "get":
        pytest.skip(CPPREST_METHOD_CASE)
    secret = "s3cr3t-cookie-value"
    sock = rawhttp.connect(hostile_server.port)
    try:
        for route_method, path in ROUTES:
            if method == route_method:
                continue
            sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\nCookie: {secret}\r\n"
                         f"Authorization: Bearer {secret}\r\nContent-Length: 0\r\n\r\n".encode())
            response = rawhttp.read_response(sock)
            assert response is not None, f"{method} {path}: closed without an answer"
            code, headers, body = response
            assert secret.encode() not in body and secret not in str(headers), (method, path, body)
            assert headers.get("content-type") == "application/json", (method, path, headers)
            assert list(json.loads(body)) == ["error"], body
            if path in ("/", "/v1/models/m", "/v2/models"):
                assert code == 404, (method, path, body)
            else:
                assert code == 405, (method, path, body)
                assert headers["allow"] == ("GET, HEAD" if route_method == "GET" else "POST")
            if headers.get("connection") == "close":
                sock.close()
                sock = rawhttp.connect(hostile_server.port)
    finally:
        sock.close()
    assert [e["state"] for e in hostile_server.post("/v2/repository/index").json()] == ["READY", "READY"]
    check_serving(hostile_server, mushroom)


def test_connect_authority_form_is_refused(hostile_server, mushroom, engine):
    response, closed = rawhttp.exchange(hostile_server.port,
                                        b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n",
                                        timeout=TIMEOUT, wait_close=False)
    # cpprestsdk answers 400 text/plain for a target it cannot parse as a URI.
    check_refused(response, closed, json_body=engine == "beast")
    if engine == "beast":
        assert response[0] == 404
    check_serving(hostile_server, mushroom)


TRAVERSALS = ["..", "%2e%2e", "%2E%2e", ".%2e", "%2e", ".", "..%2f..%2fetc", "a%2fb", "%2f", "%2fetc%2fpasswd",
              "%00", "a%00b", "mushroom-xgboost%00", "mushroom-xgboost%00.json", "%2e%2e%00",
              "..%5c..%5cetc", "%5c", "mushroom-xgboost%5c..%5c..", "%252e%252e", "%c0%ae%c0%ae",
              "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd", "%ff%fe", "%0d%0aX-Injected:%20yes"]
TRAVERSAL_ROUTES = [("GET", "/v2/models/{}"), ("GET", "/v2/models/{}/ready"),
                    ("GET", "/v2/models/mushroom-xgboost/versions/{}"),
                    ("GET", "/v2/models/{}/versions/v0.1.0/ready"),
                    ("POST", "/v2/models/{}/infer"), ("POST", "/v2/models/mushroom-xgboost/versions/{}/infer"),
                    ("POST", "/v2/repository/models/{}/load"), ("POST", "/v2/repository/models/{}/unload")]


@pytest.mark.parametrize("name", TRAVERSALS)
def test_traversal_in_model_and_version_names(hostile_server, mushroom, name):
    """Encoded traversal, separators, NULs and CR/LF in a model or version name, on every route that
    takes one: 400 or 404 with {"error": ...}; nothing outside the repository is loaded or named."""
    body, _ = mushroom
    for method, template in TRAVERSAL_ROUTES:
        path = template.format(name)  # sent as is: no client-side normalisation of dot segments
        data = rawhttp.request_bytes(method, path, body.encode() if "infer" in path else b"",
                                     {"Connection": "close"})
        response, _ = rawhttp.exchange(hostile_server.port, data, timeout=TIMEOUT)
        assert response is not None, path
        code, headers, text = response
        assert code in (400, 404), (path, code, text)
        assert headers["content-type"] == "application/json" and "x-injected" not in headers
        message = json.loads(text)["error"]
        assert str(hostile_server.repository) not in message, message  # no host paths
    names = [(e["name"], e["state"]) for e in hostile_server.post("/v2/repository/index").json()]
    assert names == [("mnist-svm", "READY"), ("mushroom-xgboost", "READY")]
    check_serving(hostile_server, mushroom)


@pytest.mark.parametrize("target,status", [
    ("http://127.0.0.1/v2/health/live", 200),
    ("http://evil.example:99/v2/models/mushroom-xgboost/ready", 200),
    ("HTTP://127.0.0.1/v2/health/live", 200),
    ("http://127.0.0.1", 404),
    ("http://127.0.0.1?x=/v2/health/live", 404),
    ("http://x/v2/models/%2e%2e/ready", 400),
    ("http://x/v2/models/..%2f..%2fetc/ready", 400),
    ("file:///etc/passwd", 404),
    ("https://x/../../etc/passwd", 404),
    ("//v2/health/live", 404),
])
def test_absolute_form_targets(hostile_server, mushroom, engine, target, status):
    """Absolute-form targets are routed by their path only (the authority is ignored)."""
    data = f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    response, _ = rawhttp.exchange(hostile_server.port, data, timeout=TIMEOUT)
    assert response is not None
    code, headers, body = response
    if engine == "cpprest" and code == 400 and headers.get("content-type", "").startswith("text/plain"):
        pass  # cpprestsdk refuses some targets itself (400 text/plain) before the router sees them
    else:
        assert code == status, (target, code, body)
        if status != 200:
            assert list(json.loads(body)) == ["error"]
    check_serving(hostile_server, mushroom)


def test_pipelined_requests_are_answered_in_order(hostile_server, mushroom, engine):
    if engine == "cpprest":
        pytest.skip(CPPREST_PIPELINE)
    body, expected = mushroom
    infer = rawhttp.request_bytes("POST", "/v2/models/mushroom-xgboost/infer", body.encode())
    live = rawhttp.request_bytes("GET", "/v2/health/live")
    index = rawhttp.request_bytes("POST", "/v2/repository/index", b'{"ready":true}')
    missing = rawhttp.request_bytes("GET", "/v2/models/nope/ready")
    sequence = [infer, live, index, missing] * 25
    sock = rawhttp.connect(hostile_server.port)
    try:
        sock.sendall(b"".join(sequence))  # all at once, 100 requests
        answers = rawhttp.read_responses(sock, len(sequence))
    finally:
        sock.close()
    for i, answer in enumerate(answers):
        assert answer is not None, f"answer {i} missing"
        code, _, text = answer
        kind = i % 4
        if kind == 0:
            assert code == 200
            np.testing.assert_array_equal(np.array(json.loads(text)["outputs"][0]["data"], np.float32), expected)
        elif kind == 1:
            assert code == 200 and text == b""
        elif kind == 2:
            assert code == 200 and len(json.loads(text)) == 2
        else:
            assert code == 404 and json.loads(text) == {"error": "Model nope not found"}
    check_serving(hostile_server, mushroom)


@pytest.mark.parametrize("bad", [b"G\x00T / HTTP/1.1\r\n\r\n", b"GET /v2 HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                                 b"POST /v2/repository/index HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"])
def test_pipelined_good_then_bad(hostile_server, mushroom, engine, bad):
    """Good requests before a malformed one are answered; the malformed one is refused and the
    connection closed; requests after it are not run."""
    if engine == "cpprest":
        pytest.skip(CPPREST_PIPELINE)
    live = rawhttp.request_bytes("GET", "/v2/health/live")
    unload = rawhttp.request_bytes("POST", "/v2/repository/models/mushroom-xgboost/unload")
    sock = rawhttp.connect(hostile_server.port)
    try:
        sock.sendall(live * 3 + bad + unload)
        answers = rawhttp.read_responses(sock, 5)
    finally:
        sock.close()
    assert [a[0] if a else None for a in answers] == [200, 200, 200, 400, None]
    check_serving(hostile_server, mushroom)  # the unload after the bad request never ran


def test_half_closed_connections(hostile_server, mushroom, engine):
    """A client that sends its request and shuts down its sending side still gets the answer; one
    that half-closes in the middle of a request is not answered with a 5xx and holds nothing."""
    body, expected = mushroom
    whole = rawhttp.request_bytes("POST", "/v2/models/mushroom-xgboost/infer", body.encode())
    sock = rawhttp.connect(hostile_server.port)
    sock.sendall(whole)
    sock.shutdown(socket.SHUT_WR)
    response = rawhttp.read_response(sock)
    assert response is not None and response[0] == 200
    np.testing.assert_array_equal(np.array(json.loads(response[2])["outputs"][0]["data"], np.float32), expected)
    sock.close()
    for cut in (5, len(whole) // 3, len(whole) - 10):
        sock = rawhttp.connect(hostile_server.port)
        sock.sendall(whole[:cut])
        sock.shutdown(socket.SHUT_WR)
        try:
            response = rawhttp.read_response(sock)
        except ConnectionResetError:
            response = None
        sock.close()
        if response is not None:
            assert 400 <= response[0] < 500, response
    check_serving(hostile_server, mushroom)


def test_many_idle_and_slow_connections_do_not_hold_the_server(hostile_server, mushroom, engine):
    """200 idle connections, 20 slowloris clients sending a header byte every 0.2 s and 10 that
    stall half-way through a body: meanwhile other clients are answered correctly."""
    idle = [rawhttp.connect(hostile_server.port) for _ in range(200)]
    stop = threading.Event()
    errors = []

    def slowloris(data):
        try:
            sock = rawhttp.connect(hostile_server.port)
            for b in data:
                if stop.wait(0.2):
                    break
                sock.sendall(bytes([b]))
            sock.close()
        except OSError:
            pass  # closed by the server: allowed

    slow = b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 1000
    stalled = []
    for _ in range(10):
        s = rawhttp.connect(hostile_server.port)
        s.sendall(b"POST /v2/repository/index HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        stalled.append(s)
    threads = [threading.Thread(target=slowloris, args=(slow,)) for _ in range(20)]
    for t in threads:
        t.start()
    try:
        for _ in range(20):
            check_serving(hostile_server, mushroom)
            time.sleep(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join()
        for s in idle + stalled:
            s.close()
    assert not errors
    check_serving(hostile_server, mushroom)


IDLE_TIMEOUT = 6  # --http-idle-timeout of the server below, in seconds


def test_idle_and_slow_connections_are_closed_by_the_idle_timeout(start_server, mushroom, engine):
    """The engine closes a connection that has not completed a request within its idle timeout
    (--http-idle-timeout, 6 s here): an idle one, one that sent half a request head, one that stalls
    in its body, and a slowloris that sends a header byte every half second. Other clients are
    served all along."""
    if engine == "cpprest":
        pytest.skip(CPPREST_IDLE)
    s = start_server("--http-idle-timeout", str(IDLE_TIMEOUT))
    idle = rawhttp.connect(s.port, timeout=60)
    half = rawhttp.connect(s.port, timeout=60)
    half.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n")
    stalled = rawhttp.connect(s.port, timeout=60)
    stalled.sendall(b"POST /v2/repository/index HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    closed_at = {}
    start = time.monotonic()

    def watch(name, sock):
        if rawhttp.closed_by_peer(sock):
            closed_at[name] = time.monotonic() - start

    def slowloris():
        sock = rawhttp.connect(s.port, timeout=60)
        sock.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n")
        try:
            while time.monotonic() - start < 8 * IDLE_TIMEOUT:
                sock.sendall(b"X-a: b\r\n")
                time.sleep(0.5)
                sock.setblocking(False)
                try:
                    if sock.recv(100) == b"":
                        closed_at["slowloris"] = time.monotonic() - start
                        return
                except BlockingIOError:
                    pass
                finally:
                    sock.setblocking(True)
        except OSError:
            closed_at["slowloris"] = time.monotonic() - start

    threads = [threading.Thread(target=watch, args=(n, c), daemon=True)
               for n, c in (("idle", idle), ("half", half), ("stalled", stalled))]
    threads.append(threading.Thread(target=slowloris, daemon=True))
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads) and time.monotonic() - start < 8 * IDLE_TIMEOUT:
        check_serving(s, mushroom)
        time.sleep(0.5)
    for c in (idle, half, stalled):
        c.close()
    assert set(closed_at) == {"idle", "half", "stalled", "slowloris"}, closed_at
    # Closed by the timeout (deadlines are swept once a second), not at once and not much later.
    assert min(closed_at.values()) > IDLE_TIMEOUT - 1, closed_at
    assert max(closed_at.values()) < 4 * IDLE_TIMEOUT, closed_at


def abuse_once(port, engine):
    """A round of hostile requests that make the server allocate: bodies over the limit (declared
    and chunked), oversized heads, garbage; each on its own connection."""
    big = b"[" + b"1," * (MAX_BODY // 2) + b"1]"
    rounds = [
        b"POST /v2/models/mushroom-xgboost/infer HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(big) + big,
        b"POST /v2/models/mushroom-xgboost/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunked(big, 8192),
        b"POST /v2/models/mushroom-xgboost/infer HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY - 10)
        + b"[" * (MAX_BODY - 10),
        b"\x00\x01garbage\r\n\r\n",
    ]
    if engine == "beast":
        rounds += [b"GET /v2 HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 10000 + b"\r\n",
                   b"GET /v2 HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 60000 + b"\r\n\r\n",
                   CHUNKED.encode() + b"-1\r\n\r\n"]
    for data in rounds:
        response, _ = rawhttp.exchange(port, data, timeout=TIMEOUT, wait_close=False)
        assert response is None or 400 <= response[0] < 500, response


def test_memory_stays_bounded_under_abuse(hostile_server, mushroom, engine, measures_memory):
    """RSS after 300 rounds of abuse is within 16 MiB of RSS after the first 30. Each round makes
    the server read ~300 KB of hostile bodies and heads (90 MB over the loop): a leak of any
    per-request buffer would grow RSS by tens of MiB, while allocator caches and per-thread
    arenas (2 HTTP threads) settle within the first rounds."""
    for _ in range(30):
        abuse_once(hostile_server.port, engine)
    check_serving(hostile_server, mushroom)
    first = vm_rss_kib(hostile_server.proc.pid)
    for _ in range(270):
        abuse_once(hostile_server.port, engine)
    check_serving(hostile_server, mushroom)
    last = vm_rss_kib(hostile_server.proc.pid)
    print(f"\nRSS under abuse ({engine}): {first} KiB after 30 rounds, {last} KiB after 300")
    assert last - first < 16 * 1024, (first, last)
