"""`ingest --check`: ask each active account's platform its cheapest question, write nothing.

One call per account (Meta `GET act_{id}`, Google a one-row GAQL on `customer`, LinkedIn
`adAccounts/{id}`, X `accounts/{id}`) tells whether the token works, the account is readable
and the API version in use is still answered, before a run finds out halfway.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from campaigns.models import AdAccount
from ingestion.connectors import connector_class
from ingestion.connectors.base import AuthError, Connector, ConnectorError, VersionError
from ingestion.connectors.versions import versions_of
from ingestion.models import SyncBookmark
from ingestion.services.runs import IngestionError, account_label
from ingestion.services.sync import connector_for_account

# A version this close to its sunset is named in the check's output.
SUNSET_WARNING_DAYS = 90
# A check must answer quickly: few retries, a short ceiling on waits.
CHECK_MAX_RETRIES = 2
CHECK_MAX_WAIT_SECONDS = 30


@dataclass(frozen=True)
class AccountCheckResult:
    platform: str
    account: str
    version: str
    ok: bool
    # What works ("token works; reads …") or what failed, in the platform's words.
    summary: str
    # What to do about a failure, or a note on a working account (a version near its sunset).
    advice: str = ""


def accounts_to_check(
    *, platform: str | None = None, account_external_id: str | None = None
) -> QuerySet[AdAccount]:
    accounts = AdAccount.objects.filter(active=True).select_related("platform")
    if platform:
        accounts = accounts.filter(platform__slug=platform)
    if account_external_id:
        accounts = accounts.filter(external_id=account_external_id)
    slugs = [slug for slug in accounts.values_list("platform__slug", flat=True).distinct()]
    with_connector = [slug for slug in slugs if connector_class(slug) is not None]
    return accounts.filter(platform__slug__in=with_connector).order_by("platform__slug", "name")


def account_check(*, account: AdAccount, today: dt.date | None = None) -> AccountCheckResult:
    """Call the account's cheapest endpoint; never raises for a platform failure."""
    today = today or dt.datetime.now(dt.UTC).date()
    slug = account.platform.slug
    label = account_label(account)
    bookmark = SyncBookmark.objects.filter(account=account).first() or SyncBookmark(account=account)
    connector: Connector | None = None
    try:
        connector = connector_for_account(account=account, bookmark=bookmark)
        # Nothing of a check goes to the raw archive: a replay must not meet it.
        connector.archive = None
        connector.max_retries = min(connector.max_retries, CHECK_MAX_RETRIES)
        connector.max_wait_seconds = min(connector.max_wait_seconds, CHECK_MAX_WAIT_SECONDS)
        found = connector.account_check()
    except (ConnectorError, IngestionError) as exc:
        version = connector.version if connector is not None else _configured_version(slug)
        summary, advice = _failure(exc, connector)
        return AccountCheckResult(slug, label, version, False, summary, advice)
    facts = ", ".join(part for part in (found.status, found.currency) if part)
    summary = f"token works; reads “{found.name or account.external_id}”"
    if facts:
        summary += f" ({facts})"
    return AccountCheckResult(
        slug, label, connector.version, True, summary, _sunset_note(connector, today)
    )


def _failure(exc: Exception, connector: Connector | None) -> tuple[str, str]:
    """Split a failure into what happened and what to do."""
    if isinstance(exc, AuthError) and exc.detail is not None and connector is not None:
        return f"token refused: {exc.detail.summary()}", connector.token_advice()
    if isinstance(exc, ConnectorError) and exc.retryable and not isinstance(exc, VersionError):
        return str(exc), "The platform did not answer properly; run the check again later."
    # A missing token, a sunset version, a missing permission: the message says what to set.
    return str(exc), ""


def _configured_version(slug: str) -> str:
    versions = versions_of(slug)
    return settings.INGEST_API_VERSIONS.get(slug, "") or (versions.default if versions else "")


def _sunset_note(connector: Connector, today: dt.date) -> str:
    versions = connector.versions
    if versions is None:
        return ""
    sunset = versions.sunset_of(connector.version)
    if sunset is None or (sunset - today).days > SUNSET_WARNING_DAYS:
        return ""
    newer = [name for name in versions.supported(today=today) if name != connector.version]
    return (
        f"{versions.label} answers {connector.version} until {sunset.isoformat()} "
        f"({(sunset - today).days} days): set {versions.version_setting} to a newer version "
        f"({', '.join(newer[-3:])}) or leave it empty for Yenni's default, {versions.default}."
    )
