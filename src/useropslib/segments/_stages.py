"""Lifecycle-stage tags (生命周期) and value tiers (用户分层) as of a date."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib import plotting
from useropslib._results import MetricResult
from useropslib.events import EventLog, EventsLike, LazyEventLog, as_event_log
from useropslib.exceptions import InvalidParameterError
from useropslib.models import ChurnDefinition, DateLike
from useropslib.models._types import window_ns
from useropslib.segments._lazyseg import lazy_stage_columns, lazy_tier_columns
from useropslib.segments._rfm import event_mask, resolve_as_of, warn_no_users
from useropslib.segments._tags import TagTable

__all__ = [
    "LIFECYCLE_STAGES",
    "VALUE_TIERS",
    "LifecycleStagesResult",
    "ValueTiersResult",
    "lifecycle_stages",
    "value_tiers",
]

_DAY_NS = 86_400 * 10**9
_MIN = np.iinfo(np.int64).min
_MAX = np.iinfo(np.int64).max

LIFECYCLE_STAGES: tuple[str, ...] = (
    "new",
    "never_activated",
    "churned",
    "dormant",
    "declining",
    "resurrected",
    "active",
)
"""The lifecycle stages, in the order their rules are tried (first match wins)."""

VALUE_TIERS: tuple[str, ...] = ("kol", "paying", "core", "ordinary")
"""The value tiers, in priority order for the single ``tier`` column."""


@dataclasses.dataclass(frozen=True)
class _Present:
    codes: npt.NDArray[np.int64]  # user codes with >= 1 event at or before as_of
    in_time: npt.NDArray[np.bool_]  # events at or before as_of


def _present(log: EventLog, as_of_ns: int) -> _Present:
    in_time = log.timestamps_ns <= as_of_ns
    seen = np.zeros(len(log.users), dtype=bool)
    seen[log.user_codes[in_time]] = True
    return _Present(np.flatnonzero(seen).astype(np.int64), in_time)


def _last(log: EventLog, mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    out = np.full(len(log.users), _MIN, dtype=np.int64)
    np.maximum.at(out, log.user_codes[mask], log.timestamps_ns[mask])
    return out


def _first(log: EventLog, mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    out = np.full(len(log.users), _MAX, dtype=np.int64)
    np.minimum.at(out, log.user_codes[mask], log.timestamps_ns[mask])
    return out


def active_days(
    log: EventLog, mask: npt.NDArray[np.bool_], as_of_ns: int, lo_day: int, hi_day: int
) -> npt.NDArray[np.int64]:
    """Distinct 24-hour buckets counted back from ``as_of`` (bucket 0 = the last 24 h) per user.

    Counts buckets ``lo_day <= b < hi_day`` among the events in ``mask`` (which must be at or
    before ``as_of``); indexed by user code.
    """
    bucket = (as_of_ns - log.timestamps_ns[mask]) // _DAY_NS
    users = log.user_codes[mask].astype(np.int64)
    keep = (bucket >= lo_day) & (bucket < hi_day)
    span = max(hi_day - lo_day, 1)
    key = np.unique(users[keep] * span + (bucket[keep] - lo_day))
    return np.bincount(key // span, minlength=len(log.users)).astype(np.int64)


def _tags(table: pd.DataFrame, column: str, prefix: str) -> TagTable:
    pairs = pd.DataFrame(
        {
            "user_id": table.index.to_numpy(),
            "tag": (prefix + ":" + table[column].astype(str)).to_numpy(),
        }
    )
    return TagTable.from_pairs(pairs)


def _stage_columns(
    log: EventLog,
    as_of_ns: int,
    active_ns: int,
    n_days: int | None,
    activation_event: Any,
    activity: Any,
) -> tuple[pd.Index, dict[str, npt.NDArray[Any]]]:
    """Return the per-user columns of the lifecycle rules, from the event rows."""
    pres = _present(log, as_of_ns)
    in_time = pres.in_time
    ts = log.timestamps_ns
    c = pres.codes
    first_all = _first(log, in_time)
    if activation_event is None:
        # came back 24 h or more after the first event
        later = in_time & (ts >= first_all[log.user_codes] + _DAY_NS)
        activated_all = np.zeros(len(log.users), dtype=bool)
        activated_all[log.user_codes[later]] = True
    else:
        act = in_time & event_mask(log, activation_event, "activation_event")
        activated_all = np.zeros(len(log.users), dtype=bool)
        activated_all[log.user_codes[act]] = True
    w0 = as_of_ns - active_ns
    cols: dict[str, npt.NDArray[Any]] = {
        "first": first_all[c],
        "last": _last(log, in_time)[c],
        "activated": activated_all[c],
        "first_in": _first(log, in_time & (ts > w0))[c],
        "prev_last": _last(log, in_time & (ts <= w0))[c],
    }
    if n_days is not None:
        cols["cur"] = active_days(log, in_time, as_of_ns, 0, n_days)[c]
        cols["prev"] = active_days(log, in_time, as_of_ns, n_days, 2 * n_days)[c]
    amask = in_time
    if activity is not None:
        amask = in_time & event_mask(log, list(activity), "churn_definition.activity_events")
    cols["last_act"] = _last(log, amask)[c]
    return log.users.take(c), cols


# ===================================================================================== stages
@dataclasses.dataclass(frozen=True, repr=False)
class LifecycleStagesResult(MetricResult):
    """Each user's lifecycle stage as of a date.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per user with an event at or before ``as_of`` (index ``user_id``):
        ``first_seen``, ``last_seen`` (timestamps in the log's zone), ``days_since_last``,
        ``activated`` (bool) and ``stage`` (one of ``LIFECYCLE_STAGES``).
    counts : pandas.Series
        Users per stage, every stage listed (zeros included), in rule order.
    params : dict
        The parameters used.
    as_of : pandas.Timestamp or None
        The date of the stages.
    """

    table: pd.DataFrame
    counts: pd.Series

    def to_frame(self) -> pd.DataFrame:
        """Return ``table`` with the user id as a column.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.table.reset_index()
        return out

    def to_tags(self) -> TagTable:
        """Return the stages as tags ``"stage:<name>"`` (e.g. ``stage:dormant``).

        Returns
        -------
        TagTable
        """
        return _tags(self.table, "stage", "stage")

    def plot(self, ax: Any = None) -> Any:
        """Plot users per stage as bars.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return plotting.bars(
            [str(i) for i in self.counts.index],
            self.counts,
            ax=ax,
            ylabel="users",
            title="Lifecycle stages",
        )


def lifecycle_stages(
    events: EventsLike,
    *,
    as_of: DateLike | None = None,
    new_within: Any = "7D",
    active_within: Any = "7D",
    dormant_after: Any = "30D",
    declining_drop: float | None = 0.5,
    churn_definition: ChurnDefinition | None = None,
    activation_event: str | Sequence[str] | None = None,
) -> LifecycleStagesResult:
    """Tag each user with one lifecycle stage as of a date (new, active, declining, dormant, ...).

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    as_of : str, datetime or Timestamp, optional
        The date of the stages; later events are ignored.  Default: the log's ``as_of``.
    new_within : str or timedelta, default "7D"
        A user first seen less than this before ``as_of`` is ``new`` (拉新).
    active_within : str or timedelta, default "7D"
        A user whose last event is less than this before ``as_of`` is active (活跃) now.
    dormant_after : str or timedelta, default "30D"
        A silence of at least this is ``dormant`` (沉默); also the gap that makes a return count
        as ``resurrected`` (回流).  Must be at least ``active_within``.
    declining_drop : float or None, default 0.5
        An active user whose active days (24-hour buckets) in the last ``active_within`` fell
        by at least this share against the ``active_within`` before it is ``declining``.  None
        turns this rule off.
    churn_definition : ChurnDefinition, optional
        When given, a user silent on its activity events for at least its threshold is
        ``churned`` (流失), before any dormant rule.  Without it no user is churned.
    activation_event : str or sequence of str, optional
        The event(s) that make a user activated (促活).  Default: any event 24 hours or more
        after the user's first event (the user came back at least once).

    Returns
    -------
    LifecycleStagesResult
        ``table`` (one row per user), ``counts``; ``to_frame()``, ``to_tags()``, ``plot()``.

    Raises
    ------
    InvalidParameterError
        Invalid windows, ``dormant_after < active_within``, ``declining_drop`` outside (0, 1],
        unknown event names, ``as_of`` before the data, an empty log.

    Notes
    -----
    Only events at or before ``as_of`` are read, so the result equals the one computed on
    ``log.until(as_of)``.  Users are those with an event at or before ``as_of``.  With
    ``silence = as_of - last event``, the first rule that holds gives the stage:

    1. ``new``: first event less than ``new_within`` before ``as_of``.
    2. ``never_activated``: not activated by ``as_of`` (signed up, never became active).
    3. ``churned``: with ``churn_definition``, ``as_of`` minus the last activity event (or the
       first event if none) is at least the threshold.
    4. ``dormant``: silence >= ``dormant_after``.
    5. ``declining``: silence >= ``active_within`` (was active, then lapsed; at risk).
    6. ``resurrected``: active now, and the first event of the current ``active_within``
       window came at least ``dormant_after`` after the event before it.
    7. ``declining``: active now, but active days dropped by ``declining_drop`` or more.
    8. ``active``: every other user.

    Rules 2-8 only see activated users, so "never activated" is never confused with "was active,
    then declined".  The stages partition the users.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "a", "b", "c", "c", "d", "d"],
    ...     "event": ["open"] * 7,
    ...     "timestamp": ["2024-02-20", "2024-03-30", "2024-03-29", "2024-01-01",
    ...                   "2024-01-05", "2024-01-01", "2024-01-02T12:00"],
    ... })
    >>> res = lifecycle_stages(EventLog.from_pandas(df, tz="UTC"), as_of="2024-03-31")
    >>> res.table["stage"].tolist()
    ['resurrected', 'new', 'dormant', 'dormant']
    >>> res.to_tags().select("stage:dormant").tolist()
    ['c', 'd']
    """
    # a lazy log answers with one GROUP BY user in the engine (see segments/_lazyseg.py)
    log = events if isinstance(events, LazyEventLog) else as_event_log(events)
    as_of_ns, shown_as_of = resolve_as_of(log, as_of)
    new_ns = window_ns(new_within, "new_within")
    active_ns = window_ns(active_within, "active_within")
    dormant_ns = window_ns(dormant_after, "dormant_after")
    if dormant_ns < active_ns:
        raise InvalidParameterError(
            f"dormant_after={dormant_after!r} is shorter than active_within={active_within!r}. "
            "Expected dormant_after >= active_within. Hint: e.g. active_within='7D', "
            "dormant_after='30D'."
        )
    if declining_drop is not None and (
        isinstance(declining_drop, bool)
        or not isinstance(declining_drop, int | float)
        or not 0 < declining_drop <= 1
    ):
        raise InvalidParameterError(
            f"Invalid declining_drop={declining_drop!r}. Expected a share in (0, 1] or None. "
            "Hint: 0.5 marks users whose active days halved."
        )
    if churn_definition is not None and not isinstance(churn_definition, ChurnDefinition):
        raise InvalidParameterError(
            f"Invalid churn_definition={churn_definition!r}. Expected a ChurnDefinition. Hint: "
            "ChurnDefinition(threshold='30D')."
        )
    n_days = None
    if declining_drop is not None:
        n_days = max(int(-(-active_ns // _DAY_NS)), 1)
    activity = None if churn_definition is None else churn_definition.activity_events
    if isinstance(log, LazyEventLog):  # one GROUP BY user in the engine
        users, cols = lazy_stage_columns(
            log,
            as_of_ns,
            active_ns=active_ns,
            n_days=n_days,
            activation_event=activation_event,
            activity_events=None if activity is None else list(activity),
        )
    else:
        users, cols = _stage_columns(log, as_of_ns, active_ns, n_days, activation_event, activity)
    first, last = cols["first"], cols["last"]
    silence = as_of_ns - last
    activated = cols["activated"]
    is_new = (as_of_ns - first) < new_ns
    active_now = silence < active_ns
    prev_last, first_in = cols["prev_last"], cols["first_in"]
    has_prev = prev_last != _MIN
    gap = first_in - np.where(has_prev, prev_last, first_in)
    resurrected = active_now & has_prev & (gap >= dormant_ns)
    dropping = np.zeros(len(users), dtype=bool)
    if declining_drop is not None:
        cur, prev = cols["cur"], cols["prev"]
        dropping = active_now & (prev > 0) & (cur <= prev * (1 - float(declining_drop)))
    churned = np.zeros(len(users), dtype=bool)
    if churn_definition is not None:
        last_act = cols["last_act"]
        last_act = np.where(last_act == _MIN, first, last_act)
        threshold_ns = int(pd.Timedelta(churn_definition.threshold).value)
        churned = (as_of_ns - last_act) >= threshold_ns

    conditions = [
        is_new,
        ~activated,
        churned,
        silence >= dormant_ns,
        silence >= active_ns,
        resurrected,
        dropping,
    ]
    choices = [0, 1, 2, 3, 4, 5, 4]
    stage_code = np.select(conditions, choices, default=6).astype(np.int64)
    tz = log.tz
    table = pd.DataFrame(
        {
            "first_seen": pd.DatetimeIndex(first.view("datetime64[ns]"), tz="UTC").tz_convert(tz),
            "last_seen": pd.DatetimeIndex(last.view("datetime64[ns]"), tz="UTC").tz_convert(tz),
            "days_since_last": silence / _DAY_NS,
            "activated": activated,
            "stage": pd.Categorical.from_codes(stage_code, categories=pd.Index(LIFECYCLE_STAGES)),
        },
        index=pd.Index(users, name="user_id"),
    )
    counts = pd.Series(
        np.bincount(stage_code, minlength=len(LIFECYCLE_STAGES)),
        index=pd.Index(LIFECYCLE_STAGES, name="stage"),
        name="count",
    )
    params = {
        "new_within": new_within,
        "active_within": active_within,
        "dormant_after": dormant_after,
        "declining_drop": declining_drop,
        "churn_threshold": None if churn_definition is None else churn_definition.threshold,
        "activation_event": activation_event,
    }
    warn_no_users("lifecycle_stages", len(table))
    return LifecycleStagesResult(params=params, as_of=shown_as_of, table=table, counts=counts)


# ====================================================================================== tiers
@dataclasses.dataclass(frozen=True, repr=False)
class ValueTiersResult(MetricResult):
    """Each user's value tier (paying / core / KOL / ordinary) as of a date.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per user with an event at or before ``as_of`` (index ``user_id``):
        ``active_days``, ``paying``, ``core``, ``kol`` (bool flags; a user may have several)
        and ``tier``, the first of ``kol``, ``paying``, ``core`` the user has, else
        ``ordinary``.
    counts : pandas.Series
        Users per ``tier`` (each user once), in ``VALUE_TIERS`` order.
    core_threshold : float
        The active-day count at or above which a user is core (NaN when nobody was active).
    params : dict
        The parameters used.
    as_of : pandas.Timestamp or None
        The date of the tiers.
    """

    table: pd.DataFrame
    counts: pd.Series
    core_threshold: float

    def to_frame(self) -> pd.DataFrame:
        """Return ``table`` with the user id as a column.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.table.reset_index()
        return out

    def to_tags(self) -> TagTable:
        """Return the flags as tags ``tier:kol``, ``tier:paying``, ``tier:core``, ``tier:ordinary``.

        A user carries each flag they have (a paying KOL has both tags); ``tier:ordinary`` goes
        to users with none.

        Returns
        -------
        TagTable
        """
        t = self.table
        parts = [
            pd.DataFrame({"user_id": t.index[t[flag].to_numpy()], "tag": f"tier:{flag}"})
            for flag in ("kol", "paying", "core")
        ]
        ordinary = (t["tier"] == "ordinary").to_numpy()
        parts.append(pd.DataFrame({"user_id": t.index[ordinary], "tag": "tier:ordinary"}))
        # register every user even if some flag frames are empty
        parts.append(pd.DataFrame({"user_id": t.index, "tag": None}))
        return TagTable.from_pairs(pd.concat(parts, ignore_index=True))

    def plot(self, ax: Any = None) -> Any:
        """Plot users per tier as bars.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return plotting.bars(
            [str(i) for i in self.counts.index],
            self.counts,
            ax=ax,
            ylabel="users",
            title="Value tiers",
        )


def _kol_flag(log: EventLog, column: str, in_time: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Each user's latest non-missing value of a boolean / 0-1 property at or before as_of."""
    raw = log.property_values(column)
    notna = raw.notna().to_numpy() & in_time
    vals = raw.to_numpy()[notna]
    if vals.size:
        ok = np.fromiter(
            (isinstance(v, bool | np.bool_ | int | np.integer | float | np.floating) for v in vals),
            dtype=bool,
            count=vals.size,
        )
        if not ok.all() or not np.isin(vals.astype(np.float64), (0.0, 1.0)).all():
            bad = vals[~ok][0] if not ok.all() else vals[0]
            raise InvalidParameterError(
                f"kol={column!r} must be a boolean (or 0/1) property, got values such as "
                f"{bad!r}. Hint: map the column to True/False before building the log."
            )
    rows = np.flatnonzero(notna)
    order = np.lexsort((log.timestamps_ns[rows], log.user_codes[rows]))
    rows = rows[order]
    u = log.user_codes[rows]
    is_last = np.r_[u[1:] != u[:-1], True] if rows.size else np.zeros(0, dtype=bool)
    out = np.zeros(len(log.users), dtype=bool)
    out[u[is_last]] = raw.to_numpy()[rows[is_last]].astype(np.float64) == 1.0
    return out


def value_tiers(
    events: EventsLike,
    *,
    as_of: DateLike | None = None,
    purchase_event: str | Sequence[str] = "purchase",
    paying_within: Any = "90D",
    core_quantile: float = 0.9,
    core_within: Any = "30D",
    kol: str | None = None,
    referral_event: str | Sequence[str] | None = None,
    min_referrals: int = 5,
) -> ValueTiersResult:
    """Tier users by value: paying (付费), core (核心), KOL and ordinary (普通) users.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    as_of : str, datetime or Timestamp, optional
        The date of the tiers; later events are ignored.  Default: the log's ``as_of``.
    purchase_event : str or sequence of str, default "purchase"
        The purchase event(s).
    paying_within : str or timedelta, default "90D"
        A user with a purchase event less than this before ``as_of`` is paying.
    core_quantile : float, default 0.9
        Core users are those whose active days in the last ``core_within`` are at or above this
        quantile (linear interpolation) of the active days of the users active in that window:
        0.9 is the top decile.
    core_within : str or timedelta, default "30D"
        The window over which active days (24-hour buckets counted back from ``as_of``) count.
    kol : str, optional
        A boolean (or 0/1) property column marking KOLs; each user's latest non-missing value at
        or before ``as_of`` is used.
    referral_event : str or sequence of str, optional
        Users with at least ``min_referrals`` of these events (all history up to ``as_of``)
        are KOLs too.
    min_referrals : int, default 5
        See ``referral_event``.

    Returns
    -------
    ValueTiersResult
        ``table``, ``counts``, ``core_threshold``; ``to_frame()``, ``to_tags()``, ``plot()``.

    Raises
    ------
    InvalidParameterError
        Unknown events or property, a non-boolean KOL column, ``core_quantile`` outside (0, 1),
        ``min_referrals < 1``, invalid windows, ``as_of`` before the data.

    Notes
    -----
    The flags are independent (a paying KOL is both); ``tier`` picks one per user by priority
    KOL > paying > core, else ordinary, so tiers partition the users.  Users are those with an
    event at or before ``as_of``.  Ties at the core threshold are all core, so with many equal
    counts more than ``1 - core_quantile`` of the active users can be core.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b", "c", "c"],
    ...     "event": ["open", "open", "open", "purchase", "invite", "invite"],
    ...     "timestamp": ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-02",
    ...                   "2024-03-01", "2024-03-02"],
    ... })
    >>> log = EventLog.from_pandas(df, tz="UTC")
    >>> res = value_tiers(log, referral_event="invite", min_referrals=2)
    >>> res.table["tier"].tolist()
    ['core', 'paying', 'kol']
    """
    # kol= reads each user's latest property value, whose ties need the row order: collected
    lazy_ok = isinstance(events, LazyEventLog) and kol is None
    log = events if lazy_ok and isinstance(events, LazyEventLog) else as_event_log(events)
    as_of_ns, shown_as_of = resolve_as_of(log, as_of)
    pay_ns = window_ns(paying_within, "paying_within")
    core_ns = window_ns(core_within, "core_within")
    if (
        isinstance(core_quantile, bool)
        or not isinstance(core_quantile, int | float)
        or not 0 < core_quantile < 1
    ):
        raise InvalidParameterError(
            f"Invalid core_quantile={core_quantile!r}. Expected a number in (0, 1). Hint: 0.9 "
            "makes the top decile of active days core."
        )
    if isinstance(min_referrals, bool) or not isinstance(min_referrals, int) or min_referrals < 1:
        raise InvalidParameterError(
            f"Invalid min_referrals={min_referrals!r}. Expected an integer >= 1."
        )
    n_days = max(int(-(-core_ns // _DAY_NS)), 1)
    if isinstance(log, LazyEventLog):  # one GROUP BY user in the engine
        users, last_buy, days, n_ref = lazy_tier_columns(
            log,
            as_of_ns,
            purchase_event=purchase_event,
            n_days=n_days,
            referral_event=referral_event,
        )
        is_kol = np.zeros(len(users), dtype=bool)
    else:
        pres = _present(log, as_of_ns)
        in_time = pres.in_time
        c = pres.codes
        users = log.users.take(c)
        buy = in_time & event_mask(log, purchase_event, "purchase_event")
        last_buy = _last(log, buy)[c]
        days = active_days(log, in_time, as_of_ns, 0, n_days)[c]
        is_kol = np.zeros(c.size, dtype=bool)
        if kol is not None:
            is_kol |= _kol_flag(log, kol, in_time)[c]
        n_ref = None
        if referral_event is not None:
            ref = in_time & event_mask(log, referral_event, "referral_event")
            n_ref = np.bincount(log.user_codes[ref], minlength=len(log.users))[c]
    paying = (last_buy != _MIN) & (
        as_of_ns - np.where(last_buy == _MIN, as_of_ns, last_buy) < pay_ns
    )
    active = days[days > 0]
    threshold = float(np.quantile(active, core_quantile)) if active.size else float("nan")
    core = (days > 0) & (days >= threshold) if active.size else np.zeros(len(users), dtype=bool)
    if n_ref is not None:
        is_kol |= n_ref >= min_referrals
    tier_code = np.select([is_kol, paying, core], [0, 1, 2], default=3).astype(np.int64)
    table = pd.DataFrame(
        {
            "active_days": days,
            "paying": paying,
            "core": core,
            "kol": is_kol,
            "tier": pd.Categorical.from_codes(tier_code, categories=pd.Index(VALUE_TIERS)),
        },
        index=pd.Index(users, name="user_id"),
    )
    counts = pd.Series(
        np.bincount(tier_code, minlength=len(VALUE_TIERS)),
        index=pd.Index(VALUE_TIERS, name="tier"),
        name="count",
    )
    params = {
        "purchase_event": purchase_event,
        "paying_within": paying_within,
        "core_quantile": core_quantile,
        "core_within": core_within,
        "kol": kol,
        "referral_event": referral_event,
        "min_referrals": min_referrals,
    }
    warn_no_users("value_tiers", len(table))
    return ValueTiersResult(
        params=params,
        as_of=shown_as_of,
        table=table,
        counts=counts,
        core_threshold=threshold,
    )
