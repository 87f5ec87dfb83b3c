"""The prior's weight fitted on each group by marginal maximum likelihood (type-II ML), measured
against the method of moments' strength as it is and not adopted (issue 15; docs/ranking.md,
"Adopted"). `bench/ranking_quality.py --ml-prior` scores it.

The product's priors (each platform's mean and method-of-moments strength) are kept; one
multiplier of every strength is chosen on a log grid from 1/64 to 16 to maximise the passing
pieces' beta-binomial (a share) or gamma-Poisson (a rate) marginal likelihood. The lighter
priors measured by --orders helped a little; this asks whether the data would choose them.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np


def ml_weight(pieces, spec_rule) -> float:
    """The strength multiplier the group's passing pieces make most likely (1 under 5 pieces)."""
    from scipy import special

    from campaigns.ranking.metrics import Model
    from campaigns.ranking.pieces import PieceTable
    from campaigns.ranking.scoring import _average_order_value, _gate, _inputs

    table = PieceTable.from_pieces(sorted(pieces, key=lambda p: p.image_id))
    spec = spec_rule.spec
    cols = table.columns
    aov = _average_order_value(cols)
    passing, _ = _gate(spec, cols, spec_rule)
    if len(passing) < 5:
        return 1.0
    _, inputs = _inputs(
        spec, cols, passing, table.platforms, replace(spec_rule, prior_weight=1.0), aov
    )
    x, n, mu, s0 = inputs.num, inputs.den, inputs.mean, inputs.strength
    keep = (n > 0) & (mu > 0) & (s0 > 0)
    x, n, mu, s0 = x[keep], n[keep], mu[keep], s0[keep]
    weights = np.exp(np.linspace(np.log(1 / 64), np.log(16), 61))
    best, best_ll = 1.0, -np.inf
    for w in weights:
        s = s0 * w
        if spec.model is Model.SHARE:
            mu_c = np.clip(mu, 1e-9, 1 - 1e-9)
            xx = np.minimum(x, n)
            a, b = mu_c * s, (1 - mu_c) * s
            ll = special.betaln(a + xx, b + n - xx) - special.betaln(a, b)
        else:
            shape = mu * s
            ll = (
                special.gammaln(shape + x)
                - special.gammaln(shape)
                + shape * np.log(s)
                - (shape + x) * np.log(s + n)
            )
        total = float(np.sum(ll))
        if total > best_ll:
            best, best_ll = float(w), total
    return best


def ml_candidates(yenni_order) -> dict:
    """Orders with the fitted weight, at the adopted 20th percentile and the interval's end."""

    def fitted(drawn, spec, q=0.20):
        rule = replace(spec, order_quantile=q)
        return yenni_order(drawn, replace(rule, prior_weight=ml_weight(drawn, rule)))

    def fitted05(drawn, spec):
        return fitted(drawn, spec, q=0.05)

    return {"ml q0.20 g:rule": fitted, "ml q0.05 g:rule": fitted05}
