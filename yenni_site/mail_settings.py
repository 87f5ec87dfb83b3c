"""Django's e-mail settings from EMAIL_URL and the YENNI_EMAIL_* variables.

EMAIL_URL holds the whole server in one value, e.g. `smtp://user:password@host:587/?tls=1`,
`smtp+ssl://user:password@host` (port 465) or `console://`; user and password are
percent-encoded (`@` as `%40`). A YENNI_EMAIL_* variable sets one part and wins over the URL's,
so the password can come from a secret store while the rest stays in the URL. With nothing
set, alerts go to the console log: the embedded default has no mail server to fail against.

Parsed with urllib.parse rather than dj-email-url: that package has had no release since
2022, and the grammar needed here fits in this module, with errors that name the variable
and never echo the password.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

SMTP = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"
# Scheme → (STARTTLS, implicit TLS).
SCHEMES = {
    "smtp": (False, False),
    "smtp+tls": (True, False),
    "smtp+ssl": (False, True),
    "smtps": (False, True),
}
TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@dataclass(frozen=True)
class EmailServer:
    backend: str
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    # Seconds before an unanswering server is given up: an alert must never hang a run.
    timeout: int = 10
    from_address: str = "Yenni Ad <yenni@localhost>"


def _flag(value: str, name: str) -> bool | None:
    """Read a yes/no value; None when it is empty (unset)."""
    text = value.strip().lower()
    if not text:
        return None
    if text in TRUE | FALSE:
        return text in TRUE
    raise ImproperlyConfigured(f"{name} must be 1/true/yes/on or 0/false/no/off, got {value!r}.")


def _number(value: str, name: str) -> int | None:
    if not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}.") from None


def _url_parts(url: str) -> dict:
    """The parts EMAIL_URL sets; raise ImproperlyConfigured naming what is wrong."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "console":
        return {"backend": CONSOLE}
    if scheme not in SCHEMES:
        raise ImproperlyConfigured(
            "EMAIL_URL must start with smtp://, smtp+tls://, smtp+ssl://, smtps:// or console:// "
            f"(got {scheme}://…)."
        )
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL has an invalid port.") from None
    if not parts.hostname:
        raise ImproperlyConfigured("EMAIL_URL names no host.")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    use_tls, use_ssl = SCHEMES[scheme]
    found = {
        "backend": SMTP,
        "host": parts.hostname,
        "port": port,
        "user": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "use_tls": _flag(query.get("tls", ""), "tls in EMAIL_URL") or use_tls,
        "use_ssl": _flag(query.get("ssl", ""), "ssl in EMAIL_URL") or use_ssl,
        "timeout": _number(query.get("timeout", ""), "timeout in EMAIL_URL"),
        "from_address": query.get("from", ""),
    }
    return {key: value for key, value in found.items() if value not in (None, "")}


def email_server(
    *,
    url: str = "",
    host: str = "",
    port: str = "",
    user: str = "",
    password: str = "",
    use_tls: str = "",
    use_ssl: str = "",
    from_address: str = "",
    timeout: str = "",
) -> EmailServer:
    """The e-mail server from EMAIL_URL and the YENNI_EMAIL_* values (raw text, "" = unset)."""
    parts = _url_parts(url) if url.strip() else {}
    single = {
        "host": host.strip(),
        "port": _number(port, "YENNI_EMAIL_PORT"),
        "user": user,
        "password": password,
        "use_tls": _flag(use_tls, "YENNI_EMAIL_USE_TLS"),
        "use_ssl": _flag(use_ssl, "YENNI_EMAIL_USE_SSL"),
        "from_address": from_address.strip(),
        "timeout": _number(timeout, "YENNI_EMAIL_TIMEOUT"),
    }
    parts.update({key: value for key, value in single.items() if value not in (None, "")})
    if "host" in parts and "backend" not in parts:
        parts["backend"] = SMTP
    parts.setdefault("backend", CONSOLE)
    if not (parts.get("user", "") + parts.get("password", "")).isascii():
        raise ImproperlyConfigured(
            "The e-mail user and password must be ASCII: Python's SMTP client sends no other "
            "characters. Choose an ASCII password for Yenni's mail account."
        )
    if parts.get("use_tls") and parts.get("use_ssl"):
        raise ImproperlyConfigured("E-mail can use STARTTLS (tls) or SSL (ssl), not both.")
    if parts["backend"] == SMTP and "port" not in parts:
        parts["port"] = 465 if parts.get("use_ssl") else 587 if parts.get("use_tls") else 25
    return EmailServer(**parts)
