"""Calendar arithmetic shared by the rollup, the ranking and the library.

The weekly rollup keys each week by its Monday, and a ranking rule's window is a number of days
ending on a date. Every read of the rollup turns dates into those Mondays the same way, here, so
a window, a library period and the prebuilt window totals always count the same weeks.
"""

from __future__ import annotations

import datetime as dt


def week_monday(day: dt.date) -> dt.date:
    """Return the Monday of the week `day` falls in (the rollup's key for that week)."""
    return day - dt.timedelta(days=day.weekday())


def window_first_day(*, window_days: int, as_of: dt.date) -> dt.date:
    """Return the first day of a window of `window_days` days that ends on `as_of`."""
    return as_of - dt.timedelta(days=window_days - 1)


def window_weeks(*, window_days: int, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """Return the Mondays of the first and last weeks a window ending on `as_of` counts."""
    return week_monday(window_first_day(window_days=window_days, as_of=as_of)), week_monday(as_of)
