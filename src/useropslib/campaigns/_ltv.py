"""Lifetime value of a campaign's converted users, for LTV:CAC in :func:`evaluate`.

BG/NBD (purchase counts) with Gamma-Gamma (spend per purchase), fitted through the churn
module's public estimators on every purchaser of the log up to ``as_of``, averaged over the
converted treated users; when the models cannot be fitted or do not converge, the fallback is
the cumulative revenue per user at the oldest age of the log's cohort LTV curve
(``metrics.ltv_curve``), said with a :class:`~useropslib.exceptions.ConvergenceWarning`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from useropslib.events import EventLog, EventsLike
from useropslib.exceptions import ConvergenceWarning, UseropsError

__all__ = ["model_ltv"]


def model_ltv(
    log: EventLog,
    users: pd.Index,
    *,
    purchase_event: Sequence[str],
    as_of: pd.Timestamp,
    cohorts: EventsLike | None = None,
    months: int = 12,
    discount_rate: float = 0.01,
) -> tuple[float, str]:
    """Return the mean lifetime value of ``users`` and the method that gave it.

    Parameters
    ----------
    log : EventLog
        Purchases with values.
    users : pandas.Index
        The users whose value is averaged (the converted treated users).
    purchase_event : sequence of str
        The purchase events.
    as_of : pandas.Timestamp
        End of the observed history.
    cohorts : EventLog, LazyEventLog or DataFrame, optional
        The whole log, for the fallback's cohorts (each user's first event); default ``log``.
    months : int, default 12
        Horizon of the BG/NBD + Gamma-Gamma value.
    discount_rate : float, default 0.01
        Monthly discount rate.

    Returns
    -------
    (float, str)
        The value and ``"bgnbd_gamma_gamma"`` or ``"ltv_curve"``.
    """
    from useropslib.churn import BetaGeoModel, GammaGammaModel, rfm_summary

    reason = ""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            summary = rfm_summary(
                log, purchase_event=list(purchase_event), as_of=as_of, monetary=True, period="W"
            )
            bg = BetaGeoModel().fit(summary)
            gg = GammaGammaModel().fit(summary)
            mine = summary.reindex(users).dropna()
            clv = gg.customer_lifetime_value(
                bg, mine, time=months, discount_rate=discount_rate, time_unit="W"
            )
        value = float(np.mean(np.asarray(clv, dtype=np.float64))) if len(mine) else math.nan
        bad = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
        if bad:
            reason = str(bad[0].message)
        elif not math.isfinite(value):
            reason = "the predicted value is not finite"
        else:
            return value, "bgnbd_gamma_gamma"
    except UseropsError as exc:
        reason = str(exc)
    from useropslib.metrics import ltv_curve

    source = log if cohorts is None else cohorts
    curve = ltv_curve(source, purchase_event=list(purchase_event), as_of=as_of).curve.dropna()
    fallback = float(curve.iloc[-1]) if len(curve) else math.nan
    warnings.warn(
        f"evaluate: the BG/NBD + Gamma-Gamma lifetime value did not converge ({reason}); "
        f"LTV falls back to the cohort ltv_curve (cumulative revenue per user at age "
        f"{len(curve) - 1}: {fallback:.4g}). Hint: evaluate on a longer purchase history, or "
        "pass ltv= as a number.",
        ConvergenceWarning,
        stacklevel=3,
    )
    return fallback, "ltv_curve"
