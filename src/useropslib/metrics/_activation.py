"""Activation (促活) and onboarding: how many new users reach the key event, how fast, step by step.

Also home of the small helpers the money and messaging metrics share: reading ``as_of``, windows,
event-name lists and per-user groups (a cohort period, a user property or a mapping).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib import plotting
from useropslib._results import MetricResult
from useropslib.events import (
    EventsLike,
    as_event_log,
    check_tz,
)
from useropslib.events._query import event_codes
from useropslib.events._time import stamp as _stamp
from useropslib.exceptions import (
    InsufficientDataWarning,
    InvalidParameterError,
)
from useropslib.metrics._query import (
    _NS_MAX,
    GroupSpec,
    _anchor_ns,
    _as_of_ns,
    _check_quantiles,
    _check_week_start,
    _event_mask,
    _first_ns_per_user,
    _names,
    _q_label,
    _timedelta,
    _user_groups,
    spec_names,
)
from useropslib.models import DateLike, WeekStart
from useropslib.models._types import window_ns

__all__ = ["ActivationResult", "OnboardingResult", "activation", "onboarding"]


# ============================================================================ activation
@dataclasses.dataclass(frozen=True, repr=False)
class ActivationResult(MetricResult):
    """Activation rate and time to activate, per cohort.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per group (index named ``cohort`` for periods and ``breakdown=None``, else after the
        property or mapping): ``users`` (whose window is complete), ``activated``,
        ``activation_rate``, ``pending`` (window still open at ``as_of``, left out of the rate),
        ``time_to_activate_mean``, ``time_to_activate_median`` and one
        ``time_to_activate_p<q>`` column per quantile.
    overall : pandas.Series
        The same columns over all users (including those in no group).
    per_user : pandas.DataFrame
        One row per user with an anchor: ``user_id``, ``group``, ``anchor`` (first seen or first
        signup), ``first_key_event`` (first key event at or after the anchor, any time),
        ``activated`` (within the window), ``eligible`` (counted in the rate).
    """

    table: pd.DataFrame
    overall: pd.Series
    per_user: pd.DataFrame

    @property
    def rate(self) -> float:
        """Activation rate over all eligible users (NaN when there are none)."""
        return float(self.overall["activation_rate"])

    def to_frame(self) -> pd.DataFrame:
        """Return the per-group table as a flat frame, one row per group.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.table.reset_index()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Plot the activation rate per group as bars.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return plotting.bars(
            [str(x) for x in self.table.index],
            self.table["activation_rate"],
            ax=ax,
            percent=True,
            ylabel="activation rate",
            xlabel=str(self.table.index.name),
            title=f"Activation: {self.params['key_event']} within {self.params['within']}",
        )


def _activation_stats(
    groups: npt.NDArray[np.int64],
    n_groups: int,
    eligible: npt.NDArray[np.bool_],
    activated: npt.NDArray[np.bool_],
    pending: npt.NDArray[np.bool_],
    delta: npt.NDArray[np.int64],
    quantiles: list[float],
) -> pd.DataFrame:
    ok = groups >= 0
    g = groups[ok]
    users = np.bincount(g[eligible[ok]], minlength=n_groups)
    act = np.bincount(g[(eligible & activated)[ok]], minlength=n_groups)
    pend = np.bincount(g[pending[ok]], minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(users > 0, act / np.maximum(users, 1), np.nan)
    columns: dict[str, Any] = {
        "users": users.astype(np.int64),
        "activated": act.astype(np.int64),
        "activation_rate": rate,
        "pending": pend.astype(np.int64),
    }
    sel = ok & eligible & activated
    times = pd.Series(delta[sel].astype(np.float64)).groupby(groups[sel])
    idx = pd.RangeIndex(n_groups)
    stats = {"mean": times.mean(), "median": times.median()}
    stats.update({_q_label(q): times.quantile(q) for q in quantiles})
    for name, values in stats.items():
        columns[f"time_to_activate_{name}"] = _timedelta(values.reindex(idx).to_numpy())
    frame: pd.DataFrame = pd.DataFrame(columns)
    return frame


def activation(
    events: EventsLike,
    *,
    key_event: str | Sequence[str],
    within: str | Any = "7D",
    signup_event: str | Sequence[str] | None = None,
    breakdown: GroupSpec = None,
    incomplete: Literal["exclude", "include"] = "exclude",
    quantiles: Sequence[float] = (0.25, 0.75, 0.9),
    as_of: DateLike | None = None,
    tz: str | None = None,
    week_start: WeekStart | int | None = None,
) -> ActivationResult:
    """Share of new users who do the key event within a window of their start, and how fast.

    A user's *anchor* is their first event (first seen) or, with ``signup_event``, their first
    signup event.  The user is *activated* when a ``key_event`` happens at a time ``t`` with
    ``anchor <= t <= anchor + within`` (both bounds inclusive).  Time to activate is the delay
    from the anchor to the first key event at or after it, over activated users.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    key_event : str or list of str
        The event (any of the events) that marks an activated user (促活), e.g. ``"first_post"``.
    within : str or timedelta, default "7D"
        Length of the activation window after the anchor, e.g. ``"7D"``, ``"24h"``; > 0.
    signup_event : str or list of str, optional
        Anchor on the first of these events instead of the first event of any kind.  Users who
        never did it are not counted.
    breakdown : str, Series or mapping, optional
        Group users by the calendar period of their anchor (``"day"``, ``"week"``, ``"month"``,
        ``"hour"``), by a property column (the value on the user's earliest event carrying it:
        first touch), or by a Series / mapping from user id to group (e.g. acquisition channel).
        Period names take precedence over a property of the same name.
    incomplete : {"exclude", "include"}, default "exclude"
        Users whose window has not ended by ``as_of`` are counted as ``pending`` and left out of
        the rate (``"exclude"``), or counted as if their window were complete (``"include"``,
        which lowers the rate of recent cohorts).
    quantiles : sequence of float, default (0.25, 0.75, 0.9)
        Quantiles of the time to activate to report, besides mean and median (linear
        interpolation).
    as_of : str, datetime or Timestamp, optional
        "Now": events after it are ignored and windows ending after it are incomplete.
        Default: the log's ``as_of``.
    tz : str, optional
        Time zone of cohort periods; default the log's.
    week_start : str or int, optional
        First day of a cohort week; default the log's.

    Returns
    -------
    ActivationResult
        ``table`` per group, ``overall``, ``per_user``, ``rate``.

    Raises
    ------
    InvalidParameterError
        For unknown event names (with close known names), a window <= 0, an unknown ``breakdown``
        property, ids in ``breakdown`` that match no user, bad ``quantiles`` or ``incomplete``.

    Warns
    -----
    InsufficientDataWarning
        When no user has a complete window (the rates are NaN).

    See Also
    --------
    onboarding : Step-by-step loss through an onboarding sequence.

    Notes
    -----
    The anchor on first-ever activity matches Amplitude's "new user" (first event) and
    Duolingo's growth model; ``signup_event`` matches PostHog's choice of a start event.  The
    inclusive window bound and "same timestamp counts" follow PostHog's funnel conversion
    window.  Excluding incomplete windows is how a cohort-based activation report avoids
    counting users who simply have not had the time yet.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "a", "b", "b", "c"],
    ...     "event": ["signup", "post", "signup", "post", "signup"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-01",
    ...                                  "2024-01-20", "2024-01-02"], utc=True),
    ... })
    >>> res = activation(df, key_event="post", within="7D", as_of="2024-01-31")
    >>> res.rate
    0.333...
    >>> res.table[["users", "activated", "pending"]].to_dict("records")
    [{'users': 3, 'activated': 1, 'pending': 0}]
    >>> str(res.overall["time_to_activate_median"])
    '2 days 00:00:00'
    """
    # lazy log: key and signup events row by row (their exact times matter); the first event
    # of each user is exact in the roll-up, so other events are rolled up to local days
    timed = spec_names([key_event] if signup_event is None else [key_event, signup_event])
    log = as_event_log(
        events,
        names=None if signup_event is None else timed,
        grain=None if isinstance(breakdown, str) else "day",
        exact=timed,
        by_event=signup_event is not None,
        tz=tz,
        until=as_of,
    )
    w = window_ns(within, "within")
    key_names = _names(key_event, "key_event")
    if not isinstance(incomplete, str) or incomplete not in ("exclude", "include"):
        raise InvalidParameterError(
            f"Invalid incomplete={incomplete!r}. Expected 'exclude' (leave users whose window is "
            "still open out of the rate) or 'include'."
        )
    qs = _check_quantiles(quantiles)
    ws = _check_week_start(week_start)
    if tz is not None:
        check_tz(tz)
    now = _as_of_ns(log, as_of)
    ts = log.timestamps_ns
    keep = np.ones(ts.size, dtype=bool) if now is None else ts <= now
    key_mask = _event_mask(log, key_names, "key_event") & keep
    anchor = _anchor_ns(log, signup_event, keep)
    groups = _user_groups(log, breakdown, anchor_ns=anchor, event_mask=keep, tz=tz, week_start=ws)

    has = anchor != _NS_MAX
    u = log.user_codes[key_mask]
    t = ts[key_mask]
    after = t >= anchor[u]
    first_key = _first_ns_per_user(len(log.users), u[after], t[after])

    users = np.flatnonzero(has)
    a = anchor[users]
    fk = first_key[users]
    got = fk != _NS_MAX
    delta = np.where(got, fk - a, 0)
    activated = got & (delta <= w)
    window_end_ok = np.ones(users.size, dtype=bool) if now is None else a <= now - w
    eligible = window_end_ok | (incomplete == "include")
    pending = ~eligible
    g = groups.codes[users]

    table = _activation_stats(g, len(groups.labels), eligible, activated, pending, delta, qs)
    table.index = groups.labels
    table.index.name = groups.name
    overall = _activation_stats(
        np.zeros(users.size, dtype=np.int64), 1, eligible, activated, pending, delta, qs
    ).iloc[0]
    overall.name = "all"
    if users.size == 0 or not eligible.any():
        warnings.warn(
            "activation: no user has a complete activation window"
            + ("" if users.size else " (no user has an anchor event)")
            + f" at as_of={_stamp(now, log.tz)}, so the rates are NaN. Hint: use an earlier "
            "as_of, a shorter window, or incomplete='include'.",
            InsufficientDataWarning,
            stacklevel=2,
        )

    group_labels = np.asarray(groups.labels, dtype=object)
    group_of = np.full(users.size, None, dtype=object)
    in_group = g >= 0
    group_of[in_group] = group_labels[g[in_group]]
    per_user = pd.DataFrame(
        {
            "user_id": log.users.take(users),
            "group": group_of,
            "anchor": pd.DatetimeIndex(a.view("datetime64[ns]"), tz="UTC").tz_convert(log.tz),
            "first_key_event": pd.DatetimeIndex(
                np.where(got, fk, np.iinfo(np.int64).min).view("datetime64[ns]"), tz="UTC"
            ).tz_convert(log.tz),
            "activated": activated,
            "eligible": eligible,
        }
    )
    params = {
        "key_event": key_event,
        "within": within,
        "signup_event": signup_event,
        "breakdown": breakdown if isinstance(breakdown, str) or breakdown is None else groups.name,
        "incomplete": incomplete,
        "quantiles": tuple(qs),
        "tz": tz or log.tz,
        "week_start": log.week_start if ws is None else ws,
    }
    return ActivationResult(
        params=params,
        as_of=_stamp(now, log.tz),
        table=table,
        overall=overall,
        per_user=per_user,
    )


# ============================================================================ onboarding
@dataclasses.dataclass(frozen=True, repr=False)
class OnboardingResult(MetricResult):
    """Step-by-step loss through an onboarding sequence.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by ``step`` (1-based): ``event``, ``users`` (who did steps 1..k in order),
        ``conversion_rate`` (over step 1), ``step_conversion_rate`` (over the previous step),
        ``drop_off`` (users lost since the previous step), ``drop_off_rate``, ``ever`` (users who
        did this step's event at any time at or after their first step-1 event, in any order),
        ``time_from_previous_mean`` and ``time_from_previous_median``.
    average_step_loss_rate : float
        The constant loss per step that gives the same overall conversion:
        ``1 - (last / first) ** (1 / (steps - 1))`` (NaN with one step or no users).
    per_user : pandas.DataFrame
        ``user_id`` and ``furthest_step`` (1..n) of every user who did step 1.
    """

    table: pd.DataFrame
    average_step_loss_rate: float
    per_user: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Return the step table as a flat frame, one row per step.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.table.reset_index()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Plot the users reaching each step as bars.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return plotting.funnel_bars(
            self.table["event"].astype(str).tolist(), self.table["users"], ax=ax, title="Onboarding"
        )


def onboarding(
    events: EventsLike,
    steps: Sequence[str],
    *,
    within: str | Any | None = None,
    as_of: DateLike | None = None,
) -> OnboardingResult:
    """Count the users reaching each step of an onboarding sequence, in order, and the loss.

    A user enters at their first ``steps[0]`` event (time ``t1``).  They reach step ``k`` when
    they reached step ``k - 1`` at ``t(k-1)`` and have a ``steps[k]`` event at ``t >= t(k-1)``
    (the earliest such event is ``t(k)``); with ``within``, also ``t <= t1 + within``
    (inclusive).  Each user is counted once, from their first entry: onboarding happens once.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    steps : sequence of str
        Distinct event names in order, the first being the entry (e.g. ``"signup"``).
    within : str or timedelta, optional
        Every step must happen within this time of the entry (inclusive).  Default: no limit.
    as_of : str, datetime or Timestamp, optional
        Events after it are ignored.  Default: the log's ``as_of``.

    Returns
    -------
    OnboardingResult
        ``table`` per step, ``average_step_loss_rate``, ``per_user``.

    Raises
    ------
    InvalidParameterError
        For no steps, a single string instead of a list, repeated step names, unknown event
        names (with close known names) or a window <= 0.

    Warns
    -----
    InsufficientDataWarning
        When nobody did the first step.

    See Also
    --------
    activation : Share of new users reaching one key event within a window.

    Notes
    -----
    This is an ordered funnel (same-timestamp events count as in order, as in PostHog) counted
    from each user's first entry (Mixpanel's "uniques" rather than PostHog's best attempt), with
    an optional window measured from step 1 (inclusive bound, as PostHog's).  The domain
    literature expects about 10% loss per onboarding step; ``average_step_loss_rate`` is that
    number for your data.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b", "b", "c", "c"],
    ...     "event": ["signup", "profile", "avatar", "signup", "avatar", "signup", "profile"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:05",
    ...                                  "2024-01-01 10:07", "2024-01-02 09:00",
    ...                                  "2024-01-02 09:01", "2024-01-03 08:00",
    ...                                  "2024-01-05 08:00"], utc=True),
    ... })
    >>> res = onboarding(df, ["signup", "profile", "avatar"])
    >>> res.table[["event", "users", "ever"]].to_dict("list")
    {'event': ['signup', 'profile', 'avatar'], 'users': [3, 2, 1], 'ever': [3, 2, 2]}
    >>> onboarding(df, ["signup", "profile"], within="1D").table["users"].tolist()
    [3, 1]
    """
    log = as_event_log(events, names=spec_names(steps))  # lazy log: the step rows only
    if isinstance(steps, str):
        raise InvalidParameterError(
            f"Invalid steps={steps!r}: a single string. Expected a list of event names in order. "
            f"Hint: steps=[{steps!r}, ...]."
        )
    if not isinstance(steps, (list, tuple, pd.Index, pd.Series, np.ndarray)):
        raise InvalidParameterError(
            f"Invalid steps of type {type(steps).__name__}. Expected a list of event names in "
            "order. Hint: steps=['signup', 'activate']."
        )
    names = list(steps)
    if not names:
        raise InvalidParameterError(
            "Invalid steps=[]: no steps. Expected a list of at least one event name, the entry "
            "first. Hint: steps=['signup', 'complete_profile', 'first_post']."
        )
    if not all(isinstance(s, str) for s in names):
        raise InvalidParameterError(f"Invalid steps={names!r}. Expected event names (strings).")
    dup = sorted({s for s in names if names.count(s) > 1})
    if dup:
        raise InvalidParameterError(
            f"Invalid steps={names!r}: {dup} appear more than once. Expected distinct event names "
            "(each onboarding step is a different action). Hint: for funnels with repeated "
            "events use useropslib.metrics.funnel."
        )
    codes = event_codes(log, names, param="steps")
    w = None if within is None else window_ns(within, "within")
    now = _as_of_ns(log, as_of)
    ts = log.timestamps_ns
    ev = log.event_codes
    uc = log.user_codes
    keep = np.ones(ts.size, dtype=bool) if now is None else ts <= now
    n_users = len(log.users)

    first = keep & (ev == codes[0])
    t_entry = _first_ns_per_user(n_users, uc[first], ts[first])
    entered = t_entry != _NS_MAX
    # latest allowed time per user (inclusive); int64 max without a window
    deadline = np.full(n_users, _NS_MAX, dtype=np.int64)
    if w is not None:
        deadline[entered] = t_entry[entered] + np.minimum(w, _NS_MAX - t_entry[entered])
    reach = [t_entry]
    ever = [int(entered.sum())]
    for code in codes[1:]:
        m = keep & (ev == code)
        u, t = uc[m], ts[m]
        in_window = (t >= t_entry[u]) & (t <= deadline[u])
        ever_k = _first_ns_per_user(n_users, u[in_window], t[in_window])
        ever.append(int((ever_k != _NS_MAX).sum()))
        prev = reach[-1]
        ok = in_window & (t >= prev[u]) & (prev[u] != _NS_MAX)
        reach.append(_first_ns_per_user(n_users, u[ok], t[ok]))

    counts = np.array([(r != _NS_MAX).sum() for r in reach], dtype=np.int64)
    n0 = counts[0]
    prev_counts = np.r_[counts[0], counts[:-1]]
    with np.errstate(invalid="ignore", divide="ignore"):
        conv = np.where(n0 > 0, counts / max(n0, 1), np.nan)
        step_conv = np.where(prev_counts > 0, counts / np.maximum(prev_counts, 1), np.nan)
    means = [np.nan]
    medians = [np.nan]
    for k in range(1, len(reach)):
        got = reach[k] != _NS_MAX
        d = (reach[k][got] - reach[k - 1][got]).astype(np.float64)
        means.append(float(d.mean()) if d.size else np.nan)
        medians.append(float(np.median(d)) if d.size else np.nan)
    table = pd.DataFrame(
        {
            "event": names,
            "users": counts,
            "conversion_rate": conv,
            "step_conversion_rate": step_conv,
            "drop_off": (prev_counts - counts).astype(np.int64),
            "drop_off_rate": 1.0 - step_conv,
            "ever": np.array(ever, dtype=np.int64),
            "time_from_previous_mean": _timedelta(means),
            "time_from_previous_median": _timedelta(medians),
        },
        index=pd.RangeIndex(1, len(names) + 1, name="step"),
    )
    if len(names) > 1 and n0 > 0:
        avg_loss = float(1.0 - (counts[-1] / n0) ** (1.0 / (len(names) - 1)))
    else:
        avg_loss = float("nan")
    if n0 == 0:
        warnings.warn(
            f"onboarding: no user did the first step {names[0]!r} by as_of="
            f"{_stamp(now, log.tz)}, so every rate is NaN.",
            InsufficientDataWarning,
            stacklevel=2,
        )
    furthest = np.zeros(n_users, dtype=np.int64)
    for k, r in enumerate(reach, start=1):
        furthest[r != _NS_MAX] = k
    who = np.flatnonzero(entered)
    per_user = pd.DataFrame({"user_id": log.users.take(who), "furthest_step": furthest[who]})
    return OnboardingResult(
        params={"steps": tuple(names), "within": within},
        as_of=_stamp(now, log.tz),
        table=table,
        average_step_loss_rate=avg_loss,
        per_user=per_user,
    )
