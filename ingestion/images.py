"""Download a creative image from a platform CDN, within limits, without reaching inside.

Plain Python (requests). Image URLs come from platform payloads, so they are untrusted: a URL
that a second parser reads differently (`http://127.0.0.1:8765\\@scontent.xx.fbcdn.net/`)
could pass a check and then connect somewhere else. So every hop, redirects included:

1. the URL is read with urllib3's parser, the one requests connects with, and refused when it
   holds a backslash, whitespace or a control character, a user or password, or when
   urllib.parse reads another host or port;
2. the host must match the allowlist (`YENNI_INGEST_IMAGE_HOSTS`);
3. the host is resolved once; every address must be public (not loopback, private,
   link-local, shared, multicast, reserved or unspecified) unless a network in
   `YENNI_INGEST_IMAGE_ALLOWED_NETWORKS` holds it;
4. the connection goes to the address that was checked (no second lookup, so no DNS
   rebinding), while the Host header, TLS SNI and certificate check keep the URL's name.

A network failure reads the same whatever happened (refused, timed out, reset), so stored
failures never tell which internal ports answer. Then a byte cap enforced while streaming,
an overall deadline and an image content type. Decoding and the pixel cap happen in
creatives.imaging when the bytes are stored.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.util.connection
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, LocationParseError, NewConnectionError
from urllib3.util import parse_url

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 3

REFUSED = "The image address was refused: "
NOT_PUBLIC = (
    REFUSED + "its host does not resolve to a public internet address "
    "(YENNI_INGEST_IMAGE_ALLOWED_NETWORKS lists the private networks that may serve images)."
)
NETWORK_REFUSED = (
    "The image download was refused by the network (no connection, no answer or a broken "
    "answer); the next run tries again."
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ImageFetchError(Exception):
    """The image could not be downloaded; the message says why in plain words."""


def host_allowed(host: str, patterns: list[str]) -> bool:
    host = (host or "").lower().rstrip(".")
    return any(fnmatchcase(host, pattern.lower()) for pattern in patterns)


def resolve_host(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to; IP literals (even 0x7f000001) as the OS reads them."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]).split("%", 1)[0] for info in infos]


@dataclass(frozen=True)
class _Target:
    """A URL as the HTTP client will read it, and the address checked for its host."""

    url: str
    host: str
    port: int
    address: str


def _checked_url(url: str, allowed_hosts: list[str]) -> tuple[str, str, int]:
    """Read `url` as the HTTP client does; return (scheme, host, port) or raise ImageFetchError."""
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise ImageFetchError(f"Only http and https image addresses are fetched, not {url!r}.")
    if "\\" in url or any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in url):
        raise ImageFetchError(
            REFUSED + "it holds a backslash, a space or a control character, which HTTP "
            "clients read in different ways."
        )
    try:
        parts = parse_url(url)
        split = urlsplit(url)
        split_port = split.port
    except (LocationParseError, ValueError) as exc:
        raise ImageFetchError(REFUSED + "it is not a valid address.") from exc
    if parts.auth is not None or "@" in split.netloc:
        raise ImageFetchError(REFUSED + "it names a user or a password before the host.")
    host = (parts.host or "").strip("[]").lower()
    if not host or host != (split.hostname or "") or parts.port != split_port:
        raise ImageFetchError(REFUSED + "its host reads differently to different URL parsers.")
    if not host_allowed(host, allowed_hosts):
        raise ImageFetchError(
            REFUSED + f"the host {host!r} is not in the image host allowlist "
            "(YENNI_INGEST_IMAGE_HOSTS)."
        )
    scheme = parts.scheme or "http"
    return scheme, host, parts.port or (443 if scheme == "https" else 80)


def _public(address: str, networks: Iterable[Network]) -> bool:
    ip = ipaddress.ip_address(address)
    if any(ip in network for network in networks):
        return True
    embedded = getattr(ip, "ipv4_mapped", None) or getattr(ip, "sixtofour", None)
    if embedded is not None:
        return _public(str(embedded), networks)
    return ip.is_global and not (
        ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local
    )


def _target(url: str, allowed_hosts: list[str], networks: list[Network]) -> _Target:
    """Check a URL and its host's addresses; the address returned is the one to connect to."""
    _scheme, host, port = _checked_url(url, allowed_hosts)
    try:
        addresses = resolve_host(host, port)
    except (OSError, UnicodeError) as exc:
        raise ImageFetchError(NOT_PUBLIC) from exc
    if not addresses or not all(_public(address, networks) for address in addresses):
        raise ImageFetchError(NOT_PUBLIC)
    return _Target(url=url, host=host, port=port, address=addresses[0])


class _PinnedConnection:
    """Open the TCP connection to the checked address instead of resolving the host again.

    Only the socket's destination changes: `self.host` stays the URL's name, so the Host
    header, TLS SNI and certificate check are the name's.
    """

    pinned_address = ""

    def _new_conn(self) -> socket.socket:
        try:
            # Looked up on the module at call time, so tests can watch every connection.
            return urllib3.util.connection.create_connection(
                (self.pinned_address, self.port),
                self.timeout,
                source_address=self.source_address,
                socket_options=self.socket_options,
            )
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, "connection timed out") from exc
        except OSError as exc:
            raise NewConnectionError(self, f"connection failed: {exc}") from exc


class _PinnedAdapter(HTTPAdapter):
    """A transport whose every connection goes to one checked address."""

    def __init__(self, address: str):
        self.address = address
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        pinned = {"pinned_address": self.address}
        http = type("PinnedHTTPConnection", (_PinnedConnection, HTTPConnection), pinned)
        https = type("PinnedHTTPSConnection", (_PinnedConnection, HTTPSConnection), pinned)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("PinnedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("PinnedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }


def _pinned_session(address: str) -> requests.Session:
    session = requests.Session()
    # No proxy from the environment: the connection must go where the check said.
    session.trust_env = False
    adapter = _PinnedAdapter(address)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def image_fetch(
    url: str,
    *,
    allowed_hosts: list[str],
    max_bytes: int,
    timeout: float,
    allowed_networks: Iterable[str | Network] = (),
) -> bytes:
    """Return the bytes at `url`, or raise ImageFetchError."""
    networks = [ipaddress.ip_network(n, strict=False) for n in allowed_networks]
    deadline = time.monotonic() + timeout
    for _hop in range(MAX_REDIRECTS + 1):
        target = _target(url, allowed_hosts, networks)
        with _pinned_session(target.address) as session:
            try:
                response = session.get(url, stream=True, timeout=timeout, allow_redirects=False)
            except requests.RequestException as exc:
                logger.info("Image %s: %s", url, type(exc).__name__)
                raise ImageFetchError(NETWORK_REFUSED) from exc
            with response:
                if response.is_redirect:
                    url = urljoin(url, response.headers.get("location", ""))
                    continue
                return _image_body(
                    response, max_bytes=max_bytes, deadline=deadline, timeout=timeout
                )
    raise ImageFetchError(f"The image address redirected more than {MAX_REDIRECTS} times.")


def _image_body(
    response: requests.Response, *, max_bytes: int, deadline: float, timeout: float
) -> bytes:
    if response.status_code != 200:
        raise ImageFetchError(f"The image address answered HTTP {response.status_code}.")
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not content_type.startswith("image/"):
        raise ImageFetchError(
            f"The address served {content_type or 'no content type'}, not an image."
        )
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise ImageFetchError(
            f"The image is {int(declared):,} bytes, above the limit of {max_bytes:,}."
        )
    data = bytearray()
    try:
        for chunk in response.iter_content(chunk_size=65536):
            data += chunk
            if len(data) > max_bytes:
                raise ImageFetchError(f"The image is above the limit of {max_bytes:,} bytes.")
            if time.monotonic() > deadline:
                raise ImageFetchError(f"The download took longer than {timeout:g} s.")
    except requests.RequestException as exc:
        raise ImageFetchError(NETWORK_REFUSED) from exc
    return bytes(data)
