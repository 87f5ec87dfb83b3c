"""A nonparametric prior, measured against the product's method-of-moments beta / gamma and
not adopted (issue 15; docs/ranking.md, "The statistics"). `bench/ranking_quality.py --grid`
scores it.

Each piece's rate is its platform's pooled rate × a relative rate θ. The prior on θ is fitted
on the group's pieces by nonparametric maximum likelihood (Kiefer–Wolfowitz: weights on a
log-spaced grid, by EM) instead of a two-parameter beta or gamma, so its shape follows the
group: heavy right tails, several clusters. The posterior of each piece is then exact on the
grid. No gate: every piece with exposure is ranked.

`shape="lognormal"` replaces the free weights by a log-normal θ, its μ and σ fitted by marginal
likelihood (the demo draws its qualities log-normally: the shape the best achievable knows);
`"lognormal-1d"` fits σ alone with θ's mean 1 (the pooled rate); `"lognormal-mom"` takes σ from
the product's method of moments (cv² of the rate net of sampling noise, σ² = log(1 + cv²)).
Measured, not adopted either (docs/ranking.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# θ from 1/64 to 64 times the platform's pooled rate, about 5 % apart.
GRID = np.exp(np.linspace(np.log(1 / 64), np.log(64), 161))
EM_ITERATIONS = 400
# A platform needs this many pieces for a pooled rate of its own (as the product's priors).
MIN_PLATFORM_PIECES = 5


def grid_order(
    pieces: Sequence,
    metric: str,
    *,
    within_platform: bool,
    tail: float | None,
    shape: str = "npmle",
):
    """Image ids, best first, by each piece's posterior θ: its mean (`tail` None) or its
    quantile at lower tail `tail` (0.05: the conservative end of a 90 % interval)."""
    from campaigns.ranking.metrics import METRICS, Model

    spec = METRICS[metric]
    events = np.array([p.value(spec.numerator) for p in pieces], dtype=float)
    exposure = np.array([p.value(spec.denominator) for p in pieces], dtype=float)
    if spec.model is Model.YIELD:
        # Value in units of the group's average order value, as the product counts it.
        conversions = float(sum(p.conversions for p in pieces))
        total = float(events.sum())
        events = events / (total / conversions if conversions > 0 and total > 0 else 1.0)
    share = spec.model is Model.SHARE
    if share:
        events = np.minimum(events, exposure)
    typical = _typical_rates(events, exposure, [p.platforms for p in pieces], within_platform)
    log_lik = _log_likelihood(events, exposure, typical, share)
    if shape == "npmle":
        weights = _npmle(log_lik)
    elif shape == "lognormal-mom":
        weights = _lognormal_moments(events, exposure, typical, share)
    else:
        weights = _lognormal(log_lik, mean_one=shape == "lognormal-1d")
    posterior = weights * np.exp(log_lik - log_lik.max(axis=1, keepdims=True))
    posterior /= posterior.sum(axis=1, keepdims=True)
    mean = posterior @ GRID
    if tail is None:
        score = mean
    else:
        first = np.argmax(np.cumsum(posterior, axis=1) >= tail, axis=1)
        score = GRID[first] + 1e-9 * mean  # pieces on the same grid point: by their mean
    # Every model's θ is "higher is better": a cost's θ is its events per spend.
    score = np.where(exposure > 0, score, -np.inf)
    order = sorted(range(len(pieces)), key=lambda i: (-score[i], pieces[i].image_id))
    return [pieces[i].image_id for i in order]


def _typical_rates(events, exposure, platforms, within_platform: bool) -> np.ndarray:
    """Each piece's pooled rate: its platform set's, else the group's."""
    group = events.sum() / exposure.sum() if exposure.sum() > 0 else 1.0
    keys = [own if within_platform else () for own in platforms]
    typical = np.full(len(keys), group if group > 0 else 1.0)
    for key in set(keys):
        at = np.array([k == key for k in keys])
        den = exposure[at].sum()
        rate = events[at].sum() / den if den > 0 else 0.0
        if at.sum() >= MIN_PLATFORM_PIECES and rate > 0:
            typical[at] = rate
    return typical


def _log_likelihood(events, exposure, typical, share: bool) -> np.ndarray:
    """log P(events | θ) per piece (rows) and grid point (columns), up to a row constant."""
    rate = typical[:, None] * GRID[None, :]
    if share:
        rate = np.clip(rate, 1e-12, 1 - 1e-9)
        ll = events[:, None] * np.log(rate) + (exposure - events)[:, None] * np.log1p(-rate)
    else:
        mu = np.maximum(rate * exposure[:, None], 1e-300)
        ll = events[:, None] * np.log(mu) - mu
    return np.where(exposure[:, None] > 0, ll, 0.0)


def _npmle(log_lik: np.ndarray) -> np.ndarray:
    """The grid weights maximising the pieces' marginal likelihood, by EM from uniform."""
    likelihood = np.exp(log_lik - log_lik.max(axis=1, keepdims=True))
    weights = np.full(likelihood.shape[1], 1.0 / likelihood.shape[1])
    for _ in range(EM_ITERATIONS):
        mixture = np.maximum(likelihood @ weights, 1e-300)
        weights = weights * (likelihood.T @ (1.0 / mixture)) / likelihood.shape[0]
    return weights


def _lognormal(log_lik: np.ndarray, mean_one: bool = False) -> np.ndarray:
    """Grid weights of the log-normal θ (log θ ~ N(μ, σ²)) maximising the pieces' marginal
    likelihood, over a grid of μ and σ: two parameters, so no spikes where a few pieces sit.
    `mean_one`: μ = −σ²/2 (θ's mean is the pooled rate), σ alone fitted."""
    likelihood = np.exp(log_lik - log_lik.max(axis=1, keepdims=True))
    log_grid = np.log(GRID)
    best, best_weights = -np.inf, None
    pairs = [
        (-0.5 * sigma * sigma if mean_one else mu, sigma)
        for mu in ([0.0] if mean_one else np.linspace(-1.0, 0.5, 31))
        for sigma in np.linspace(0.05, 1.5, 30)
    ]
    for mu, sigma in pairs:
        weights = np.exp(-0.5 * ((log_grid - mu) / sigma) ** 2)
        weights /= weights.sum()
        total = float(np.log(np.maximum(likelihood @ weights, 1e-300)).sum())
        if total > best:
            best, best_weights = total, weights
    return best_weights


def _lognormal_moments(events, exposure, typical, share: bool) -> np.ndarray:
    """Per piece, the log-normal θ with the product's method-of-moments spread: for the pieces
    sharing a pooled rate m, the between-piece variance of the rate net of sampling noise, over
    m² (cv²); σ² = log(1 + cv²), μ = −σ²/2 (θ's mean 1)."""
    log_grid = np.log(GRID)
    weights = np.zeros((len(events), len(GRID)))
    for m in np.unique(typical):
        at = (typical == m) & (exposure > 0)
        d, n = exposure[at], events[at]
        unit = m * (1 - m) if share else m
        between = (np.sum(d * (n / d - m) ** 2) - unit * len(d)) / d.sum() if len(d) > 1 else 0
        cv2 = max(between / (m * m), 1e-4)
        sigma2 = np.log1p(cv2)
        row = np.exp(-0.5 * (log_grid + sigma2 / 2) ** 2 / sigma2)
        weights[typical == m] = row / row.sum()
    return weights + 1e-300
