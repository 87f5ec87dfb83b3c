"""Record every write to the daily metrics for the ranking's freshness check (issue 15).

The coverage stamp (the highest daily-metric id the ranking tables count) sees new rows only:
a deleted row, a changed figure, or a row another transaction had numbered but not committed
while the tables were built went unnoticed, and rankings answered with stale figures.

Triggers on the daily metric table now add a `RankingPending` row per account × node × creative
that an INSERT, UPDATE or DELETE touched; a refresh deletes the rows it covers before reading the
metrics, and a ranking whose node has pending rows says the tables are behind. Why triggers:
they are exact whatever path wrote (the store, a raw ORM delete, an ad deleted with its rows,
SQL in a shell), cost one small insert per statement on PostgreSQL (statement-level, reading
the transition table) and an index probe per changed or deleted row on SQLite (row-level,
skipping a key already pending; new rows there are left to the id stamp, exact with one
writer at a time), and need no read of the history at ranking time. A per-account row count and
checksum would be exact only by summing millions of rows per brief; counting deletions in the
store's own delete paths would miss every other path. Campaigns without a node and ads without
a creative are left out: ranking never reads them. TRUNCATE (the demo's reset) is not
recorded: the demo rebuilds the tables whole after loading.
"""

from django.db import migrations, models

PENDING = "campaigns_rankingpending"
METRICS = "campaigns_dailymetric"

# PostgreSQL: one function per kind of statement, reading the statement's transition tables.
_PG_TOUCHED = """
    INSERT INTO {pending} (account_id, node_id, creative_id)
    SELECT DISTINCT c.account_id, c.node_id, a.creative_id
    FROM ({rows}) m
    JOIN campaigns_ad a ON a.id = m.ad_id
    JOIN campaigns_campaign c ON c.id = a.campaign_id
    WHERE c.node_id IS NOT NULL AND a.creative_id IS NOT NULL;
"""
POSTGRESQL_FORWARD = [
    f"""
    CREATE FUNCTION campaigns_dailymetric_written() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_PG_TOUCHED.format(pending=PENDING, rows="SELECT ad_id FROM written_rows")}
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE FUNCTION campaigns_dailymetric_updated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {
        _PG_TOUCHED.format(
            pending=PENDING,
            rows="SELECT ad_id FROM old_rows UNION SELECT ad_id FROM new_rows",
        )
    }
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE TRIGGER campaigns_dailymetric_inserted AFTER INSERT ON {METRICS}
    REFERENCING NEW TABLE AS written_rows
    FOR EACH STATEMENT EXECUTE FUNCTION campaigns_dailymetric_written()
    """,
    f"""
    CREATE TRIGGER campaigns_dailymetric_deleted AFTER DELETE ON {METRICS}
    REFERENCING OLD TABLE AS written_rows
    FOR EACH STATEMENT EXECUTE FUNCTION campaigns_dailymetric_written()
    """,
    f"""
    CREATE TRIGGER campaigns_dailymetric_changed AFTER UPDATE ON {METRICS}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION campaigns_dailymetric_updated()
    """,
]
POSTGRESQL_BACKWARD = [
    f"DROP TRIGGER IF EXISTS campaigns_dailymetric_inserted ON {METRICS}",
    f"DROP TRIGGER IF EXISTS campaigns_dailymetric_deleted ON {METRICS}",
    f"DROP TRIGGER IF EXISTS campaigns_dailymetric_changed ON {METRICS}",
    "DROP FUNCTION IF EXISTS campaigns_dailymetric_written()",
    "DROP FUNCTION IF EXISTS campaigns_dailymetric_updated()",
]


# SQLite: row-level triggers; one writer at a time, so a key already pending is skipped.
def _sqlite_touched(row: str) -> str:
    return f"""
        INSERT INTO {PENDING} (account_id, node_id, creative_id)
        SELECT c.account_id, c.node_id, a.creative_id
        FROM campaigns_ad a JOIN campaigns_campaign c ON c.id = a.campaign_id
        WHERE a.id = {row}.ad_id AND c.node_id IS NOT NULL AND a.creative_id IS NOT NULL
            AND NOT EXISTS (
                SELECT 1 FROM {PENDING} p WHERE p.creative_id = a.creative_id
                    AND p.node_id = c.node_id AND p.account_id = c.account_id
            );
    """


# No INSERT trigger on SQLite: it doubled the demo's metric load (46,084 rows: 0.7–0.9 s
# without, 1.3–1.7 s with), and the id stamp is already exact there: one writer at a time,
# ids only grow, so a row committed after a refresh read the top id has a higher one.
SQLITE_FORWARD = [
    f"CREATE TRIGGER campaigns_dailymetric_deleted AFTER DELETE ON {METRICS} "
    f"BEGIN {_sqlite_touched('OLD')} END",
    f"CREATE TRIGGER campaigns_dailymetric_changed AFTER UPDATE ON {METRICS} "
    f"BEGIN {_sqlite_touched('OLD')} {_sqlite_touched('NEW')} END",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS campaigns_dailymetric_{kind}"
    for kind in ("inserted", "deleted", "changed")
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in statements:
            raise RuntimeError(f"No ranking-freshness triggers written for {vendor}.")
        for statement in statements[vendor]:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0011_scaled_minimums"),
    ]

    operations = [
        migrations.CreateModel(
            name="RankingPending",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("account_id", models.BigIntegerField(verbose_name="account")),
                ("node_id", models.BigIntegerField(verbose_name="node")),
                ("creative_id", models.BigIntegerField(verbose_name="creative")),
            ],
            options={
                "verbose_name": "pending ranking change",
                "verbose_name_plural": "pending ranking changes",
                "indexes": [
                    models.Index(fields=["node_id", "account_id"], name="ranking_pending_node"),
                    models.Index(
                        fields=["creative_id", "node_id"], name="ranking_pending_creative"
                    ),
                ],
            },
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRESQL_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
