"""The indexes a brief's ranking reads through on PostgreSQL (issue 15, speed).

On the 10M-row history the planner read a node's campaigns whole (a sequential scan, 0.65 ms
of the freshness check's 0.86) to list its accounts, and a window's piece series through the
node's foreign-key index, filtering out every other objective's series (6,943 rows, 1 ms of
the read's 2.1). Each now has an index that answers it alone: the plans below must use them
(sequential scans discouraged, as the planner does on a table of real size).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from campaigns.calendar import window_weeks
from campaigns.models import Objective
from campaigns.ranking.selectors import ranking_behind, series_window_figures
from tests.factories import make_node, make_traffic_catalog

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans"),
]

DAY = dt.date(2026, 9, 7)


@pytest.fixture
def catalog(db, media_storage):
    node = make_node(name="Wompi", slug="wompi")
    make_traffic_catalog(node=node, day=DAY, png_seed=40, pieces=3)
    # A second node whose campaigns and series a read of Wompi's must not walk through.
    make_traffic_catalog(node=make_node(name="Plink", slug="plink"), day=DAY, png_seed=60)
    return node


def _plan_of_last_query(run) -> str:
    with CaptureQueriesContext(connection) as queries:
        run()
    sql = queries.captured_queries[-1]["sql"]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_freshness_check_lists_a_nodes_accounts_from_the_node_account_index(catalog):
    plan = _plan_of_last_query(lambda: ranking_behind(node=catalog))

    assert "Index Only Scan using campaign_node_account_idx on campaigns_campaign" in plan, plan


def test_a_windows_piece_series_are_sought_by_node_and_objective_together(catalog):
    week_from, week_to = window_weeks(window_days=28, as_of=DAY + dt.timedelta(days=10))

    plan = _plan_of_last_query(
        lambda: series_window_figures(
            node=catalog, objective=Objective.TRAFFIC, week_from=week_from, week_to=week_to
        )
    )

    # Whichever index the planner takes, it must seek the node × objective: the window's own
    # or the unique key (node, objective, platform, piece), never the node alone.
    series_scan = plan.split(" on campaigns_pieceseries s ")[1].splitlines()
    assert series_scan[1].strip().startswith("Index Cond: ((node_id = "), plan
    assert "objective" in series_scan[1], plan
    # The node's foreign-key index (every objective's series) is gone: nothing reads it.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'campaigns_pieceseries' "
            "ORDER BY indexname"
        )
        indexes = [row[0] for row in cursor.fetchall()]
    assert indexes == [
        "campaigns_pieceseries_pkey",
        "piece_series_piece_idx",
        "piece_series_unique_key",
        "piece_series_window_idx",
    ]
