"""Mondays and windows (campaigns.calendar): the weeks the rollup, rankings and library count."""

from __future__ import annotations

import datetime as dt

from campaigns.calendar import week_monday, window_first_day, window_weeks

MONDAY = dt.date(2026, 3, 2)


def test_every_day_of_a_week_belongs_to_its_monday():
    for offset in range(7):
        assert week_monday(MONDAY + dt.timedelta(days=offset)) == MONDAY
    assert week_monday(MONDAY - dt.timedelta(days=1)) == MONDAY - dt.timedelta(days=7)


def test_a_window_of_one_day_starts_and_ends_on_that_day():
    assert window_first_day(window_days=1, as_of=MONDAY) == MONDAY
    assert window_first_day(window_days=90, as_of=MONDAY) == MONDAY - dt.timedelta(days=89)


def test_a_window_counts_every_week_it_touches():
    sunday = MONDAY + dt.timedelta(days=6)

    assert window_weeks(window_days=7, as_of=sunday) == (MONDAY, MONDAY)
    # Eight days ending on a Sunday reach back into the week before.
    assert window_weeks(window_days=8, as_of=sunday) == (MONDAY - dt.timedelta(days=7), MONDAY)
    # Across a year's end: 2026-01-01 is a Thursday, its Monday is in 2025.
    assert window_weeks(window_days=3, as_of=dt.date(2026, 1, 1)) == (
        dt.date(2025, 12, 29),
        dt.date(2025, 12, 29),
    )
