"""The oversized-body probe's upload, over a raw socket: send a huge POST, stop when the server answers.

httpx cannot do this (it fails on the broken pipe when a server answers 413 and closes mid-body), so
this writes the request and reads the HTTP/1.1 answer itself, bounded by a timeout and a deadline.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator, Mapping
from urllib.parse import urlsplit

import httpx

from responsekit.conformance.replies import Reply

__all__ = ["post_oversized"]


def post_oversized(
    base_url: str,
    path: str,
    size: int,
    prefix: bytes,
    *,
    headers: Mapping[str, str],
    timeout: float,
    max_seconds: float,
    pad: bytes = b"a",
    suffix: bytes = b'"}',
) -> Reply | str:
    """POST a body of ``size`` bytes and return the answer, or a string saying why there was none.

    A server may answer 413 and close while the body is still being sent; an ordinary client
    then fails on the broken pipe and never sees the answer. So this writes the body in chunks
    and stops as soon as the server starts answering.
    """
    url = urlsplit(f"{base_url}{path}")
    port = url.port or (443 if url.scheme == "https" else 80)
    deadline = time.monotonic() + max_seconds
    sock = socket.create_connection((url.hostname, port), timeout=timeout)
    if url.scheme == "https":
        sock = ssl.create_default_context().wrap_socket(sock, server_hostname=url.hostname)
    try:
        head = [
            f"POST {url.path} HTTP/1.1",
            f"Host: {url.netloc}",
            "Content-Type: application/json",
            f"Content-Length: {size}",
            "Connection: close",
        ]
        head += [f"{k}: {v}" for k, v in headers.items()]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        body_left = size - len(prefix) - len(suffix)
        chunks = _body_chunks(prefix, pad, body_left, suffix)
        received = b""
        sock.settimeout(0.0)
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                if time.monotonic() > deadline:
                    return "deadline passed while sending the body"
                received += _recv_some(sock)
                if received:
                    break
                try:
                    view = view[sock.send(view) :]
                except (BlockingIOError, ssl.SSLWantWriteError):
                    _wait(sock, deadline)
                except OSError as exc:
                    received += _recv_some(sock)
                    if not received:
                        return f"connection failed while sending the body ({exc}) and no answer came"
                    break
            if received:
                break
        sock.settimeout(timeout)
        while time.monotonic() < deadline and not _complete(received):
            try:
                more = sock.recv(65536)
            except OSError:
                break
            if not more:
                break
            received += more
        return _parse_http_reply("POST", f"{base_url}{path}", received)
    finally:
        sock.close()


def _body_chunks(prefix: bytes, pad: bytes, count: int, suffix: bytes) -> Iterator[bytes]:
    yield prefix
    block = pad * 65536
    while count > 0:
        n = min(count, len(block))
        yield block[:n]
        count -= n
    yield suffix


def _recv_some(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except (BlockingIOError, ssl.SSLWantReadError):
        return b""
    except OSError:
        return b""


def _wait(sock: socket.socket, deadline: float) -> None:
    import selectors

    with selectors.DefaultSelector() as sel:
        sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
        sel.select(timeout=max(0.0, min(0.5, deadline - time.monotonic())))


def _complete(raw: bytes) -> bool:
    """Whether ``raw`` holds a whole HTTP answer with a Content-Length (else read to EOF)."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return value.strip().isdigit() and len(body) >= int(value.strip())
    return False


def _parse_http_reply(method: str, url: str, raw: bytes) -> Reply | str:
    if not raw:
        return "the connection closed without an HTTP answer"
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return f"not an HTTP answer: {raw[:80]!r}"
    headers = httpx.Headers(
        [tuple(x.strip() for x in line.split(":", 1)) for line in lines[1:] if ":" in line]
    )
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _dechunk(body)
    return Reply(method, url, status, headers, body.decode("utf-8", "replace"))


def _dechunk(body: bytes) -> bytes:
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        try:
            size = int(size_line.split(b";")[0], 16)
        except ValueError:
            break
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2 :]
    return out
