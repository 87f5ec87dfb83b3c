"""Alerts go out through a real SMTP server (aiosmtpd) configured the way EMAIL_URL configures it.

Django's test runner swaps in the in-memory backend; these tests put the SMTP backend back with
the settings `yenni_site.mail_settings` makes from an EMAIL_URL.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from ingestion.models import IngestionRun, SyncBookmark
from tests.fakes.server import FailurePlan
from tests.ingestion.conftest import sync
from yenni_site.mail_settings import email_server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mailbox:
    """What the SMTP server received: messages and the logins it accepted."""

    messages: list = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd names it so
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, message))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login = (auth_data.login.decode(), auth_data.password.decode())
        self.logins.append(login)
        return AuthResult(success=login == ("alertas@banco.co", "clave-nandu-2026"))


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=mailbox.authenticate,
        auth_require_tls=False,  # plain SMTP on loopback; TLS is a setting, tested on its own
    )
    controller.start()
    yield mailbox, port
    controller.stop()


def use_email_url(settings, url: str, **parts: str) -> None:
    """Configure Django's e-mail as settings.py does from EMAIL_URL and YENNI_EMAIL_*."""
    server = email_server(url=url, **parts)
    settings.EMAIL_BACKEND = server.backend
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = server.user, server.password
    settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = server.use_tls, server.use_ssl
    settings.EMAIL_TIMEOUT = server.timeout
    settings.DEFAULT_FROM_EMAIL = server.from_address


def test_a_failed_run_is_alerted_through_the_smtp_server_with_what_to_do(
    fake_meta, meta_account, smtp_server, settings
):
    mailbox, port = smtp_server
    use_email_url(
        settings,
        f"smtp://alertas%40banco.co@127.0.0.1:{port}/?from=Yenni%20%3Calertas%40banco.co%3E",
        password="clave-nandu-2026",
    )
    settings.INGEST_ALERT_EMAILS = ["mercadeo@banco.co", "ops@banco.co"]
    fake_meta.failures = FailurePlan(expired_token=True)

    run = sync(meta_account)

    assert run.status == IngestionRun.Status.FAILED
    assert mailbox.logins == [("alertas@banco.co", "clave-nandu-2026")]
    [(sender, recipients, message)] = mailbox.messages
    assert sender == "alertas@banco.co"
    assert recipients == ["mercadeo@banco.co", "ops@banco.co"]
    assert message["Subject"] == "[Yenni] Ingestion failed: Tu360 Compras Meta (Meta)"
    body = message.get_content()
    assert f"Ingestion run #{run.pk} of account “Tu360 Compras Meta” (Meta act_1001)" in body
    assert f"Error: {run.error}" in body
    assert "What to do: fix what the error names" in body
    assert "python manage.py ingest --account act_1001" in body
    assert f"/admin/ingestion/ingestionrun/{run.pk}/change/" in body


def test_the_alert_says_up_to_which_day_the_account_is_saved(
    fake_meta, meta_account, smtp_server, settings
):
    mailbox, port = smtp_server
    use_email_url(settings, f"smtp://127.0.0.1:{port}")
    sync(meta_account)
    saved = SyncBookmark.objects.get(account=meta_account).last_synced_date
    fake_meta.failures = FailurePlan(expired_token=True)

    sync(meta_account)

    [(_, _, message)] = mailbox.messages
    assert f"it continues from the bookmark (saved up to {saved})" in message.get_content()


def test_a_dead_smtp_server_leaves_the_run_as_it_ended_and_logs_why(
    fake_meta, meta_account, settings, caplog
):
    use_email_url(settings, f"smtp://127.0.0.1:{free_port()}")  # nothing listens there
    fake_meta.failures = FailurePlan(expired_token=True)

    with caplog.at_level(logging.ERROR, logger="ingestion.services.runs"):
        run = sync(meta_account)

    run.refresh_from_db()
    assert run.status == IngestionRun.Status.FAILED
    assert "“Tu360 Compras Meta”" in run.error  # the token's error, nothing about the e-mail
    assert "mail" not in run.error.lower()
    assert run.finished_at is not None
    [record] = [r for r in caplog.records if "alert" in r.getMessage()]
    assert record.getMessage().startswith(
        f"Could not e-mail the alert for ingestion run {run.pk} to ops@example.co through "
        f"127.0.0.1:{settings.EMAIL_PORT}: ConnectionRefusedError"
    )


def test_an_smtp_server_that_never_answers_times_out_and_the_run_still_ends(
    fake_meta, meta_account, settings, caplog
):
    with socket.socket() as silent:  # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        use_email_url(settings, f"smtp://127.0.0.1:{silent.getsockname()[1]}/?timeout=1")
        fake_meta.failures = FailurePlan(expired_token=True)

        with caplog.at_level(logging.ERROR, logger="ingestion.services.runs"):
            run = sync(meta_account)

    assert run.status == IngestionRun.Status.FAILED
    messages = [r.getMessage() for r in caplog.records if "alert" in r.getMessage()]
    assert len(messages) == 1
    assert messages[0].endswith("SMTPServerDisconnected: Connection unexpectedly closed: timed out")
