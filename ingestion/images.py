"""Download a creative image from a platform CDN, within limits.

Plain Python (requests): only http(s), only hosts in the allowlist (checked again on every
redirect), a byte cap enforced while streaming, an overall deadline and an image content type.
Decoding and the pixel cap happen in creatives.imaging when the bytes are stored.
"""

from __future__ import annotations

import time
from fnmatch import fnmatchcase
from urllib.parse import urljoin, urlsplit

import requests

MAX_REDIRECTS = 3


class ImageFetchError(Exception):
    """The image could not be downloaded; the message says why in plain words."""


def host_allowed(host: str, patterns: list[str]) -> bool:
    host = (host or "").lower().rstrip(".")
    return any(fnmatchcase(host, pattern.lower()) for pattern in patterns)


def image_fetch(
    url: str,
    *,
    allowed_hosts: list[str],
    max_bytes: int,
    timeout: float,
    session: requests.Session | None = None,
) -> bytes:
    """Return the bytes at `url`, or raise ImageFetchError."""
    session = session or requests.Session()
    deadline = time.monotonic() + timeout
    for _hop in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ImageFetchError(f"Only http and https image addresses are fetched, not {url!r}.")
        if not host_allowed(parts.hostname or "", allowed_hosts):
            raise ImageFetchError(
                f"The host {parts.hostname!r} is not in the image host allowlist "
                "(YENNI_INGEST_IMAGE_HOSTS)."
            )
        try:
            response = session.get(url, stream=True, timeout=timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise ImageFetchError(
                f"The image could not be downloaded ({type(exc).__name__})."
            ) from exc
        with response:
            if response.is_redirect:
                url = urljoin(url, response.headers.get("location", ""))
                continue
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
                        raise ImageFetchError(
                            f"The image is above the limit of {max_bytes:,} bytes."
                        )
                    if time.monotonic() > deadline:
                        raise ImageFetchError(f"The download took longer than {timeout:g} s.")
            except requests.RequestException as exc:
                raise ImageFetchError(
                    f"The image download broke off ({type(exc).__name__})."
                ) from exc
            return bytes(data)
    raise ImageFetchError(f"The image address redirected more than {MAX_REDIRECTS} times.")
