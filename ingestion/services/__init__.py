"""Workflows that write: sync an account from its platform, replay the raw archive, import CSV.

- `runs`: what every run does (start, record how it ended, refresh the ranking, alert);
- `store`: the one chain that saves records (campaigns, creatives, ads, daily metrics);
- `sync`: API syncs (windows, connectors, the queue, one account's run);
- `replay`, `csv_files`: the other two kinds of run;
- `archive`, `creative_images`: the raw archive's files and the creatives' images.

Callers import from `ingestion.services`; the names below are its public surface.
"""

from ingestion.services.archive import archive_folder, archive_writer
from ingestion.services.creative_images import (
    creative_images_sync,
    images_new_queue_description,
)
from ingestion.services.csv_files import CSV_PARSERS, MAX_PROBLEMS_SHOWN, ingestion_csv_import
from ingestion.services.replay import ingestion_replay
from ingestion.services.runs import (
    IngestionError,
    RunTally,
    ingestion_alert_send,
    ranking_tables_refresh,
    run_lifecycle,
    run_start,
)
from ingestion.services.store import (
    METRIC_FIELDS,
    StoredCatalog,
    UpsertCounts,
    ads_upsert,
    campaigns_upsert,
    creatives_upsert,
    daily_metrics_merge,
    daily_metrics_upsert,
    records_store,
)
from ingestion.services.sync import (
    Progress,
    account_yesterday,
    connector_for_account,
    ingestion_run_account,
    ingestion_runs_queue,
    sync_window,
)

__all__ = [
    "CSV_PARSERS",
    "MAX_PROBLEMS_SHOWN",
    "METRIC_FIELDS",
    "IngestionError",
    "Progress",
    "RunTally",
    "StoredCatalog",
    "UpsertCounts",
    "account_yesterday",
    "ads_upsert",
    "archive_folder",
    "archive_writer",
    "campaigns_upsert",
    "connector_for_account",
    "creative_images_sync",
    "creatives_upsert",
    "daily_metrics_merge",
    "daily_metrics_upsert",
    "images_new_queue_description",
    "ingestion_alert_send",
    "ingestion_csv_import",
    "ingestion_replay",
    "ingestion_run_account",
    "ingestion_runs_queue",
    "ranking_tables_refresh",
    "records_store",
    "run_lifecycle",
    "run_start",
    "sync_window",
]
