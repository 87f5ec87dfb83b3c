"""Every week of a piece series' span gets a cumulative row, with the series' node and objective
(issue 15, speed).

A brief's window read looked up, per series, "the last row before the window" (an index
descent and a heap fetch each: 10 ms inside PostgreSQL on the largest brief of the 10M-row
history). With a row for every week, the edge row is the row *at* the week before the window,
and with node and objective on the row the whole edge is one range of a covering index
(node, objective, week): 4 ms. The rows already built are kept and completed here, in SQL of
this migration's own (a week without results carries the sums of the week before), so no
refresh is needed after upgrading.
"""

import django.db.models.deletion
from django.db import migrations, models

FIGURES = (
    "active_days, impressions, clicks, link_clicks, spend_reporting_micros, conversions, "
    "conversion_value_reporting_micros, leads, video_views, engagements"
)


def complete_weeks(apps, schema_editor):
    connection = schema_editor.connection
    next_week = "week + 7" if connection.vendor == "postgresql" else "date(week, '+7 days')"
    prior = ", ".join(f"p.{name.strip()}" for name in FIGURES.split(","))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE campaigns_pieceweek SET "
            "node_id = (SELECT s.node_id FROM campaigns_pieceseries s "
            "WHERE s.id = campaigns_pieceweek.series_id), "
            "objective = (SELECT s.objective FROM campaigns_pieceseries s "
            "WHERE s.id = campaigns_pieceweek.series_id)"
        )
        cursor.execute(
            f"""
            INSERT INTO campaigns_pieceweek (series_id, node_id, objective, week, {FIGURES})
            WITH RECURSIVE weeks(week) AS (
                SELECT MIN(first_week) FROM campaigns_pieceseries
                UNION ALL
                SELECT {next_week} FROM weeks
                WHERE week < (SELECT MAX(last_week) FROM campaigns_pieceseries)
            )
            SELECT s.id, s.node_id, s.objective, k.week, {prior}
            FROM campaigns_pieceseries s
            JOIN weeks k ON k.week > s.first_week AND k.week < s.last_week
            JOIN campaigns_pieceweek p ON p.series_id = s.id AND p.week = (
                SELECT MAX(b.week) FROM campaigns_pieceweek b
                WHERE b.series_id = s.id AND b.week < k.week
            )
            WHERE NOT EXISTS (
                SELECT 1 FROM campaigns_pieceweek w WHERE w.series_id = s.id AND w.week = k.week
            )
            """
        )
        if connection.vendor == "postgresql":
            # Check the deferred foreign keys now: PostgreSQL refuses the ALTER TABLE below
            # while their trigger events are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0012_ranking_pending_changes"),
    ]

    operations = [
        migrations.AddField(
            model_name="pieceweek",
            name="node",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="campaigns.node",
            ),
        ),
        migrations.AddField(
            model_name="pieceweek",
            name="objective",
            field=models.CharField(
                choices=[
                    ("awareness", "Awareness"),
                    ("traffic", "Traffic"),
                    ("engagement", "Engagement"),
                    ("leads", "Leads"),
                    ("conversion", "Conversion"),
                    ("other", "Other"),
                ],
                default="",
                max_length=20,
                verbose_name="objective",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(complete_weeks, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="pieceweek",
            name="node",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="campaigns.node",
            ),
        ),
        migrations.AddIndex(
            model_name="pieceweek",
            index=models.Index(
                fields=["node", "objective", "week"],
                include=[
                    "series",
                    "active_days",
                    "impressions",
                    "clicks",
                    "link_clicks",
                    "spend_reporting_micros",
                    "conversions",
                    "conversion_value_reporting_micros",
                    "leads",
                    "video_views",
                    "engagements",
                ],
                name="piece_week_edge_idx",
            ),
        ),
    ]
