"""A local HTTP server that plays one ad platform, with failures on demand.

Each platform's fake subclasses FakePlatform and answers API calls; this module serves them on
127.0.0.1 on a free port, counts the calls, injects throttles, server errors, expired tokens and
broken bodies by call number, and serves small PNGs (and broken images) for creative URLs.
"""

from __future__ import annotations

import io
import random
import socket
import struct
import threading
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PIL import Image


@dataclass
class FakeRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    raw_query: str = ""
    call: int = 0

    def json(self) -> Any:
        import json

        return json.loads(self.body or b"{}")


@dataclass
class FakeResponse:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    # "length": announce the whole body, send half, hang up (the client reads IncompleteRead);
    # "chunked": send half of one chunk, hang up. Empty: send the body whole.
    cut: str = ""


@dataclass
class FailurePlan:
    """Which API calls fail, by their number (1-based, image downloads not counted)."""

    throttle_every: int = 0
    error_every: int = 0
    # Every call after this one answers 500, as a platform outage would.
    fail_after: int = 0
    expired_token: bool = False
    # A well-formed HTTP answer whose JSON is cut in half (the Content-Length matches).
    truncate_calls: set[int] = field(default_factory=set)
    malformed_calls: set[int] = field(default_factory=set)
    # The connection drops mid-body: Content-Length promises more than comes, or a chunk ends
    # early. The client sees ChunkedEncodingError (urllib3 ProtocolError / IncompleteRead).
    cut_calls: set[int] = field(default_factory=set)
    cut_chunked_calls: set[int] = field(default_factory=set)


def png_bytes(seed: int, *, width: int = 12, height: int = 8) -> bytes:
    """A tiny PNG whose bytes are unique to `seed`."""
    image = Image.new("RGB", (width, height), ((seed * 37) % 256, (seed * 91) % 256, 128))
    image.putpixel((0, 0), (seed & 255, (seed >> 8) & 255, (seed >> 16) & 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def noisy_png(*, side: int = 200) -> bytes:
    """A PNG of random pixels: does not compress, so it is as big as its pixels."""
    pixels = random.Random(7).randbytes(side * side * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def bomb_png(*, width: int = 30000, height: int = 30000) -> bytes:
    """A PNG whose header announces width×height pixels, with almost no data behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


class FakePlatform:
    """Base of the platform fakes: subclasses implement `answer` in the platform's shapes."""

    def __init__(self, *, token: str, failures: FailurePlan | None = None):
        self.token = token
        self.failures = failures or FailurePlan()
        # Image name → "big", "bomb", "html" or "missing": how that image is broken for now.
        self.broken_images: dict[str, str] = {}
        self.base_url = ""
        self.calls = 0
        self.throttled = 0
        self.errors = 0
        self.broken_bodies = 0
        self.image_downloads = 0
        self.last_request: FakeRequest | None = None
        self._lock = threading.Lock()

    # Subclasses ------------------------------------------------------------------------------

    def token_of(self, request: FakeRequest) -> str:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:]
        return request.query.get("access_token", "")

    def answer(self, request: FakeRequest) -> FakeResponse:
        raise NotImplementedError

    def throttle_response(self, request: FakeRequest) -> FakeResponse:
        raise NotImplementedError

    def server_error_response(self, request: FakeRequest) -> FakeResponse:
        return FakeResponse(500, b'{"error":{"message":"Internal error","code":2}}')

    def auth_error_response(self, request: FakeRequest) -> FakeResponse:
        raise NotImplementedError

    def version_refusal(self, request: FakeRequest) -> FakeResponse | None:
        """The platform's answer to an API version it does not serve (unknown or sunset).

        Checked before the token, as the real front ends route by version first. None: the
        version is served (or this fake does not check versions).
        """
        return None

    # Dispatch --------------------------------------------------------------------------------

    def handle(self, request: FakeRequest) -> FakeResponse:
        if request.path.startswith("/images/"):
            return self.image(request.path.removeprefix("/images/"))
        with self._lock:
            self.calls += 1
            request.call = n = self.calls
            self.last_request = request
        plan = self.failures
        refused = self.version_refusal(request)
        if refused is not None:
            return refused
        if plan.expired_token or self.token_of(request) != self.token:
            return self.auth_error_response(request)
        if plan.fail_after and n > plan.fail_after:
            self.errors += 1
            return self.server_error_response(request)
        if plan.throttle_every and n % plan.throttle_every == 0:
            self.throttled += 1
            return self.throttle_response(request)
        if plan.error_every and n % plan.error_every == 0:
            self.errors += 1
            return self.server_error_response(request)
        response = self.answer(request)
        if n in plan.truncate_calls:
            self.broken_bodies += 1
            response.body = response.body[: len(response.body) // 2]
        elif n in plan.malformed_calls:
            self.broken_bodies += 1
            response.body = b"<html><body>502 Bad Gateway</body></html>"
        elif n in plan.cut_calls or n in plan.cut_chunked_calls:
            self.broken_bodies += 1
            response.cut = "length" if n in plan.cut_calls else "chunked"
        return response

    def image(self, name: str) -> FakeResponse:
        self.image_downloads += 1
        kind = self.broken_images.get(name)
        if kind == "big":
            return FakeResponse(200, noisy_png(), "image/png")
        if kind == "bomb":
            return FakeResponse(200, bomb_png(), "image/png")
        if kind == "html":
            return FakeResponse(200, b"<html>not an image</html>", "text/html; charset=utf-8")
        if kind == "missing":
            return FakeResponse(404, b"not found", "text/plain")
        seed = sum((i + 1) * ord(ch) for i, ch in enumerate(name))
        return FakeResponse(200, png_bytes(seed), "image/png")


class _Handler(BaseHTTPRequestHandler):
    platform: FakePlatform
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this each call waits for a delayed ACK.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = FakeRequest(
            method=self.command,
            path=parts.path,
            query={k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            raw_query=parts.query,
        )
        try:
            response = self.server.platform.handle(request)  # type: ignore[attr-defined]
        except Exception as exc:  # a bug in a fake must show up as a 500, not a hang
            response = FakeResponse(500, f'{{"fake_error": "{type(exc).__name__}"}}'.encode())
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        if response.cut == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not response.cut:
            self.wfile.write(response.body)
            return
        half = response.body[: len(response.body) // 2]
        if response.cut == "chunked":
            half = f"{len(response.body):x}\r\n".encode() + half
        self.wfile.write(half)
        self.wfile.flush()
        # Hang up mid-body, as a proxy or a platform front end that drops the connection does.
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    do_GET = _serve
    do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up early (a refused image) is not worth a traceback.
        pass


class FakeServer:
    """Serve a FakePlatform on 127.0.0.1 on a free port, in a background thread."""

    def __init__(self, platform: FakePlatform):
        self.platform = platform
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.platform = platform  # type: ignore[attr-defined]
        host, port = self.httpd.server_address[:2]
        self.url = f"http://{host}:{port}"
        platform.base_url = self.url
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)
