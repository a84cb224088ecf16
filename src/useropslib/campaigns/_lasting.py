"""Lasting effect: do the users a campaign moved stay? Retention and churn hazard by arm."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Collection
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib._results import MetricResult, axes_or_new
from useropslib.campaigns._evaluate import evaluation_window, resolve_arms
from useropslib.events import EventLog, EventsLike
from useropslib.events._query import load, resolve_as_of
from useropslib.exceptions import InsufficientDataError, InvalidParameterError
from useropslib.models import Campaign, DateLike, NewUsersSpec

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
        Empty (same columns) for an acquisition campaign without a control group.
    acquired : pandas.DataFrame or None
        Acquisition campaigns only: the users the campaign brought against the organic signups
        of the same window, by period after each user's signup (index ``period``):
        ``acquired``, ``organic`` (share active in exactly that period among the users whose
        period had ended by ``as_of``), ``difference``, ``acquired_users``, ``organic_users``
        (those users).
    acquired_hazard : pandas.DataFrame or None
        Acquisition campaigns only: the Cox model of time to churn with the one covariate
        ``acquired`` (1 = brought by the campaign), columns as ``hazard``.
    params : dict
    as_of : pandas.Timestamp
    """

    retention: pd.DataFrame
    hazard: pd.DataFrame
    acquired: pd.DataFrame | None = None
    acquired_hazard: pd.DataFrame | None = None

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
    as_of: DateLike | None = None,
    definition: str = "14D",
    period_days: int = 7,
    periods: int = 4,
    overlap: str = "error",
    assignment: pd.Series | None = None,
    acquired: Collection[Any] | None = None,
    attribution: str = "campaign",
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
    acquired : collection of user ids, optional
        Acquisition campaigns: the users the campaign brought. Default: the new users of the
        window whose signup event carries ``attribution`` = the campaign's id.
    attribution : str, default "campaign"
        The signup event's property naming the campaign that brought the user.

    Returns
    -------
    LastingEffect

    Raises
    ------
    InvalidParameterError
        As :func:`evaluate`; ``period_days`` or ``periods`` below 1; an acquisition campaign
        whose log has no ``attribution`` property when ``acquired`` is not given.
    InsufficientDataError
        No period after the window has started by ``as_of``; an acquisition campaign with no
        acquired or no organic new user in its window.

    Notes
    -----
    Retention is "on" (active in exactly period k, PostHog's default) over all units of each
    arm. The hazard model starts every arm user's clock at the launch (only events from the
    launch on are read, and the campaign's own ``message_sent`` / ``message_delivered`` events are
    not activity), so the hazard ratio compares the arms' churn from the same day, users who
    never came back included in both arms; Efron ties, as lifelines and R.

    For an acquisition campaign (``type="acquisition"``) the users it brought are also
    compared with the organic signups of the same window (new users: their first signup event,
    the primary goal's ``NewUsersSpec`` event, else their first event, falls in the window):
    retention "on" by period after each user's own signup, and a Cox hazard ratio of
    ``acquired`` (churn clock from the window's start). This is the quality-of-acquired-users
    comparison of the practice (cost per acquired user against their quality); without a
    control group only this comparison is made.

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
    after0 = end_ns + 1
    if after0 > at.ns:
        raise InsufficientDataError(
            "lasting_effect: the campaign window has not ended by as_of, so nothing after it can "
            "be measured yet. Hint: pass a later as_of."
        )
    organic = organic_hazard = None
    is_acquisition = campaign.type == "acquisition"
    if is_acquisition:
        organic, organic_hazard = _against_organic(
            log,
            campaign,
            start_ns=start_ns,
            end_ns=end_ns,
            as_of_ns=at.ns,
            acquired=acquired,
            attribution=attribution,
            step=period_days * _NS_PER_DAY,
            periods=periods,
            definition=definition,
        )
        if campaign.control is None and assignment is None:
            empty = pd.DataFrame(columns=["control", "treatment", "difference", "complete"])
            return LastingEffect(
                params=_params(campaign, definition, period_days, periods),
                as_of=at.stamp,
                retention=empty.rename_axis("period"),
                hazard=organic_hazard.iloc[0:0],
                acquired=organic,
                acquired_hazard=organic_hazard,
            )
    codes, treated, _ = resolve_arms(
        log, campaign, start_ns=start_ns, end_ns=end_ns, overlap=overlap, assignment=assignment
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
    hazard = _hazard(log, codes, treated, start_ns, at.ns, definition, anchor=True)
    return LastingEffect(
        params=_params(campaign, definition, period_days, periods),
        as_of=at.stamp,
        retention=retention,
        hazard=hazard,
        acquired=organic,
        acquired_hazard=organic_hazard,
    )


def _params(campaign: Campaign, definition: Any, period_days: int, periods: int) -> dict[str, Any]:
    return {
        "campaign": campaign.id,
        "definition": str(definition),
        "period_days": period_days,
        "periods": periods,
        "retention": "on (active in exactly period k)",
    }


def _against_organic(
    log: EventLog,
    campaign: Campaign,
    *,
    start_ns: int,
    end_ns: int,
    as_of_ns: int,
    acquired: Collection[Any] | None,
    attribution: str,
    step: int,
    periods: int,
    definition: Any,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Retention by period since signup and Cox hazard: acquired users against organic ones."""
    n_users = len(log.users)
    ts = log.timestamps_ns
    new, is_acq, first = new_user_groups(
        log,
        campaign,
        start_ns=start_ns,
        end_ns=end_ns,
        as_of_ns=as_of_ns,
        acquired=acquired,
        attribution=attribution,
    )
    # "on" retention by period since each new user's own signup
    is_new = np.zeros(n_users, dtype=bool)
    is_new[new] = True
    sel = is_new[log.user_codes] & (ts <= as_of_ns)
    u = log.user_codes[sel].astype(np.int64)
    k = (ts[sel] - first[u]) // step
    ok = (k >= 1) & (k <= periods)
    active = np.zeros((n_users, periods + 1), dtype=bool)
    active[u[ok], k[ok]] = True
    out = []
    for p in range(1, periods + 1):
        done = first[new] + (p + 1) * step - 1 <= as_of_ns
        shares = {}
        for name, grp in (("acquired", is_acq), ("organic", ~is_acq)):
            users = new[grp & done]
            shares[name] = float(active[users, p].mean()) if users.size else np.nan
            shares[f"{name}_users"] = int(users.size)
        out.append(
            {
                "period": p,
                "acquired": shares["acquired"],
                "organic": shares["organic"],
                "difference": shares["acquired"] - shares["organic"],
                "acquired_users": shares["acquired_users"],
                "organic_users": shares["organic_users"],
            }
        )
    table = pd.DataFrame(out).set_index("period")
    hazard = _hazard(
        log, new.astype(np.int64), is_acq, start_ns, as_of_ns, definition, name="acquired"
    )
    return table, hazard


def new_user_groups(
    log: EventLog,
    campaign: Campaign,
    *,
    start_ns: int,
    end_ns: int,
    as_of_ns: int,
    acquired: Collection[Any] | None,
    attribution: str,
    what: str = "lasting_effect",
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """Return the new users of the window (codes), whether each was acquired, and signup times.

    New users: their first signup event (the primary goal's ``NewUsersSpec`` event, else their
    first event) is in ``[start_ns, end_ns]``. Acquired: in ``acquired``, else their signup row's
    ``attribution`` property is the campaign id. ``first`` holds every user's signup time (ns,
    -1 when none).
    """
    n_users = len(log.users)
    ts = log.timestamps_ns
    spec = campaign.primary_goal.metric
    signup = getattr(spec, "event", None) if isinstance(spec, NewUsersSpec) else None
    rows = np.flatnonzero(ts <= as_of_ns)
    if signup is not None:
        codes = log.event_code_of(list(signup))
        rows = rows[np.isin(log.event_codes[rows], codes[codes >= 0])]
    # each user's first signup row (rows are scanned by time)
    order = rows[np.lexsort((ts[rows], log.user_codes[rows]))]
    u_sorted = log.user_codes[order]
    first_rows = order[np.r_[True, u_sorted[1:] != u_sorted[:-1]]] if order.size else order
    first = np.full(n_users, -1, dtype=np.int64)
    first[log.user_codes[first_rows]] = ts[first_rows]
    new = np.flatnonzero((first >= start_ns) & (first <= end_ns)).astype(np.int64)
    if acquired is not None:
        is_acq = np.asarray(log.users[new].isin(pd.Index(list(acquired))), dtype=bool)
    else:
        if attribution not in log.property_names:
            raise InvalidParameterError(
                f"{what}: campaign {campaign.id!r} is an acquisition campaign but the log has no "
                f"{attribution!r} property telling which signups it brought (properties: "
                f"{list(log.property_names)}). Hint: pass acquired= (the user ids it brought) or "
                "attribution= (the signup property holding the campaign id)."
            )
        src = log.property_values(attribution).to_numpy()
        by_user = np.full(n_users, None, dtype=object)
        by_user[log.user_codes[first_rows]] = src[first_rows]
        is_acq = np.asarray(by_user[new] == campaign.id, dtype=bool)
    n_acq, n_org = int(is_acq.sum()), int((~is_acq).sum())
    if n_acq == 0 or n_org == 0:
        raise InsufficientDataError(
            f"{what}: {n_acq} acquired and {n_org} organic new users in the campaign window; "
            "both are needed to compare them. Hint: check acquired= / attribution=, or the "
            "window."
        )
    return new, is_acq, first


def _hazard(
    log: Any,
    codes: Any,
    treated: Any,
    start_ns: int,
    as_of_ns: int,
    definition: str,
    name: str = "treated",
    *,
    anchor: bool = False,
) -> pd.DataFrame:
    from useropslib.churn import ChurnDrivers, survival_frame

    after = log.between(start=pd.Timestamp(start_ns, tz="UTC"))
    ids = log.users[codes]
    cov = pd.DataFrame({name: treated.astype(float)}, index=pd.Index(ids, name="user_id"))
    rule: Any = definition
    if anchor:
        after, rule = _anchored(after, ids, start_ns, definition)
    frame = survival_frame(
        after,
        rule,
        as_of=pd.Timestamp(as_of_ns, tz="UTC"),
        covariates=cov,
        early_window=None,
    )
    frame = frame[frame[name].notna()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the proportional-hazards check is informative only
        model = ChurnDrivers().fit(frame, covariates=[name])
    cols = ["hazard_ratio", "hazard_ratio_lower", "hazard_ratio_upper", "p", "p_value"]
    summary: pd.DataFrame = model.summary_
    out: pd.DataFrame = summary[[c for c in cols if c in summary.columns]]
    return out


# the campaign's own touches are not the user's activity: a message sent or delivered (or an
# exposure logged) starts no churn clock
_NOT_ACTIVITY = frozenset({"message_sent", "message_delivered"})
_ANCHOR = "__campaign_start__"


def _anchored(after: EventLog, ids: Any, start_ns: int, definition: str) -> tuple[EventLog, Any]:
    """Start every arm user's churn clock at the launch, on the users' own activity only.

    Without this, each user's clock would start at their first event after the launch: the
    treated users' first event is the campaign's own message (so users who never came back
    enter the model as churners), while the control users who never came back are not in the
    model at all, which biases the hazard ratio against the treated arm.
    """
    from useropslib.models import ChurnDefinition

    frame = after.to_pandas()
    keep = ~frame["event"].astype(str).isin(_NOT_ACTIVITY)
    names = sorted({str(e) for e in frame.loc[keep, "event"].unique()} - {_ANCHOR})
    start = pd.Timestamp(start_ns, tz="UTC").tz_convert(after.tz)
    anchors = pd.DataFrame({"user_id": ids, "event": _ANCHOR, "timestamp": start})
    cols = ["user_id", "event", "timestamp"]
    both = pd.concat([anchors[cols], frame.loc[keep, cols]], ignore_index=True)
    log = EventLog.from_pandas(both, tz=after.tz)
    rule = ChurnDefinition(threshold=definition, activity_events=(_ANCHOR, *names))
    return log, rule
