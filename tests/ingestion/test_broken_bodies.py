"""Responses cut off mid-body are fetched again, and a run that still fails says where it stopped.

The fake servers hang up mid-body over real HTTP: a Content-Length that promises more than
comes, or a chunk that ends early. requests reports both as ChunkedEncodingError.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail

from campaigns.models import DailyMetric
from ingestion.connectors.base import Connector, ConnectorError
from ingestion.models import IngestionRun, SyncBookmark
from tests.fakes.server import FailurePlan, FakePlatform, FakeRequest, FakeResponse, FakeServer
from tests.ingestion.conftest import catalog_totals, sync

# Meta's catalog takes calls 1-14 (3 campaign, 5 creative and 5 ad pages of 3, and the one
# insights call that names archived and deleted ads); then each 7-day chunk of insights takes 3
# pages of 40 rows.
CATALOG_CALLS = 14
CALLS_PER_CHUNK = 3


class FakeEcho(FakePlatform):
    """A platform with one endpoint that answers a JSON object of Spanish text."""

    def answer(self, request: FakeRequest) -> FakeResponse:
        # Padded past one TCP segment, so half of it is a real partial read.
        data = [{"name": "Crédito de vivienda — campaña año nuevo", "n": n} for n in range(80)]
        return FakeResponse(200, json.dumps({"data": data}, ensure_ascii=False).encode())

    def auth_error_response(self, request: FakeRequest) -> FakeResponse:
        return FakeResponse(401, b'{"error": "unauthorized"}')


def connector_for(server: FakeServer, **kwargs) -> Connector:
    waits: list[float] = []
    connector = Connector(
        account_id="1", token="t", base_url=server.url, sleep=waits.append, **kwargs
    )
    connector.platform = "Echo"
    connector.waits = waits  # type: ignore[attr-defined]
    return connector


@pytest.mark.parametrize("cut", ["cut_calls", "cut_chunked_calls", "truncate_calls"])
def test_a_body_cut_off_once_is_fetched_again_after_a_backoff_wait(cut):
    platform = FakeEcho(token="t", failures=FailurePlan(**{cut: {1}}))
    with FakeServer(platform) as server:
        connector = connector_for(server)

        payload = connector.request("GET", f"{server.url}/things", endpoint="things")

    assert payload["data"][79] == {"name": "Crédito de vivienda — campaña año nuevo", "n": 79}
    assert (platform.calls, platform.broken_bodies) == (2, 1)
    assert (connector.stats.api_calls, connector.stats.waits) == (2, 1)
    assert 1.0 <= connector.waits[0] <= 2.0  # the first backoff step, as for a timeout


def test_a_body_cut_off_on_every_try_fails_with_the_tries_and_a_plain_reason():
    platform = FakeEcho(token="t", failures=FailurePlan(cut_calls={1, 2, 3}))
    with FakeServer(platform) as server:
        connector = connector_for(server, max_retries=2)

        with pytest.raises(ConnectorError) as failure:
            connector.request("GET", f"{server.url}/things", endpoint="things")

    error = failure.value
    assert error.message == (
        "Echo cut off the things response before its end (ChunkedEncodingError); "
        "gave up after 3 tries"
    )
    assert (error.retryable, error.endpoint, error.tries) == (True, "things", 3)
    assert len(connector.waits) == 2
    assert connector.waits[1] > connector.waits[0] / 2  # backoff grows: up to 2 s, then 4 s


def test_a_meta_sync_whose_responses_are_cut_off_mid_body_matches_the_platform(
    fake_meta, meta_account
):
    fake_meta.failures = FailurePlan(cut_calls={2, 15}, cut_chunked_calls={9, 22})

    run = sync(meta_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert fake_meta.broken_bodies == 4
    assert run.throttle_waits == 4
    assert run.api_calls == fake_meta.calls
    assert catalog_totals(meta_account) == fake_meta.history.totals_by_ad()
    assert DailyMetric.objects.count() == len(fake_meta.history.metrics)


def test_a_run_cut_off_on_every_try_keeps_its_chunks_and_says_where_it_stopped(
    fake_meta, meta_account, settings
):
    settings.INGEST_MAX_RETRIES = 2
    third_chunk = CATALOG_CALLS + 2 * CALLS_PER_CHUNK + 1
    fake_meta.failures = FailurePlan(cut_calls={third_chunk, third_chunk + 1, third_chunk + 2})

    run = sync(meta_account)

    start = run.window_start
    saved_to = start + dt.timedelta(days=13)
    assert run.status == IngestionRun.Status.FAILED
    assert run.error == (
        f"Stopped at insights {start + dt.timedelta(days=14)}–{start + dt.timedelta(days=20)}: "
        "meta cut off the insights response before its end (ChunkedEncodingError); gave up "
        f"after 3 tries. Days up to {saved_to} are saved; the next run continues from there."
    )
    assert SyncBookmark.objects.get(account=meta_account).last_synced_date == saved_to
    days = set(DailyMetric.objects.values_list("date", flat=True))
    assert days == {start + dt.timedelta(days=d) for d in range(14)}
    assert run.created_count > 0
    assert len(mail.outbox) == 1
    assert run.error in mail.outbox[0].body

    fake_meta.failures = FailurePlan()
    resumed = sync(meta_account)

    assert resumed.status == IngestionRun.Status.SUCCEEDED, resumed.error
    assert catalog_totals(meta_account) == fake_meta.history.totals_by_ad()
    assert DailyMetric.objects.count() == len(fake_meta.history.metrics)


def test_a_run_cut_off_while_reading_the_catalog_says_nothing_was_saved(
    fake_meta, meta_account, settings
):
    settings.INGEST_MAX_RETRIES = 1
    fake_meta.failures = FailurePlan(cut_chunked_calls={4, 5})  # the first creatives page

    run = sync(meta_account)

    assert run.status == IngestionRun.Status.FAILED
    assert run.error == (
        "Stopped at adcreatives, before any daily metrics: meta cut off the adcreatives "
        "response before its end (ChunkedEncodingError); gave up after 2 tries. Nothing is "
        "saved yet; the next run starts the back-fill again."
    )
    assert DailyMetric.objects.count() == 0
