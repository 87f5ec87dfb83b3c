"""The 95 % intervals the library's pages print beside a figure, and why each is honest.

- A day's CTR on the creative page is a proportion: the Wilson interval, which stays sensible at
  0 clicks and on days with few impressions.
- An attribute's lift on the insights page is a pooled ratio of sums (Σ clicks / Σ impressions
  of the pieces with the attribute, over the same for every piece): a delta-method interval that
  treats pieces, not impressions, as the sampling unit (impressions of one piece are not
  independent draws).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Two-sided 95 %: the normal quantile used by the Wilson and delta-method intervals.
Z95 = 1.959963984540054
# An attribute value needs this many pieces before its figure is shown: fewer pieces make an
# interval so wide (or a ratio so lucky) that it would only mislead.
MIN_PIECES = 10


def wilson_interval(successes: float, trials: float, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion: honest at 0 clicks and on small days."""
    if trials <= 0:
        return None
    p = min(successes, trials) / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    # At p = 0 or 1 one bound is exactly 0 or 1; rounding would leave 1e-17 or 0.9999999999999999.
    low = 0.0 if p == 0 else max(0.0, centre - half)
    high = 1.0 if p == 1 else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class Lift:
    """How a group of pieces compares with the whole population, as a pooled ratio."""

    n: int
    value: float | None  # group metric / population metric − 1; None: not enough data
    low: float | None
    high: float | None
    group_metric: float | None


def pooled_lift(
    tops: np.ndarray, bottoms: np.ndarray, mask: np.ndarray, *, min_pieces: int = MIN_PIECES
) -> Lift:
    """The group's pooled ratio over the population's, minus one, with a 95 % interval.

    Delta method on log(ratio), pieces as the sampling unit: each piece's influence is
    mask·(a/ΣA_g − b/ΣB_g) − (a/ΣA − b/ΣB); these sum to zero, so their variance across the
    n pieces is n/(n−1)·Σz². The interval is symmetric on the log scale, never below −100 %.
    """
    n_group = int(mask.sum())
    n = len(tops)
    top_g, bottom_g = float(tops[mask].sum()), float(bottoms[mask].sum())
    top_all, bottom_all = float(tops.sum()), float(bottoms.sum())
    group_metric = top_g / bottom_g if bottom_g > 0 else None
    if n_group < min_pieces or n < 2 or min(top_g, bottom_g, top_all, bottom_all) <= 0:
        return Lift(n=n_group, value=None, low=None, high=None, group_metric=group_metric)
    ratio = (top_g / bottom_g) / (top_all / bottom_all)
    influence = mask * (tops / top_g - bottoms / bottom_g) - (tops / top_all - bottoms / bottom_all)
    se = math.sqrt(n / (n - 1) * float(np.sum(influence**2)))
    log_ratio = math.log(ratio)
    return Lift(
        n=n_group,
        value=ratio - 1,
        low=math.exp(log_ratio - Z95 * se) - 1,
        high=math.exp(log_ratio + Z95 * se) - 1,
        group_metric=group_metric,
    )
