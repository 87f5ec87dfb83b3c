"""The raw archive: every response a connector received, by the day it came, and what was asked.

Each response is two files:

- its body, gzipped, as received:
  `raw/platform=…/account=…/year=…/month=…/day=…/<time>-<n>-<endpoint>.json.gz`;
- its manifest, written after the body: `raw/_manifests/<the same path>.json` — the request as
  sent with its secrets replaced (headers such as Authorization and developer-token, query
  parameters such as access_token), the status, the body's size and SHA-256.

Secrets are removed from the request, never by replacing the token's text in the body: a token
that is also a common word ("a", "OUTCOME") would rewrite the figures and objectives. Graph
echoes the token in `paging.next`, so URLs inside the body lose their secret query parameters
(only those, only inside URL strings, counted in the manifest); every other byte stays as
received. Replay checks each body against its manifest and refuses an archive it cannot trust.
The `_manifests` folder starts with "_" so Hive-style readers of `raw/` (Athena, Spark) skip it.
These functions are the only code that knows this layout.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote_plus, urlsplit

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from ingestion.connectors.base import ArchiveWriter, Exchange

SUFFIX = ".json.gz"
MANIFEST_SUFFIX = ".json"
MANIFEST_ROOT = "raw/_manifests/"
FORMAT = 2
REDACTED = "REDACTED"

# Request headers and URL query parameters whose values are credentials. The manager account
# id (login-customer-id) and the API version headers are kept: they say how the call was made.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "developer-token",
        "x-api-key",
        "x-goog-api-key",
    }
)
SECRET_PARAMS = frozenset(
    {
        "access_token",
        "refresh_token",
        "client_secret",
        "appsecret_proof",
        "oauth_token",
        "oauth_signature",
        "api_key",
        "key",
        "token",
        "password",
    }
)
# Longest secret parameter name, percent-encoded, with room for a "\u0026" separator before it.
_NAME_WINDOW = 3 * max(len(name) for name in SECRET_PARAMS) + 7
# A query parameter inside a literal's own bytes: separator, name, value.
_RAW_PARAM = re.compile(rb'([?&])([^=&#"?]+)=([^&#"]*)')


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", part)


def archive_folder(*, platform: str, account_id: str) -> str:
    return f"raw/platform={_safe(platform)}/account={_safe(account_id)}"


def _day_folder(folder: str, day: dt.date) -> str:
    return f"{folder}/year={day:%Y}/month={day:%m}/day={day:%d}"


def manifest_name(body_name: str) -> str:
    """Where the manifest of an archived body lives."""
    return MANIFEST_ROOT + body_name.removeprefix("raw/").removesuffix(SUFFIX) + MANIFEST_SUFFIX


# Redaction ---------------------------------------------------------------------------------


def url_redacted(url: str) -> tuple[str, int]:
    """Replace the values of secret query parameters; return the URL and how many were."""
    parts = urlsplit(url)
    if not parts.query:
        return url, 0
    pieces, count = [], 0
    for piece in parts.query.split("&"):
        name = piece.split("=", 1)[0]
        if unquote_plus(name).lower() in SECRET_PARAMS:
            piece, count = f"{name}={REDACTED}", count + 1
        pieces.append(piece)
    if not count:
        return url, 0
    return parts._replace(query="&".join(pieces)).geturl(), count


def request_redacted(*, method: str, url: str, headers: dict[str, str]) -> dict:
    """The request as the manifest keeps it: what was asked, without its credentials."""
    return {
        "method": method,
        "url": url_redacted(url)[0],
        "headers": {
            name: REDACTED if name.lower() in SECRET_HEADERS else value
            for name, value in headers.items()
        },
    }


def _raw_param_redacted(match: re.Match) -> bytes:
    try:
        name = unquote_plus(json.loads(b'"' + match.group(2) + b'"'))
    except ValueError:
        return match.group(0)
    if name.lower() not in SECRET_PARAMS:
        return match.group(0)
    return match.group(1) + match.group(2) + b"=" + REDACTED.encode()


def _string_redacted(literal: bytes) -> bytes | None:
    """The literal with its URL's secrets replaced, or None when it holds none.

    The value is replaced in the literal's own bytes (Graph writes `https:\\/\\/…`), checked
    to decode to the redacted URL; only when it does not is the literal written anew.
    """
    if b"=" not in literal or b":" not in literal:
        return None
    try:
        text = json.loads(literal)
    except ValueError:
        return None
    if not isinstance(text, str) or not text.startswith(("http://", "https://")):
        return None
    url, count = url_redacted(text)
    if not count:
        return None
    raw = _RAW_PARAM.sub(_raw_param_redacted, literal)
    try:
        if json.loads(raw) == url:
            return raw
    except ValueError:
        pass
    return json.dumps(url, ensure_ascii=False).encode()


def _escaped(body: bytes, index: int) -> bool:
    backslashes = 0
    while index - backslashes > 0 and body[index - backslashes - 1] == 0x5C:
        backslashes += 1
    return backslashes % 2 == 1


def _unescaped_quote(body: bytes, index: int, *, backwards: bool) -> int:
    """The nearest quote before (or from) `index` that is not escaped; -1 if none."""
    while True:
        index = body.rfind(b'"', 0, index) if backwards else body.find(b'"', index)
        if index < 0 or not _escaped(body, index):
            return index
        index += 0 if backwards else 1


def _secret_params(body: bytes) -> Iterator[int]:
    """Positions of "name=" where name is a secret query parameter after "?", "&" or "\\u0026".

    Found from the "=" signs, which JSON bodies hold few of: a regex over the names would read
    every byte several times, and bodies run to megabytes.
    """
    equals = body.find(b"=")
    while equals >= 0:
        window = body[max(0, equals - _NAME_WINDOW) : equals]
        cut = max(window.rfind(b"?"), window.rfind(b"&"))
        escaped = window.rfind(b"\\u0026")
        if escaped >= 0 and escaped + 5 > cut:
            cut = escaped + 5
        name = window[cut + 1 :] if cut >= 0 else b""
        if name and unquote_plus(name.decode("latin-1")).lower() in SECRET_PARAMS:
            yield equals - len(name)
        equals = body.find(b"=", equals + 1)


def body_redacted(body: bytes) -> tuple[bytes, int]:
    """Replace secret query parameters of URLs in a JSON body; keep every other byte.

    Only string literals that are http(s) URLs with a secret parameter change, and only that
    parameter's value; a body without one is returned as it is. In valid JSON such a parameter
    can only sit inside a string, so the nearest unescaped quotes around it bound its literal.
    """
    pieces: list[bytes] = []
    done = looked = count = 0
    for position in _secret_params(body):
        if position < looked:
            continue  # inside a literal already looked at
        start = _unescaped_quote(body, position, backwards=True)
        end = _unescaped_quote(body, position, backwards=False)
        if start < done or end < 0:
            continue
        looked = end + 1
        redacted = _string_redacted(body[start:looked])
        if redacted is not None:
            pieces += [body[done:start], redacted]
            done, count = looked, count + 1
    if not count:
        return body, 0
    pieces.append(body[done:])
    return b"".join(pieces), count


# Writing -----------------------------------------------------------------------------------


def archive_writer(*, platform: str, account_id: str) -> ArchiveWriter:
    """Return a function that stores each response gzipped, with its manifest, by day fetched."""
    counter = itertools.count(1)
    folder = archive_folder(platform=platform, account_id=account_id)

    def write(exchange: Exchange) -> None:
        now = timezone.now().astimezone(dt.UTC)
        body, redactions = body_redacted(exchange.body)
        name = default_storage.save(
            f"{_day_folder(folder, now)}/"
            f"{now:%Y%m%dT%H%M%S%fZ}-{next(counter):05d}-{_safe(exchange.endpoint)}{SUFFIX}",
            ContentFile(gzip.compress(body, mtime=0)),
        )
        manifest = {
            "format": FORMAT,
            "endpoint": exchange.endpoint,
            "fetched_at": now.isoformat(),
            "request": request_redacted(
                method=exchange.method, url=exchange.url, headers=exchange.headers
            ),
            "status": exchange.status,
            "bytes": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
            "redacted_in_body": redactions,
        }
        # Written last: a body without a manifest is one whose write did not finish.
        default_storage.save(
            manifest_name(name),
            ContentFile(json.dumps(manifest, indent=1, ensure_ascii=False).encode()),
        )

    return write


# Reading -----------------------------------------------------------------------------------


class ArchiveUntrusted(Exception):
    """An archived body cannot be trusted; the message says why, after its file name."""


@dataclass(frozen=True)
class ArchivedResponse:
    name: str
    endpoint: str
    body: bytes


def archived_files(*, folder: str, date_from: dt.date, date_to: dt.date) -> list[str]:
    """Return the archive's bodies fetched between two days (UTC), in the order they came."""
    names = []
    day = date_from
    while day <= date_to:
        path = _day_folder(folder, day)
        if default_storage.exists(path):
            _dirs, files = default_storage.listdir(path)
            names += [f"{path}/{name}" for name in sorted(files) if name.endswith(SUFFIX)]
        day += dt.timedelta(days=1)
    return names


def archived_endpoint(name: str) -> str:
    """Return the endpoint an archived file answered (what its parser is chosen by)."""
    return name.rsplit("/", 1)[1].split("-", 2)[2].removesuffix(SUFFIX)


def archived_response(name: str) -> ArchivedResponse:
    """Read an archived body and check it against its manifest; raise ArchiveUntrusted if not.

    No manifest means the body was archived before checksums were kept (when the token was
    replaced as text, which could change figures) or its write did not finish.
    """
    if not default_storage.exists(manifest_name(name)):
        raise ArchiveUntrusted(
            "no manifest: it was archived before Yenni kept checksums (when the token was "
            "replaced as text, which can change figures), or its write did not finish"
        )
    try:
        with default_storage.open(manifest_name(name), "rb") as handle:
            manifest = json.loads(handle.read())
        expected, size = manifest["sha256"], manifest["bytes"]
        if manifest["format"] != FORMAT:
            raise ValueError(f"format {manifest['format']}")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ArchiveUntrusted(f"its manifest cannot be read ({exc})") from exc
    try:
        with default_storage.open(name, "rb") as handle:
            body = gzip.decompress(handle.read())
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ArchiveUntrusted(f"its body cannot be read ({exc})") from exc
    if len(body) != size or hashlib.sha256(body).hexdigest() != expected:
        raise ArchiveUntrusted("its checksum does not match its manifest (changed since archived)")
    return ArchivedResponse(name=name, endpoint=manifest.get("endpoint", ""), body=body)
