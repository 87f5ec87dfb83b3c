"""Every conversion type a platform reports is stored; the account's choice decides what counts.

The fakes report per type as the platforms do (tests/fakes/meta.py `meta_actions`, LinkedIn's
result fields, X's web and mobile groups); each day's row keeps them all, and conversions,
their value and leads are counted from them by the account's choice.
"""

from __future__ import annotations

import dataclasses

from campaigns.models import DailyMetric
from ingestion.models import IngestionRun
from tests.fakes.linkedin import DERIVED_FIELDS
from tests.fakes.meta import CUSTOM_CONVERSION, meta_action_values, meta_actions
from tests.ingestion.conftest import sync


def stored(account) -> dict[tuple[str, object], dict]:
    rows = DailyMetric.objects.filter(ad__campaign__account=account).values_list(
        "ad__external_id", "date", "conversion_types"
    )
    return {(ad_id, date): types for ad_id, date, types in rows}


def merged(counts: dict[str, int], values: dict[str, int]) -> dict[str, list]:
    found = {**dict.fromkeys(values, 0), **counts}
    return {name: [found[name], values.get(name, 0)] for name in found}


def test_every_meta_action_type_is_stored_with_its_value(fake_meta, meta_account):
    run = sync(meta_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    expected = {
        (m.ad_id, m.date): merged(meta_actions(m), meta_action_values(m))
        for m in fake_meta.history.metrics
    }
    assert stored(meta_account) == expected
    types = {name for figures in expected.values() for name in figures}
    # The account keeps the list a lead picks from, without reading its rows again.
    meta_account.refresh_from_db()
    assert meta_account.conversion_types_seen == sorted(types)
    # The prefixed duplicates, other conversions, a custom conversion, engagement types.
    assert {
        "omni_purchase",
        "offsite_conversion.fb_pixel_purchase",
        "complete_registration",
        "onsite_conversion.lead_grouped",
        "landing_page_view",
        CUSTOM_CONVERSION,
        "post_engagement",
    } <= types


def test_metas_default_counts_purchases_and_registrations_once_and_leads_apart(
    fake_meta, meta_account
):
    sync(meta_account)

    rows = {
        (ad_id, date): (conversions, value, leads)
        for ad_id, date, conversions, value, leads in DailyMetric.objects.values_list(
            "ad__external_id", "date", "conversions", "conversion_value_micros", "leads"
        )
    }
    assert rows == {
        (m.ad_id, m.date): (float(m.conversions), m.conversion_value_micros, m.leads)
        for m in fake_meta.history.metrics
    }


def test_an_accounts_own_choice_decides_what_a_sync_counts(fake_meta, meta_account):
    meta_account.conversion_types = [CUSTOM_CONVERSION, "landing_page_view"]
    meta_account.lead_types = ["lead_grouped", "lead"]
    meta_account.save()

    sync(meta_account)

    metric = next(m for m in fake_meta.history.metrics if m.clicks % 4 and m.leads)
    row = DailyMetric.objects.get(ad__external_id=metric.ad_id, date=metric.date)
    assert (row.conversions, row.conversion_value_micros, row.leads) == (
        float(metric.clicks % 4 + metric.link_clicks * 2 // 3),
        (metric.clicks % 4) * 20_000_000_000,
        2 * metric.leads,
    )


def test_every_linkedin_result_field_is_stored(fake_linkedin, linkedin_account):
    run = sync(linkedin_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    expected = {}
    for m in fake_linkedin.history.metrics:
        counts = {
            "externalWebsiteConversions": m.conversions,
            "oneClickLeads": m.leads,
            **{name: derive(m) for name, derive in DERIVED_FIELDS.items()},
        }
        values = {"externalWebsiteConversions": m.conversion_value_micros}
        figures = merged(
            {k: v for k, v in counts.items() if v}, {k: v for k, v in values.items() if v}
        )
        if figures:
            expected[(m.ad_id, m.date)] = figures
    found = {key: figures for key, figures in stored(linkedin_account).items() if figures}
    assert found == expected
    assert {name for figures in found.values() for name in figures} == {
        "externalWebsiteConversions",
        "externalWebsitePostClickConversions",
        "externalWebsitePostViewConversions",
        "oneClickLeads",
        "oneClickLeadFormOpens",
        "qualifiedLeads",
    }


def test_a_linkedin_account_may_count_post_click_conversions_and_qualified_leads(
    fake_linkedin, linkedin_account
):
    linkedin_account.conversion_types = ["externalWebsitePostClickConversions"]
    linkedin_account.lead_types = ["qualifiedLeads"]
    linkedin_account.save()

    sync(linkedin_account)

    metric = next(m for m in fake_linkedin.history.metrics if m.conversions > 2 and m.leads > 1)
    row = DailyMetric.objects.get(ad__external_id=metric.ad_id, date=metric.date)
    # LinkedIn's one conversion value goes with the total: post-click alone carries none.
    assert (row.conversions, row.conversion_value_micros, row.leads) == (
        float(metric.conversions - metric.conversions // 3),
        0,
        metric.leads // 2,
    )


def test_every_x_conversion_type_is_stored_web_and_mobile(fake_x, x_account):
    run = sync(x_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    objectives = {c.id: c.objective for c in fake_x.history.campaigns}
    expected = {}
    for m in fake_x.history.metrics:
        split = fake_x.conversion_split(m, objectives[m.campaign_id])
        figures = merged(
            {name: count for name, count in split.items() if count},
            {"conversion_purchases": m.conversion_value_micros}
            if m.conversion_value_micros
            else {},
        )
        expected[(m.ad_id, m.date)] = figures
    assert stored(x_account) == expected
    types = {name for figures in expected.values() for name in figures}
    assert {"conversion_site_visits", "mobile_conversion_installs"} <= types


def test_a_record_without_a_breakdown_keeps_the_figures_it_carries(fake_meta, meta_account):
    """A CSV export has no types: its conversions stay as the file said, whatever the choice."""
    from ingestion.connectors.records import DailyMetricRecord, Parsed
    from ingestion.services import UpsertCounts, records_store

    sync(meta_account)
    metric = fake_meta.history.metrics[0]
    meta_account.conversion_types = ["landing_page_view"]
    meta_account.save()
    record = DailyMetricRecord(
        ad_external_id=metric.ad_id,
        campaign_external_id=metric.campaign_id,
        date=metric.date,
        impressions=10,
        conversions=7.0,
        conversion_value_micros=5_000_000,
        leads=2,
    )

    records_store(account=meta_account, records=Parsed(metrics=[record]), counts=UpsertCounts())

    row = DailyMetric.objects.get(ad__external_id=metric.ad_id, date=metric.date)
    assert (row.conversions, row.conversion_value_micros, row.leads) == (7.0, 5_000_000, 2)
    assert row.conversion_types is None


def test_a_changed_count_of_one_type_is_written_and_nothing_else(fake_meta, meta_account):
    sync(meta_account)
    history = fake_meta.history
    index = len(history.metrics) - 1
    revised = dataclasses.replace(history.metrics[index], clicks=history.metrics[index].clicks + 1)
    history.metrics[index] = revised

    run = sync(meta_account)

    # Only the custom conversion (clicks % 4) and clicks moved, on one row.
    assert (run.created_count, run.updated_count) == (0, 1)
    row = DailyMetric.objects.get(ad__external_id=revised.ad_id, date=revised.date)
    assert row.conversion_types.get(CUSTOM_CONVERSION, [0])[0] == revised.clicks % 4
