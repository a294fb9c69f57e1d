"""A minimal FastCGI client (responder role) for tests that talk to wecom-fcgi without nginx.

Lets a test control exactly what the web server would send: lying CONTENT_LENGTH values, a body that
arrives in pieces (a request kept "in flight" across a SIGTERM), and so on.
"""
from __future__ import annotations

import socket
import struct

FCGI_VERSION = 1
BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 3, 4, 5, 6, 7
RESPONDER = 1


def _record(kind: int, content: bytes, request_id: int = 1) -> bytes:
    out = b""
    for start in range(0, max(len(content), 1), 65535):
        chunk = content[start:start + 65535]
        out += struct.pack(">BBHHBx", FCGI_VERSION, kind, request_id, len(chunk), 0) + chunk
    return out


def _length(n: int) -> bytes:
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def encode_params(params: dict[str, str]) -> bytes:
    body = b""
    for name, value in params.items():
        n, v = name.encode(), value.encode()
        body += _length(len(n)) + _length(len(v)) + n + v
    return body


class FastCGIConnection:
    """One request on one connection: `begin(params)`, `send_body(bytes)` any number of times,
    `end_body()`, then `read_response()` → (status, headers, body)."""

    def __init__(self, address: str, timeout: float = 10.0):
        if address.startswith("unix:"):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(address[len("unix:"):])
        else:
            host, port = address.rsplit(":", 1)
            self.sock = socket.create_connection((host, int(port)), timeout=timeout)
            self.sock.settimeout(timeout)

    def begin(self, params: dict[str, str], keep_conn: bool = False) -> None:
        """Starts a request; `keep_conn` sets FCGI_KEEP_CONN (the connection stays open after it)."""
        begin = struct.pack(">HB5x", RESPONDER, 1 if keep_conn else 0)
        self.sock.sendall(_record(BEGIN_REQUEST, begin) + _record(PARAMS, encode_params(params))
                          + _record(PARAMS, b""))

    def send_body(self, data: bytes) -> None:
        if data:
            self.sock.sendall(_record(STDIN, data))

    def end_body(self) -> None:
        self.sock.sendall(_record(STDIN, b""))

    def read_response(self) -> tuple[int, dict[str, str], bytes]:
        stdout = b""
        while True:
            header = self._read_exactly(8)
            _, kind, _, length, padding = struct.unpack(">BBHHBx", header)
            content = self._read_exactly(length)
            self._read_exactly(padding)
            if kind == STDOUT:
                stdout += content
            elif kind == END_REQUEST:
                break
        head, _, body = stdout.partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode().split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        status = int(headers.get("status", "200").split()[0])
        return status, headers, body

    def _read_exactly(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("connection closed before the response ended")
            data += chunk
        return data

    def close(self) -> None:
        self.sock.close()


def request(address: str, params: dict[str, str], body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """Sends one whole request and returns (status, headers, body)."""
    conn = FastCGIConnection(address)
    try:
        conn.begin(params)
        conn.send_body(body)
        conn.end_body()
        return conn.read_response()
    finally:
        conn.close()
