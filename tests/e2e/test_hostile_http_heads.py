"""Hostile request heads on the Beast engine: transfer codings that do not end in chunked (request
smuggling), and heads whose size only a count of every byte catches (many short or empty
fields)."""
import pytest

import rawhttp
from conftest import TIMEOUT
from helpers import check_serving, vm_rss_kib
from test_hostile_http import INDEX, check_refused, hostile_server  # noqa: F401


@pytest.mark.parametrize("coding", ["gzip", "chunked, gzip", "identity", "foo"])
def test_transfer_encoding_not_ending_in_chunked_is_400_and_closed(hostile_server, mushroom, engine, coding):
    if engine == "cpprest":
        pytest.skip("cpprestsdk: see test_hostile_http")
    # The "body" is a second request: it must never be run.
    smuggled = b"POST /v2/repository/models/mushroom-xgboost/unload HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
    data = (INDEX + f"Transfer-Encoding: {coding}\r\n\r\n").encode() + smuggled
    response, closed = rawhttp.exchange(hostile_server.port, data, timeout=TIMEOUT)
    check_refused(response, closed, 400)
    check_serving(hostile_server, mushroom)


@pytest.mark.parametrize("field,count", [(b"X:\r\n", 10_000), (b"X:\r\n", 100_000),
                                         (b"X: y\r\n", 3000), (b"X: y\r\n", 4000)])
def test_heads_of_many_short_fields_are_431(hostile_server, mushroom, engine, field, count):
    """Every byte of the head counts against its limit: fields with empty values written without
    a space, and 18-24 KB of short fields sent at once (which Boost.Beast's own limit, applied per
    parser call, lets through)."""
    if engine == "cpprest":
        pytest.skip("cpprestsdk: see test_hostile_http")
    data = b"GET /v2 HTTP/1.1\r\nHost: x\r\n" + field * count + b"\r\n"
    response, closed = rawhttp.exchange(hostile_server.port, data, timeout=TIMEOUT)
    check_refused(response, closed, 431)
    check_serving(hostile_server, mushroom)


def test_a_head_of_empty_header_values_does_not_grow_memory(hostile_server, mushroom, engine, measures_memory):
    if engine == "cpprest":
        pytest.skip("cpprestsdk: see test_hostile_http")
    before = vm_rss_kib(hostile_server.proc.pid)
    data = b"GET /v2 HTTP/1.1\r\nHost: x\r\n" + b"X:\r\n" * 2_500_000 + b"Connection: close\r\n\r\n"  # 10 MB
    response, _ = rawhttp.exchange(hostile_server.port, data, timeout=TIMEOUT)
    after = vm_rss_kib(hostile_server.proc.pid)
    assert response is None or response[0] == 431, response
    assert after - before < 16 * 1024, (before, after)
    check_serving(hostile_server, mushroom)


def head_of(size):
    """A GET head of exactly `size` bytes, the blank line included."""
    start = b"GET /v2 HTTP/1.1\r\nHost: x\r\nX-Pad: "
    end = b"\r\n\r\n"
    return start + b"a" * (size - len(start) - len(end)) + end


@pytest.mark.parametrize("size,status", [(16 * 1024, 200), (16 * 1024 + 1, 431)])
def test_the_head_limit_is_exact(hostile_server, mushroom, engine, size, status):
    if engine == "cpprest":
        pytest.skip("cpprestsdk: see test_hostile_http")
    response, closed = rawhttp.exchange(hostile_server.port, head_of(size), timeout=TIMEOUT,
                                        wait_close=status != 200)
    assert response is not None and response[0] == status, response
    check_serving(hostile_server, mushroom)


def test_a_pipelined_head_read_with_the_previous_body_is_held_to_the_limit(hostile_server, mushroom, engine):
    """The next request's head arrives in the same read as a large body: it is still counted."""
    if engine == "cpprest":
        pytest.skip("cpprestsdk: see test_hostile_http")
    body = b"{}" + b" " * 40_000
    first = INDEX.encode() + b"Content-Length: %d\r\n\r\n" % len(body) + body
    second = b"GET /" + b"a" * 16_000 + b" HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 2_500 + b"\r\n"
    sock = rawhttp.connect(hostile_server.port, timeout=TIMEOUT)
    sock.sendall(first + second)
    responses = rawhttp.read_responses(sock, 2)
    sock.close()
    assert responses[0] is not None and responses[0][0] == 200, responses[0]
    assert responses[1] is not None and responses[1][0] == 431, responses[1]
    check_serving(hostile_server, mushroom)
