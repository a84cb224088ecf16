"""The best conversion path after an entry event, and the core path of a campaign."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib._checks import check_bool, check_choice
from useropslib.events import EventsLike
from useropslib.events._query import EventSelector, event_codes, warn_empty
from useropslib.exceptions import (
    InsufficientDataError,
    InvalidParameterError,
)
from useropslib.models import Campaign, DateLike, parse_window
from useropslib.paths._query import (
    Ordered,
    PathRows,
    TableResult,
    Ties,
    check_steps,
    collapse_mask,
    event_code,
    open_log,
    order_events,
    positions,
    selected_codes,
    until_ns,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
from useropslib.paths._clean import clean_log
from useropslib.paths._framing import (
    STOPPED,
    Window,
    path_strings,
)
from useropslib.paths._paths import group_paths

__all__ = ["ConversionPathsResult", "CorePathResult", "conversion_paths", "core_path"]

I64: TypeAlias = npt.NDArray[np.int64]
Bools: TypeAlias = npt.NDArray[np.bool_]


# ============================================================================ conversion paths


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class ConversionPathsResult(TableResult):
    """What users did between an entry event and a target, and how each path converted.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per path (the first ``n`` by users): ``path`` (the entry and the next events,
        up to ``steps`` items, before the target), ``users``, ``converted`` (reached the target
        within the window), ``conversion_rate``, ``share_of_users``, ``share_of_converters``.
    users : int
        Users with the entry event.
    converted : int
        Of them, users who reached the target within the window.
    """

    table: pd.DataFrame
    users: int
    converted: int

    @property
    def conversion_rate(self) -> float:
        """Share of entrants who reached the target within the window."""
        return self.converted / self.users if self.users else float("nan")

    def best(self, min_users: int = 1) -> pd.Series:
        """Return the path converting best among those with at least ``min_users`` users.

        Parameters
        ----------
        min_users : int, default 1
            Support needed (a path taken by one user converts at 0 or 1).

        Returns
        -------
        pandas.Series
            The row of ``table``.

        Raises
        ------
        InsufficientDataError
            When no path has ``min_users`` users.
        """
        ok = self.table[self.table["users"] >= min_users]
        if ok.empty:
            raise InsufficientDataError(
                f"No path has at least {min_users} users (the largest has "
                f"{int(self.table['users'].max()) if len(self.table) else 0}). Hint: lower "
                "min_users or raise n."
            )
        ranked = ok.sort_values(["conversion_rate", "users"], ascending=[False, False])
        out_: pd.Series = ranked.iloc[0]
        return out_

    def plot(self, ax: Axes | None = None) -> Axes:
        """Horizontal bars of each path's conversion rate.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import bar_chart

        s = self.table.set_index("path")["conversion_rate"]
        return bar_chart(
            s, ax=ax, title="Conversion by path", ylabel="conversion rate", horizontal=True
        )


def _entry_rows(o: Ordered, entry_code: int, window_ns: int | None) -> tuple[Bools, I64, I64]:
    """Rows at or after each user's first entry (within the window), the entry row per user."""
    n_users = len(o.log.users)
    first = np.full(n_users, -1, dtype=np.int64)
    is_e = np.flatnonzero(o.event == entry_code)
    if is_e.size:
        u, fi = np.unique(o.user[is_e], return_index=True)
        first[u] = is_e[fi]
    idx = np.arange(o.user.size, dtype=np.int64)
    fu = first[o.user]
    inside = (fu >= 0) & (idx >= fu)
    if window_ns is not None and inside.any():
        t0 = o.t[np.maximum(fu, 0)]
        inside &= o.t - t0 <= window_ns
    return inside, first, fu


def conversion_paths(
    events: EventsLike,
    *,
    entry: str,
    target: str,
    window: Any = "7D",
    steps: int = 5,
    n: int = 10,
    collapse: Literal["first", "last"] | None = "first",
    include: Iterable[str] | str | None = None,
    exclude: Iterable[str] | str | None = None,
    group: Mapping[str, str] | None = None,
    ties: Ties = "name",
    tz: str | None = None,
    as_of: DateLike | None = None,
) -> ConversionPathsResult:
    """Find the best conversion path: paths after an entry event and how each converted.

    Each user with ``entry`` is followed from their first ``entry`` for ``window``: the path is
    the entry and the events after it (cleaned), up to ``steps`` items, stopping before the
    first ``target``; the user converted when ``target`` came within the window.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    entry : str
        The entry event (a campaign's landing, a signup).
    target : str
        The conversion event.
    window : str or timedelta, default "7D"
        Conversion window from the entry (inclusive bound, as :func:`useropslib.metrics.funnel`).
    steps : int, default 5
        Items per path, the entry included (1..50).
    n : int, default 10
        Paths to return, most common first.
    collapse : {"first", "last"} or None, default "first"
        Collapse immediate repeats of a label.
    include, exclude, group
        Path cleaning, as in :func:`transitions` (the entry and target are found among all
        events, even excluded ones).
    ties, tz, as_of
        As in :func:`transitions`.

    Returns
    -------
    ConversionPathsResult
        ``best(min_users)`` gives the path converting best with enough support.

    Raises
    ------
    InvalidParameterError
        For unknown entry/target (with close names), entry equal to target, bad ``steps``,
        ``n`` or ``window``.
    InsufficientDataError
        When no user has the entry event.

    See Also
    --------
    core_path : Whether participants ran a campaign's core path through.
    useropslib.metrics.funnel : Conversion through fixed steps.

    Notes
    -----
    The path counts users (first entry only, Mixpanel's "uniques"); users whose window is still
    open at ``as_of`` are counted with what they did so far.

    Examples
    --------
    >>> import pandas as pd
    >>> import useropslib as uo
    >>> df = pd.DataFrame({"user_id": ["a", "a", "a", "b", "b", "c"],
    ...     "event": ["land", "coupon", "buy", "land", "browse", "land"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:01",
    ...         "2024-01-01 10:02", "2024-01-01 11:00", "2024-01-01 11:02",
    ...         "2024-01-01 12:00"], utc=True)})
    >>> r = uo.paths.conversion_paths(df, entry="land", target="buy")
    >>> r.table[["path", "users", "converted"]]
                path  users  converted
    0           land      1          0
    1  land → browse      1          0
    2  land → coupon      1          1
    >>> r.best()["path"]
    'land → coupon'
    """
    n_steps = check_steps(steps)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidParameterError(f"n must be a positive integer, got {n!r}. Hint: n=10.")
    w_ns = int(pd.Timedelta(parse_window(window)).value)
    log, asof = open_log(events, tz=tz, as_of=as_of)
    e_code = event_code(log, entry, param="entry")
    t_code = event_code(log, target, param="target")
    if entry == target:
        raise InvalidParameterError(
            f"entry and target are the same event {entry!r}. Hint: the target is what entrants "
            "should reach afterwards."
        )
    o = order_events(
        log, ties=ties, include=include, exclude=exclude, group=group, until=until_ns(asof)
    )
    inside, first, fu = _entry_rows(o, e_code, w_ns)
    n_users = int((first >= 0).sum())
    if n_users == 0:
        warn_empty(
            f"No user has the entry event {entry!r} (at or before as_of)",
            hint="check the event name and as_of",
        )
    # first target after the entry, inside the window
    hit = inside & (o.event == t_code)
    tpos = np.full(len(log.users), np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.flatnonzero(hit)
    if hi.size:
        u, fi = np.unique(o.user[hi], return_index=True)
        tpos[u] = hi[fi]
    idx = np.arange(o.user.size, dtype=np.int64)
    before = inside & (idx < tpos[o.user])
    # the entry row itself is always the first item (even when excluded by include/exclude)
    label = o.label.copy()
    is_entry_row = inside & (idx == fu)
    keep = before & ((label >= 0) | is_entry_row)
    labels = o.labels
    if (label[is_entry_row] < 0).any():
        labels = pd.Index([*map(str, o.labels), entry], dtype=object).drop_duplicates()
        label[is_entry_row & (label < 0)] = labels.get_loc(entry)
    rows = np.flatnonzero(keep)
    unit, lab, user = o.user[rows], label[rows], o.user[rows]
    if collapse is not None:
        check_choice(collapse, ("first", "last"), "collapse")
        m = collapse_mask(unit, lab, collapse)
        unit, lab, user = unit[m], lab[m], user[m]
    pos = positions(unit)
    take = pos < n_steps
    pr = PathRows(
        unit=unit[take],
        user=user[take],
        label=lab[take],
        t=np.zeros(int(take.sum()), dtype=np.int64),
        labels=labels,
        n_units=0,
    )
    w = Window(rows=np.arange(pr.unit.size, dtype=np.int64), step=pos[take] + 1)
    uniq, inv, cnt, _, puser, _ = group_paths(pr, w, n_steps)
    conv_user = tpos != np.iinfo(np.int64).max
    converted = np.bincount(inv[conv_user[puser]], minlength=len(cnt)) if inv.size else cnt * 0
    total_conv = int(conv_user.sum())
    table = pd.DataFrame(
        {
            "path": path_strings(uniq, labels),
            "users": cnt,
            "converted": converted.astype(np.int64),
        }
    )
    table["conversion_rate"] = table["converted"] / table["users"]
    table["share_of_users"] = table["users"] / n_users
    table["share_of_converters"] = table["converted"] / total_conv if total_conv else np.nan
    table = table.sort_values(["users", "path"], ascending=[False, True]).head(n)
    return ConversionPathsResult(
        params={
            "entry": entry,
            "target": target,
            "window": pd.Timedelta(w_ns, unit="ns"),
            "steps": n_steps,
            "n": n,
            "collapse": collapse,
            "ties": ties,
        },
        as_of=None if asof is None else asof.stamp,
        table=table.reset_index(drop=True),
        users=n_users,
        converted=total_conv,
    )


# ============================================================================ core path


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class CorePathResult(TableResult):
    """Whether participants ran a core path through without detours, and where others left it.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per core step: ``step`` (0-based), ``name``, ``on_path`` (participants who did
        steps 0..step in order with no other event between), ``on_path_rate`` (over
        participants), ``left_after`` (of them, those whose next event was not the next core
        step, or who had no further event).
    detours : pandas.DataFrame
        Where participants left: ``after_step``, ``after_name``, ``next_event`` (the detour, or
        "(no further event)"), ``users``, ``share`` (of participants), most common first.
    participants : int
        Users with the first step.
    through : int
        Participants who ran every step in order without a detour.
    completed : int
        Participants who did every step in order within the window, detours allowed (the
        ordered funnel's conversion).
    """

    table: pd.DataFrame
    detours: pd.DataFrame
    participants: int
    through: int
    completed: int

    @property
    def through_rate(self) -> float:
        """Share of participants who ran the core path through without detours."""
        return self.through / self.participants if self.participants else float("nan")

    @property
    def completion_rate(self) -> float:
        """Share of participants who completed the steps in order, detours allowed."""
        return self.completed / self.participants if self.participants else float("nan")

    def plot(self, ax: Axes | None = None) -> Axes:
        """Bars of the share of participants still on the core path at each step.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import bar_chart

        s = self.table.set_index("name")["on_path_rate"]
        return bar_chart(s, ax=ax, title="Core path", ylabel="share on the core path")


def core_path(
    events: EventsLike,
    *,
    steps: Sequence[str] | Campaign,
    window: Any = "14D",
    ignore: Iterable[str] | str | None = None,
    collapse: bool = True,
    ties: Ties = "name",
    tz: str | None = None,
    as_of: DateLike | None = None,
) -> CorePathResult:
    """Share of a campaign's participants who ran its core path through without detours.

    Participants are the users with ``steps[0]``; each is followed from their first
    ``steps[0]`` for ``window``.  A participant stays on the core path while each next event is
    the next core step; the first other event is a detour (where they left).

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    steps : sequence of str or Campaign
        The core path as event names (at least 2), or a
        :class:`~useropslib.models.Campaign` whose participation funnel (attention → interest
        → weigh → action) is the core path; a stage naming several events is done by any of
        them.
    window : str or timedelta, default "14D"
        How long after the entry to follow participants (inclusive bound).
    ignore : str or sequence of str, optional
        Events that are not detours (background events such as ``"heartbeat"``).
    collapse : bool, default True
        Repeats of one event in a row count once (a reload of the same page is no detour).
    ties, tz, as_of
        As in :func:`transitions`.

    Returns
    -------
    CorePathResult

    Raises
    ------
    InvalidParameterError
        For fewer than 2 steps or more than 50, unknown names (with close names), a step also
        in ``ignore``.
    InsufficientDataError
        When no user has the first step.

    See Also
    --------
    conversion_paths : The most common paths after an entry and how each converted.
    useropslib.metrics.funnel : ``completed`` is its ordered conversion.

    Notes
    -----
    ``completed`` counts participants whose first entry was followed by every step in order
    within the window (Mixpanel's first-entry funnel), so ``through <= completed``.

    Examples
    --------
    >>> import pandas as pd
    >>> import useropslib as uo
    >>> df = pd.DataFrame({"user_id": ["a", "a", "a", "b", "b", "b"],
    ...     "event": ["land", "claim", "buy", "land", "browse", "claim"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:01",
    ...         "2024-01-01 10:02", "2024-01-01 11:00", "2024-01-01 11:02",
    ...         "2024-01-01 11:03"], utc=True)})
    >>> r = uo.paths.core_path(df, steps=["land", "claim", "buy"])
    >>> r.through, r.participants, r.table["on_path"].tolist()
    (1, 2, [2, 1, 1])
    """
    if isinstance(steps, Campaign):
        return _campaign_core_path(
            events,
            campaign=steps,
            window=window,
            ignore=ignore,
            collapse=collapse,
            ties=ties,
            tz=tz,
            as_of=as_of,
        )
    if isinstance(steps, str) or not isinstance(steps, Sequence) or len(steps) < 2:
        raise InvalidParameterError(
            f"steps must be a list of at least 2 event names, got {steps!r}. Hint: "
            "steps=['view_campaign', 'claim_coupon', 'purchase']."
        )
    check_steps(len(steps), name="len(steps)")
    check_bool(collapse, "collapse")
    w_ns = int(pd.Timedelta(parse_window(window)).value)
    log, asof = open_log(events, tz=tz, as_of=as_of)
    EventSelector.parse(list(steps), param="steps", allow_any=False)
    codes = event_codes(log, list(steps), param="steps")  # in step order; -1 = unknown
    if ignore is not None and not isinstance(ignore, (str, list, tuple, set, frozenset)):
        raise InvalidParameterError(
            f"Invalid ignore={type(ignore).__name__}. Expected an event name or a list of them. "
            "Hint: ignore=['open']."
        )
    ign = [] if ignore is None else ([ignore] if isinstance(ignore, str) else list(ignore))
    ign_codes = selected_codes(log, ign, param="ignore") if ign else np.empty(0, dtype=np.int64)
    both = set(codes.tolist()) & set(ign_codes.tolist())
    if both:
        raise InvalidParameterError(
            f"Event(s) {[str(log.event_names[c]) for c in sorted(both)]} are both core steps "
            "and ignored. Hint: remove them from ignore."
        )
    o = order_events(log, ties=ties, until=until_ns(asof))
    entry_code = int(codes[0])
    inside, first, _ = _entry_rows(o, entry_code, w_ns)
    participants = int((first >= 0).sum())
    if participants == 0:
        warn_empty(
            f"No user has the first core step {steps[0]!r} (at or before as_of)",
            hint="check the event name and as_of",
        )
    keep = inside & ~np.isin(o.event, ign_codes)
    rows = np.flatnonzero(keep)
    user, ev = o.user[rows], o.event[rows]
    if collapse:
        m = collapse_mask(user, ev, "first")
        user, ev = user[m], ev[m]
    pos = positions(user)
    k = len(steps)
    expected = np.r_[codes, -1]
    ok = (pos < k) & (ev == expected[np.minimum(pos, k)])
    bad_rows = np.flatnonzero(~ok & (pos <= k))
    # first deviation per participant: its position is how many core steps they did in a row
    done = np.full(len(log.users), -1, dtype=np.int64)
    stream_len = np.bincount(user, minlength=len(log.users))
    part = first >= 0
    done[part] = np.minimum(stream_len[part], k)
    next_ev = np.full(len(log.users), -1, dtype=np.int64)
    if bad_rows.size:
        u, fi = np.unique(user[bad_rows], return_index=True)
        at = bad_rows[fi]
        done[u] = np.minimum(pos[at], k)
        next_ev[u] = np.where(pos[at] < k, ev[at], -1)
    d = done[part]
    nx = next_ev[part]
    on_path = np.array([(d > j).sum() for j in range(k)], dtype=np.int64)
    left = on_path - np.r_[on_path[1:], (d >= k).sum()]
    table = pd.DataFrame(
        {
            "step": np.arange(k, dtype=np.int64),
            "name": [str(s) for s in steps],
            "on_path": on_path,
            "on_path_rate": on_path / max(participants, 1),
            "left_after": left.astype(np.int64),
        }
    )
    # detours: (last core step done, next event) for those who left
    gone = d < k
    names = np.asarray([*map(str, log.event_names), STOPPED], dtype=object)
    nx_name = names[np.where(nx[gone] >= 0, nx[gone], len(log.event_names))]
    det = pd.DataFrame({"after_step": d[gone] - 1, "next_event": nx_name})
    detours = det.groupby(["after_step", "next_event"], sort=False).size().rename("users")
    detours = detours.reset_index()
    detours.insert(
        1,
        "after_name",
        np.asarray([str(s) for s in steps], dtype=object)[detours["after_step"].to_numpy()],
    )
    detours["share"] = detours["users"] / max(participants, 1)
    detours = detours.sort_values(
        ["users", "after_step", "next_event"], ascending=[False, True, True]
    ).reset_index(drop=True)
    completed = 0
    if participants:
        from useropslib.metrics import funnel

        fun = funnel(
            log,
            list(steps),
            window=pd.Timedelta(w_ns, unit="ns").to_pytimedelta(),
            attempts="first",
            as_of=as_of,
            tz=tz,
        )
        completed = int(fun.table["users"].iloc[-1])
    return CorePathResult(
        params={
            "steps": list(steps),
            "window": pd.Timedelta(w_ns, unit="ns"),
            "ignore": ign or None,
            "collapse": collapse,
            "ties": ties,
        },
        as_of=None if asof is None else asof.stamp,
        table=table,
        detours=detours,
        participants=participants,
        through=int((d >= k).sum()),
        completed=completed,
    )


def _campaign_core_path(
    events: EventsLike,
    *,
    campaign: Campaign,
    window: Any,
    ignore: Iterable[str] | str | None,
    collapse: bool,
    ties: Any,
    tz: str | None,
    as_of: Any,
) -> CorePathResult:
    """Run :func:`core_path` through a campaign's participation funnel (stages of event names)."""
    funnel_ = campaign.funnel
    if funnel_ is None:
        raise InvalidParameterError(
            f"Campaign {campaign.id!r} has no participation funnel, so it has no core path. "
            "Hint: give it funnel=ParticipationFunnel(attention=..., action=...) or pass "
            "steps=[event names]."
        )
    log, _ = open_log(events, tz=tz, as_of=None)
    group: dict[str, str] = {}
    labels: list[str] = []
    for _, names in funnel_.stages:
        selected_codes(log, list(names), param="campaign funnel stage")
        label = " | ".join(names)
        for n in names:
            if n in group:
                raise InvalidParameterError(
                    f"Event {n!r} is in two stages of campaign {campaign.id!r}'s participation "
                    "funnel. Hint: each event may mark one stage only."
                )
            group[n] = label
        labels.append(label)
    relabelled = clean_log(log, group=group, ties="input" if ties == "input" else ties)
    res = core_path(
        relabelled,
        steps=labels,
        window=window,
        ignore=ignore,
        collapse=collapse,
        ties=ties,
        tz=tz,
        as_of=as_of,
    )
    stage_names = [stage for stage, _ in funnel_.stages]
    table = res.table.copy()
    table.insert(1, "stage", stage_names)
    return dataclasses.replace(
        res,
        params={**res.params, "campaign": campaign.id, "stages": stage_names},
        table=table,
    )
