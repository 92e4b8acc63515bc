"""A minimal HTTP/1.1 client over a plain socket, for what requests cannot do: send a request in
pieces, malformed bytes, or several requests on one connection."""
import socket


def connect(port, timeout=30):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return sock


def parse_head(head):
    """(status, headers with lower-case names) of a response head without its blank line."""
    lines = head.decode("latin1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers


def read_response(sock):
    """(status, headers with lower-case names, body) of one response; None if the server closed."""
    return _read_one(sock, b"")[0]


def _read_one(sock, pending):
    """One response from `pending` bytes already read plus what the socket gives, and the bytes
    read past its end: (response or None when the server closed first, leftover)."""
    while b"\r\n\r\n" not in pending:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        pending += chunk
    head, _, rest = pending.partition(b"\r\n\r\n")
    status, headers = parse_head(head)
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return (status, headers, rest[:length]), rest[length:]


def request_bytes(method, path, body=b"", headers=None):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def exchange(port, data, timeout=10, wait_close=True):
    """Sends `data` on a new connection and reads one answer.

    Returns (response, closed): `response` is read_response's tuple, or None when the server
    closed (or reset) the connection without answering; `closed` says whether the server closed
    it after answering (EOF or reset within `timeout` seconds; only checked when `wait_close`).
    A server that neither answers nor closes within `timeout` raises socket.timeout: a hang."""
    sock = connect(port, timeout=timeout)
    try:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before all was sent: read what it answered
        try:
            response = read_response(sock)
        except ConnectionResetError:
            return None, True
        if response is None:
            return None, True
        if not wait_close:
            return response, False
        return response, closed_by_peer(sock)
    finally:
        sock.close()


def closed_by_peer(sock):
    """True when the peer has closed the connection (reads reach EOF or a reset); waits at most
    the socket's timeout, then raises socket.timeout."""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return True
    except ConnectionResetError:
        return True


def read_responses(sock, count):
    """`count` responses read in order from one connection (None for each missing at the end)."""
    out = []
    pending = b""
    for _ in range(count):
        response, pending = _read_one(sock, pending)
        out.append(response)
        if response is None:
            break
    return out + [None] * (count - len(out))
