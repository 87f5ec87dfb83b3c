"""E-mail settings from the environment: EMAIL_URL, and YENNI_EMAIL_* for single parts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from yenni_site.mail_settings import EmailServer, email_server

REPO = Path(__file__).resolve().parent.parent
SMTP = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"


def test_with_nothing_set_alerts_go_to_the_console_log_not_to_a_missing_local_server():
    assert email_server() == EmailServer(backend=CONSOLE)


def test_an_smtp_url_with_starttls_and_an_escaped_user_and_password():
    server = email_server(url="smtp://alertas%40banco.co:p%40ss%2Fw0rd%25@smtp.banco.co:587/?tls=1")

    assert server == EmailServer(
        backend=SMTP,
        host="smtp.banco.co",
        port=587,
        user="alertas@banco.co",
        password="p@ss/w0rd%",
        use_tls=True,
    )


@pytest.mark.parametrize(
    ("url", "port", "use_tls", "use_ssl"),
    [
        ("smtp://mail.banco.co", 25, False, False),
        ("smtp+tls://mail.banco.co", 587, True, False),
        ("smtp+ssl://mail.banco.co", 465, False, True),
        ("smtps://mail.banco.co", 465, False, True),
        ("smtp://mail.banco.co/?ssl=true", 465, False, True),
        ("smtp+ssl://mail.banco.co:2465", 2465, False, True),
    ],
)
def test_each_scheme_picks_its_encryption_and_usual_port(url, port, use_tls, use_ssl):
    server = email_server(url=url)

    assert (server.host, server.port, server.use_tls, server.use_ssl) == (
        "mail.banco.co",
        port,
        use_tls,
        use_ssl,
    )


def test_the_url_gives_the_sender_and_the_timeout():
    server = email_server(
        url="smtp://mail.banco.co/?from=Yenni%20%3Calertas%40banco.co%3E&timeout=4"
    )

    assert (server.from_address, server.timeout) == ("Yenni <alertas@banco.co>", 4)


def test_the_yenni_email_variables_set_single_parts_and_win_over_the_url():
    server = email_server(
        url="smtp://alertas@mail.banco.co:25/",
        password="secreto-del-almacen",
        port="2525",
        use_tls="yes",
        from_address="Yenni Ad <no-responder@banco.co>",
    )

    assert server == EmailServer(
        backend=SMTP,
        host="mail.banco.co",
        port=2525,
        user="alertas",
        password="secreto-del-almacen",
        use_tls=True,
        from_address="Yenni Ad <no-responder@banco.co>",
    )


def test_the_variables_alone_configure_a_server():
    server = email_server(host="smtp.banco.co", user="u", password="p", use_ssl="1")

    assert (server.backend, server.host, server.port, server.use_ssl) == (
        SMTP,
        "smtp.banco.co",
        465,
        True,
    )


def test_a_console_url_writes_alerts_to_the_log():
    assert email_server(url="console://").backend == CONSOLE


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"url": "https://u:secreto@mail.banco.co"},
            "EMAIL_URL must start with smtp://, smtp+tls://, smtp+ssl://, smtps:// or console://"
            " (got https://…)",
        ),
        (
            {"url": "smtp://u:secreto@mail.banco.co/?tls=1&ssl=1"},
            "E-mail can use STARTTLS (tls) or SSL (ssl), not both.",
        ),
        ({"url": "smtp://u:secreto@:587"}, "EMAIL_URL names no host."),
        ({"url": "smtp://mail.banco.co", "port": "veinticinco"}, "YENNI_EMAIL_PORT"),
        ({"url": "smtp://mail.banco.co:99999"}, "EMAIL_URL has an invalid port"),
        ({"url": "smtp://mail.banco.co/?tls=quizá"}, "tls in EMAIL_URL must be"),
        ({"host": "mail.banco.co", "use_tls": "quizá"}, "YENNI_EMAIL_USE_TLS must be"),
        (
            {"url": "smtp://alertas:secreto-ñandú@mail.banco.co"},
            "The e-mail user and password must be ASCII: Python's SMTP client sends no other "
            "characters. Choose an ASCII password for Yenni's mail account.",
        ),
    ],
)
def test_a_wrong_setting_is_refused_by_name_without_showing_the_password(kwargs, message):
    with pytest.raises(ImproperlyConfigured) as refused:
        email_server(**kwargs)

    assert message in str(refused.value)
    assert "secreto" not in str(refused.value)


PRINT_EMAIL = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({name: getattr(settings, name) for name in [
    "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_TIMEOUT", "DEFAULT_FROM_EMAIL", "SERVER_EMAIL"]}))
"""


def _print_email(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "yenni_site.settings",
        "YENNI_DATA_DIR": str(tmp_path),
        "YENNI_SECRET_KEY": "k",
        **variables,
    }
    return subprocess.run(
        [sys.executable, "-c", PRINT_EMAIL], cwd=REPO, env=env, capture_output=True, text=True
    )


def _settings_with(tmp_path: Path, **variables: str) -> dict:
    result = _print_email(tmp_path, **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_settings_read_email_url_and_the_yenni_email_variables(tmp_path):
    values = _settings_with(
        tmp_path,
        EMAIL_URL="smtp+ssl://alertas%40banco.co@smtp.banco.co/?timeout=7",
        YENNI_EMAIL_PASSWORD="clave-nandu-2026",
        YENNI_EMAIL_FROM="Yenni Ad <alertas@banco.co>",
    )

    assert values == {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": "smtp.banco.co",
        "EMAIL_PORT": 465,
        "EMAIL_HOST_USER": "alertas@banco.co",
        "EMAIL_HOST_PASSWORD": "clave-nandu-2026",
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": True,
        "EMAIL_TIMEOUT": 7,
        "DEFAULT_FROM_EMAIL": "Yenni Ad <alertas@banco.co>",
        "SERVER_EMAIL": "Yenni Ad <alertas@banco.co>",
    }


def test_the_settings_with_no_email_variable_use_the_console(tmp_path):
    values = _settings_with(tmp_path)

    assert values["EMAIL_BACKEND"] == CONSOLE
    assert values["EMAIL_TIMEOUT"] == 10
    assert values["DEFAULT_FROM_EMAIL"] == "Yenni Ad <yenni@localhost>"


def test_a_wrong_email_url_stops_the_settings_with_its_name(tmp_path):
    result = _print_email(tmp_path, EMAIL_URL="smpt://u:secreto@mail.banco.co")

    assert result.returncode == 1
    assert "ImproperlyConfigured: EMAIL_URL must start with smtp://" in result.stderr
    assert "secreto" not in result.stderr
