"""Lasting effect: do the users a campaign moved stay? Retention and churn hazard by arm."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
import pandas as pd

from useropslib._results import MetricResult, axes_or_new
from useropslib.campaigns._evaluate import evaluation_window, resolve_arms
from useropslib.events import EventsLike
from useropslib.events._query import load, resolve_as_of
from useropslib.exceptions import InsufficientDataError, InvalidParameterError
from useropslib.models import Campaign

__all__ = ["LastingEffect", "lasting_effect"]

_NS_PER_DAY = 86_400 * 10**9


@dataclasses.dataclass(frozen=True, repr=False)
class LastingEffect(MetricResult):
    """Retention and churn hazard of the treated users against the control users.

    Attributes
    ----------
    retention : pandas.DataFrame
        One row per period after the campaign window (index ``period``, 1 = the first
        ``period_days`` days after it): ``control`` and ``treatment`` (share of the arm's users
        with an event in that period), ``difference`` and ``complete`` (the period ended at or
        before ``as_of``).
    hazard : pandas.DataFrame
        The Cox model of time to churn from launch with one covariate, ``treated``:
        ``hazard_ratio``, ``hazard_ratio_lower``, ``hazard_ratio_upper``, ``p`` (from
        :class:`useropslib.churn.ChurnDrivers` on :func:`useropslib.churn.survival_frame`;
        the p-value column as ``ChurnDrivers.summary_`` names it).
        A ratio below 1: treated users churn more slowly.
    params : dict
    as_of : pandas.Timestamp
    """

    retention: pd.DataFrame
    hazard: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Return the retention table (a copy).

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.retention.copy()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Draw both arms' retention by period after the campaign.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import experiment_curves as curve_plot

        r = self.retention
        return curve_plot(
            r.index.to_numpy(float),
            {"control": r["control"].to_numpy(float), "treatment": r["treatment"].to_numpy(float)},
            xlabel="period after the campaign",
            ylabel="share active",
            ax=axes_or_new(ax),
        )


def lasting_effect(
    campaign: Campaign,
    events: EventsLike,
    *,
    as_of: Any = None,
    definition: str = "14D",
    period_days: int = 7,
    periods: int = 4,
    overlap: str = "error",
    assignment: pd.Series | None = None,
) -> LastingEffect:
    """Measure whether the campaign's effect lasts: retention and churn hazard by arm (长期效果).

    Parameters
    ----------
    campaign : Campaign
        With a control group (or ``assignment``).
    events : EventLog, LazyEventLog or DataFrame
    as_of : datetime-like, optional
    definition : ChurnDefinition or str, default "14D"
        The churn definition for the hazard model (see :func:`useropslib.churn.churn_labels`).
    period_days : int, default 7
        Length of a retention period after the campaign window.
    periods : int, default 4
        Periods to show.
    overlap, assignment
        As in :func:`evaluate`.

    Returns
    -------
    LastingEffect

    Raises
    ------
    InvalidParameterError
        As :func:`evaluate`; ``period_days`` or ``periods`` below 1.
    InsufficientDataError
        No period after the window has started by ``as_of``.

    Notes
    -----
    Retention is "on" (active in exactly period k, PostHog's default) over all units of each
    arm. The hazard model restarts each user's clock at the launch (only events from the launch
    on are read), so the hazard ratio compares the arms' churn from the same day; Efron ties, as
    lifelines and R.

    Examples
    --------
    >>> import useropslib as uo
    >>> data = uo.datasets.synthetic_campaign(n_users=3000, lift=0.5, after_days=28, seed=2)
    >>> le = lasting_effect(data.campaign, data.log, periods=2)
    >>> list(le.retention.columns)
    ['control', 'treatment', 'difference', 'complete']
    """
    if not isinstance(period_days, int) or period_days < 1:
        raise InvalidParameterError(
            f"period_days must be a whole number >= 1, got {period_days!r}."
        )
    if not isinstance(periods, int) or periods < 1:
        raise InvalidParameterError(f"periods must be a whole number >= 1, got {periods!r}.")
    log = load(events, all_events=True)
    at = resolve_as_of(log, as_of)
    if at is None:
        raise InsufficientDataError("lasting_effect: the log is empty.")
    start_ns, end_ns = evaluation_window(campaign, log, at.ns)
    codes, treated, _ = resolve_arms(
        log, campaign, start_ns=start_ns, end_ns=end_ns, overlap=overlap, assignment=assignment
    )
    after0 = end_ns + 1
    if after0 > at.ns:
        raise InsufficientDataError(
            "lasting_effect: the campaign window has not ended by as_of, so nothing after it can "
            "be measured yet. Hint: pass a later as_of."
        )
    ts = log.timestamps_ns
    n_users = len(log.users)
    step = period_days * _NS_PER_DAY
    sel = (ts >= after0) & (ts <= at.ns) & (ts < after0 + periods * step)
    k = (ts[sel] - after0) // step
    key = log.user_codes[sel].astype(np.int64) * periods + k
    active = np.zeros(n_users * periods, dtype=bool)
    active[np.unique(key)] = True
    active_u = active.reshape(n_users, periods)[codes]
    rows = []
    for p in range(periods):
        c = float(active_u[~treated, p].mean())
        t = float(active_u[treated, p].mean())
        rows.append(
            {
                "period": p + 1,
                "control": c,
                "treatment": t,
                "difference": t - c,
                "complete": bool(after0 + (p + 1) * step - 1 <= at.ns),
            }
        )
    retention = pd.DataFrame(rows).set_index("period")
    hazard = _hazard(log, codes, treated, start_ns, at.ns, definition)
    return LastingEffect(
        params={
            "campaign": campaign.id,
            "definition": str(definition),
            "period_days": period_days,
            "periods": periods,
            "retention": "on (active in exactly period k)",
        },
        as_of=at.stamp,
        retention=retention,
        hazard=hazard,
    )


def _hazard(
    log: Any, codes: Any, treated: Any, start_ns: int, as_of_ns: int, definition: str
) -> pd.DataFrame:
    from useropslib.churn import ChurnDrivers, survival_frame

    after = log.between(start=pd.Timestamp(start_ns, tz="UTC"))
    ids = log.users[codes]
    cov = pd.DataFrame({"treated": treated.astype(float)}, index=pd.Index(ids, name="user_id"))
    frame = survival_frame(
        after,
        definition,
        as_of=pd.Timestamp(as_of_ns, tz="UTC"),
        covariates=cov,
        early_window=None,
    )
    frame = frame[frame["treated"].notna()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the proportional-hazards check is informative only
        model = ChurnDrivers().fit(frame, covariates=["treated"])
    cols = ["hazard_ratio", "hazard_ratio_lower", "hazard_ratio_upper", "p", "p_value"]
    summary: pd.DataFrame = model.summary_
    out: pd.DataFrame = summary[[c for c in cols if c in summary.columns]]
    return out
