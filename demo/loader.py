"""Write a demo history plan into the catalog, and wipe the catalog for a fresh one.

The plan (`demo.history`, `demo.plan`) is plain data; this module is the only part of the demo
that touches the database and storage. Images go through `creative_image_store`, campaigns get
their nodes through `node_mapping_apply`, as real ingestion does; only the daily metrics take a
shortcut (COPY on PostgreSQL, raw `executemany` on SQLite), because 10 million ORM objects
would take an hour and all the memory. The weekly rollup that ranking reads is rebuilt at the
end, as after an ingestion run.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q

from campaigns.models import (
    DAILY_METRIC_FIGURES,
    Ad,
    AdAccount,
    Campaign,
    DailyMetric,
    ExchangeRate,
    Node,
    NodeMappingRule,
    Platform,
)
from campaigns.rollups import image_rollup_refresh
from campaigns.services import node_mapping_apply
from creatives.models import Creative, CreativeImage, CreativeImageSlot
from creatives.services import creative_image_store
from demo import cast
from demo.artwork import draw
from demo.metrics import (
    EXCHANGE_RATE_SOURCE,
    MetricChunk,
    simulate_daily_metrics,
    usd_cop_rates,
)
from demo.plan import HistoryPlan
from demo.truth import true_quality_document
from yenni_site.progress import Progress

METRIC_COLUMNS = ("ad_id", "date", *DAILY_METRIC_FIGURES)


@dataclass(frozen=True)
class DemoLoadResult:
    campaigns: int
    ads: int
    creatives: int
    images: int
    metric_rows: int
    exchange_rates: int
    truth_path: Path


def demo_truth_path() -> Path:
    return Path(settings.DATA_DIR) / "demo" / "true_quality.json"


def demo_catalog_campaign_count() -> int:
    return Campaign.objects.count()


def demo_catalog_wipe() -> int:
    """Delete the catalog and the demo's own reference rows; return how many images went.

    Campaigns, ads, metrics, creatives and images go whoever made them; accounts, nodes,
    mapping rules and exchange rates only where the demo made them. Image files are deleted
    once the transaction commits, so a failed wipe leaves every row with its file.
    """
    file_names = list(CreativeImage.objects.values_list("file", flat=True))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # DELETE of 10 million rows takes minutes; TRUNCATE is instant. It refuses to run
            # while deferred foreign-key checks from earlier writes in the same transaction
            # are pending, so those are checked first.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f'TRUNCATE TABLE "{DailyMetric._meta.db_table}"')
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            DailyMetric.objects.all().delete()
        Ad.objects.all().delete()
        Campaign.objects.all().delete()
        CreativeImageSlot.objects.all().delete()
        Creative.objects.all().delete()
        CreativeImage.objects.all().delete()
        NodeMappingRule.objects.filter(notes__startswith=cast.DEMO_NOTE).delete()
        ExchangeRate.objects.filter(source=EXCHANGE_RATE_SOURCE).delete()
        demo_accounts = Q()
        for account in cast.ACCOUNTS:
            demo_accounts |= Q(platform__slug=account.platform, external_id=account.external_id)
        AdAccount.objects.filter(demo_accounts).delete()
        Node.objects.filter(slug__in=cast.NODE_SLUGS).delete()
        transaction.on_commit(lambda: _delete_files(file_names))
    return len(file_names)


def _delete_files(names: list[str]) -> None:
    for name in names:
        if name:
            default_storage.delete(name)


def demo_history_load(*, plan: HistoryPlan, progress: Progress | None = None) -> DemoLoadResult:
    """Write `plan` into an empty catalog, then the hidden truth file beside the data."""
    progress = progress or Progress()
    with transaction.atomic():
        nodes = _save_nodes(plan)
        accounts = _save_accounts(plan, nodes)
        _save_rules(plan, nodes, accounts)
        rates = _save_exchange_rates(plan)
        image_ids, sha256s = _save_images(plan, progress)
        progress.stage("catalog", 3)
        creative_ids = _save_creatives(plan, image_ids)
        progress.advance()
        campaigns = _save_campaigns(plan, accounts, nodes)
        progress.advance()
        ad_ids = _save_ads(plan, campaigns, creative_ids)
        progress.advance()
        progress.done(f"{len(campaigns):,} campaigns, {len(ad_ids):,} ads")
        rows = _save_metrics(plan, np.array(ad_ids, dtype=np.int64), progress)
        _analyze_written_tables()
        # Ranking reads the weekly per-image rollup, not the daily rows: build it as ingestion
        # would after a sync.
        progress.stage("rollup", 1)
        rollup_rows = image_rollup_refresh()
        progress.done(f"{rollup_rows:,} weekly rows")
    truth_path = demo_truth_path()
    _write_json(truth_path, true_quality_document(plan, sha256s))
    return DemoLoadResult(
        campaigns=len(campaigns),
        ads=len(ad_ids),
        creatives=len(creative_ids),
        images=len(set(image_ids)),
        metric_rows=rows,
        exchange_rates=rates,
        truth_path=truth_path,
    )


def _save_nodes(plan: HistoryPlan) -> dict[str, Node]:
    nodes = {}
    for spec in plan.nodes:
        node, _ = Node.objects.update_or_create(
            slug=spec.slug,
            defaults={"name": spec.name, "description": spec.description, "active": True},
        )
        nodes[spec.slug] = node
    return nodes


def _save_accounts(plan: HistoryPlan, nodes: dict[str, Node]) -> list[AdAccount]:
    # Platforms come from the migration; a missing one means migrations have not run.
    platforms = {platform.slug: platform for platform in Platform.objects.all()}
    accounts = []
    for spec in plan.accounts:
        account, _ = AdAccount.objects.update_or_create(
            platform=platforms[spec.platform],
            external_id=spec.external_id,
            defaults={
                "name": spec.name,
                "currency": spec.currency,
                "time_zone": "America/Bogota",
                # Demo accounts have no tokens: the daily sync leaves them alone.
                "active": False,
                "default_node": nodes[spec.default_node] if spec.default_node else None,
            },
        )
        accounts.append(account)
    return accounts


def _save_rules(plan: HistoryPlan, nodes: dict[str, Node], accounts: list[AdAccount]) -> None:
    NodeMappingRule.objects.filter(notes__startswith=cast.DEMO_NOTE).delete()
    NodeMappingRule.objects.bulk_create(
        NodeMappingRule(
            node=nodes[rule.node],
            account=accounts[rule.account] if rule.account is not None else None,
            campaign_name_pattern=rule.pattern,
            pattern_kind=rule.pattern_kind,
            priority=rule.priority,
            notes=rule.notes,
        )
        for rule in plan.rules
    )


def _save_exchange_rates(plan: HistoryPlan) -> int:
    ExchangeRate.objects.filter(source=EXCHANGE_RATE_SOURCE).delete()
    reporting = settings.YENNI_REPORTING_CURRENCY
    currencies = {account.currency for account in plan.accounts} - {reporting}
    rates = usd_cop_rates(plan.parameters)
    rows = []
    for currency in sorted(currencies):
        for date, cop_per_usd in rates:
            rate = _rate(currency, reporting, cop_per_usd)
            rows.append(
                ExchangeRate(
                    currency=currency,
                    reporting_currency=reporting,
                    date=date,
                    rate=rate,
                    source=EXCHANGE_RATE_SOURCE,
                )
            )
    # A rate someone already entered for a day wins over the demo's.
    ExchangeRate.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def _rate(currency: str, reporting: str, cop_per_usd: float) -> Decimal:
    """Units of `reporting` per unit of `currency`, for the demo's two currencies."""
    if currency == "USD" and reporting == "COP":
        return Decimal(f"{cop_per_usd:.2f}")
    if currency == "COP" and reporting == "USD":
        return Decimal(f"{1 / cop_per_usd:.8f}")
    raise ValueError(f"The demo only knows USD and COP, not {currency}→{reporting}.")


def _save_images(plan: HistoryPlan, progress: Progress) -> tuple[list[int], list[str]]:
    progress.stage("images", len(plan.images), "images")
    image_ids: list[int] = []
    sha256s: list[str] = []
    seen: set[str] = set()
    for index, spec in enumerate(plan.images):
        art = spec.art
        data = draw(art)
        # Two specs drawing the same pixels would make one image, not two: nudge the details.
        while hashlib.sha256(data).hexdigest() in seen:
            art = replace(art, detail_seed=art.detail_seed + 1)
            data = draw(art)
        first_day, _ = plan.image_days[index]
        image, _ = creative_image_store(
            data=data, source_url=spec.source_url, seen_on=plan.date(first_day)
        )
        seen.add(image.sha256)
        image_ids.append(image.pk)
        sha256s.append(image.sha256)
        progress.advance()
    CreativeImage.objects.bulk_update(
        [
            CreativeImage(pk=pk, last_seen=plan.date(last_day))
            for pk, (_, last_day) in zip(image_ids, plan.image_days, strict=True)
        ],
        ["last_seen"],
        batch_size=500,
    )
    progress.done()
    return image_ids, sha256s


def _save_creatives(plan: HistoryPlan, image_ids: list[int]) -> list[int]:
    creatives = Creative.objects.bulk_create(
        (
            Creative(
                platform=spec.platform,
                external_id=spec.external_id,
                name=spec.name,
                headline=spec.headline,
                body=spec.body,
                call_to_action=spec.call_to_action,
                landing_url=spec.landing_url,
            )
            for spec in plan.creatives
        ),
        batch_size=1000,
    )
    CreativeImageSlot.objects.bulk_create(
        (
            CreativeImageSlot(creative=creative, image_id=image_ids[image], position=position)
            for creative, spec in zip(creatives, plan.creatives, strict=True)
            for position, image in enumerate(spec.images)
        ),
        batch_size=1000,
    )
    return [creative.pk for creative in creatives]


def _save_campaigns(
    plan: HistoryPlan, accounts: list[AdAccount], nodes: dict[str, Node]
) -> list[Campaign]:
    campaigns = Campaign.objects.bulk_create(
        (
            Campaign(
                account=accounts[spec.account],
                external_id=spec.external_id,
                name=spec.name,
                objective_raw=spec.objective_raw,
                objective=spec.objective,
                status=spec.status,
                start_date=plan.date(spec.first_day),
                end_date=None if spec.running else plan.date(spec.last_day),
            )
            for spec in plan.campaigns
        ),
        batch_size=1000,
    )
    # Nodes come from the accounts' defaults and the rules, as for ingested campaigns.
    node_mapping_apply(campaigns=campaigns)
    for campaign, spec in zip(campaigns, plan.campaigns, strict=True):
        if campaign.node_id != nodes[spec.node].pk:
            raise RuntimeError(
                f"Campaign {campaign.name!r} was mapped to node {campaign.node_id}, but the "
                f"demo meant {spec.node!r}: the demo's rules and names disagree."
            )
    return campaigns


def _save_ads(plan: HistoryPlan, campaigns: list[Campaign], creative_ids: list[int]) -> list[int]:
    ads = Ad.objects.bulk_create(
        (
            Ad(
                campaign=campaigns[spec.campaign],
                external_id=spec.external_id,
                name=spec.name,
                status=spec.status,
                creative_id=creative_ids[spec.creative],
                start_date=plan.date(spec.first_day),
                end_date=None if spec.running else plan.date(spec.last_day),
            )
            for spec in plan.ads
        ),
        batch_size=1000,
    )
    return [ad.pk for ad in ads]


def _save_metrics(plan: HistoryPlan, ad_ids: np.ndarray, progress: Progress) -> int:
    progress.stage("metrics", plan.ad_days, "ad-days")
    dates = [plan.date(day).isoformat() for day in range(plan.parameters.days)]
    write = _copy_chunk if connection.vendor == "postgresql" else _insert_chunk
    rows = 0
    for chunk in simulate_daily_metrics(plan):
        write(_chunk_rows(chunk, ad_ids, dates))
        rows += len(chunk)
        progress.advance(chunk.ad_days)
    progress.done(f"{rows:,} daily rows")
    return rows


def _chunk_rows(chunk: MetricChunk, ad_ids: np.ndarray, dates: list[str]) -> list[tuple]:
    """Turn a chunk's arrays into row tuples in METRIC_COLUMNS order (Python ints and floats)."""
    return list(
        zip(
            ad_ids[chunk.ad].tolist(),
            [dates[day] for day in chunk.day.tolist()],
            chunk.impressions.tolist(),
            chunk.reach.tolist(),
            chunk.clicks.tolist(),
            chunk.link_clicks.tolist(),
            chunk.spend_micros.tolist(),
            chunk.conversions.tolist(),
            chunk.conversion_value_micros.tolist(),
            chunk.leads.tolist(),
            chunk.video_views.tolist(),
            chunk.engagements.tolist(),
            strict=True,
        )
    )


def _insert_chunk(rows: list[tuple]) -> None:
    table = DailyMetric._meta.db_table
    columns = ", ".join(f'"{column}"' for column in METRIC_COLUMNS)
    placeholders = ", ".join(["%s"] * len(METRIC_COLUMNS))
    with connection.cursor() as cursor:
        cursor.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({placeholders})', rows)


def _copy_chunk(rows: list[tuple]) -> None:
    table = DailyMetric._meta.db_table
    columns = ", ".join(f'"{column}"' for column in METRIC_COLUMNS)
    with connection.cursor() as cursor:
        raw = cursor.connection  # the psycopg 3 connection under Django's wrapper
        with (
            raw.cursor() as copy_cursor,
            copy_cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row(row)


def _analyze_written_tables() -> None:
    """Give PostgreSQL statistics for the tables just filled.

    Autovacuum has not seen them yet, and without statistics the rollup's join over the daily
    rows picks nested loops: about five times slower at the default size.
    """
    if connection.vendor != "postgresql":
        return
    models = (DailyMetric, Ad, Campaign, Creative, CreativeImageSlot, CreativeImage, ExchangeRate)
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')


def _write_json(path: Path, document: dict) -> None:
    """Write atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1, sort_keys=True, ensure_ascii=False)
        handle.write("\n")
    os.replace(temporary, path)
