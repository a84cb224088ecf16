"""Aha moments: early behaviours that go with retention, and the growth path of retained users.

For each candidate behaviour "did event X at least N times within the first D days after signup"
the 2x2 table against an outcome (retained in a later window, or converted) is built for every
event and every N at once: the (user, event) counts of the early window come from one
``np.unique`` of packed keys, and a ``bincount`` of (event, min(count, N_max)) with a reversed
cumulative sum gives the doers at every threshold.  No Python loop runs over users or events.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib._checks import is_real
from useropslib.events import EventLog, EventsLike
from useropslib.events._query import EventSelector, event_codes, require_data
from useropslib.events._time import stamp
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
)
from useropslib.models import ChurnDefinition, DateLike, parse_window
from useropslib.paths._query import (
    TableResult,
    event_code,
    first_time_per_user,
    open_log,
    selected_codes,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CAUSATION_CAVEAT", "AhaResult", "GrowthPathResult", "aha_moments", "growth_path"]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

#: The caveat every aha result carries (Amplitude Compass states the same).
CAUSATION_CAVEAT = (
    "Correlation, not cause: users who do X may be retained for other reasons (more motivated "
    "users do more of everything). Test a behaviour with an experiment before pushing users "
    "towards it."
)
_EMPTY_HINT = "pass a log with events"
_Z = {0.9: 1.6448536269514722, 0.95: 1.959963984540054, 0.99: 2.5758293035489004}


@dataclasses.dataclass(frozen=True)
class _Cohort:
    """Signup time and outcome of each observable user (codes into the log's users)."""

    users: I64
    signup: I64
    outcome: npt.NDArray[np.bool_]
    excluded: int


def _cohort(
    log: EventLog,
    *,
    signup_event: str | None,
    retained: Any,
    outcome_event: str | None,
    as_of_ns: int,
    censored: str = "exclude",
) -> tuple[_Cohort, dict[str, Any]]:
    """Signups and their outcome; users whose outcome cannot be seen yet are left out."""
    if not isinstance(censored, str) or censored not in ("exclude", "include"):
        raise InvalidParameterError(
            f"censored must be 'exclude' or 'include', got {censored!r}. Hint: 'exclude' waits "
            "for each signup's outcome window to end."
        )
    u = log.user_codes.astype(np.int64)
    t = log.timestamps_ns
    e = log.event_codes
    n_users = len(log.users)
    live = t <= as_of_ns
    big = np.iinfo(np.int64).max
    if signup_event is not None:
        live_signup = live & (e == event_code(log, signup_event, param="signup_event"))
    else:
        live_signup = live
    signup = first_time_per_user(u, t, live_signup, n_users)
    has = signup < big
    params: dict[str, Any] = {"signup_event": signup_event}
    if outcome_event is not None:
        if isinstance(retained, ChurnDefinition):
            raise InvalidParameterError(
                "Pass either outcome_event with a window (retained='14D') or a ChurnDefinition, "
                "not both."
            )
        o_code = event_code(log, outcome_event, param="outcome_event")
        win = int(pd.Timedelta(parse_window(retained)).value)
        m = live & (e == o_code) & has[u] & (t >= signup[u]) & (t <= signup[u] + win)
        outcome = np.zeros(n_users, dtype=bool)
        outcome[u[m]] = True
        observable = has & (signup + win <= as_of_ns)
        params.update(outcome_event=outcome_event, outcome_window=pd.Timedelta(win, unit="ns"))
        span = win
    elif isinstance(retained, ChurnDefinition):
        thr = int(pd.Timedelta(retained.threshold).value)
        acts = retained.activity_events
        act = live.copy()
        if acts:
            act &= np.isin(e, selected_codes(log, list(acts), param="activity_events"))
        last = np.full(n_users, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(last, u[act], t[act])
        outcome = (as_of_ns - last) < thr
        observable = has & (signup + thr <= as_of_ns)
        params.update(retained=retained.model_dump(mode="json"))
        span = thr
    else:
        if isinstance(retained, str) or not isinstance(retained, Sequence) or len(retained) != 2:
            raise InvalidParameterError(
                f"retained must be a (from, to) pair of windows after signup such as "
                f"('28D', '56D'), a ChurnDefinition, or a window with outcome_event; got "
                f"{retained!r}."
            )
        lo = int(pd.Timedelta(parse_window(retained[0])).value)
        hi = int(pd.Timedelta(parse_window(retained[1])).value)
        if hi <= lo:
            raise InvalidParameterError(
                f"retained window ends ({retained[1]!r}) at or before it starts "
                f"({retained[0]!r}). Hint: retained=('28D', '56D')."
            )
        m = live & has[u] & (t >= signup[u] + lo) & (t < signup[u] + hi)
        outcome = np.zeros(n_users, dtype=bool)
        outcome[u[m]] = True
        observable = has & (signup + hi <= as_of_ns)
        params.update(retained=(pd.Timedelta(lo, unit="ns"), pd.Timedelta(hi, unit="ns")))
        span = hi
    if censored == "include":
        observable = has
    n_obs = int(observable.sum())
    if n_obs == 0:
        first = int(signup[has].min()) if has.any() else None
        log_span = (
            "no signup at all"
            if first is None
            else f"the first signup is {pd.Timedelta(as_of_ns - first, unit='ns')} before as_of"
        )
        raise InsufficientDataError(
            f"No signup can be observed for the whole outcome window "
            f"({pd.Timedelta(span, unit='ns')} after signup): {log_span}. The retention window is "
            "longer than the log. Hint: use a shorter window, a later as_of or more data."
        )
    users = np.flatnonzero(observable).astype(np.int64)
    return (
        _Cohort(
            users=users,
            signup=signup[users],
            outcome=outcome[users],
            excluded=int(has.sum()) - n_obs,
        ),
        params,
    )


def _wilson(k: F64, n: F64, z: float) -> tuple[F64, F64]:
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        den = 1 + z * z / n
        mid = (p + z * z / (2 * n)) / den
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return mid - half, mid + half


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class AhaResult(TableResult):
    """Candidate aha moments ranked by their correlation with the outcome.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (event, threshold) with at least one doer, by ``phi`` descending:
        ``event``, ``threshold`` (did it at least this many times within ``within``),
        ``did_retained``, ``did_not_retained``, ``not_did_retained``, ``not_did_not_retained``
        (the 2x2 table; "retained" is the outcome), ``phi`` (Matthews / phi correlation),
        ``ppv`` (share of doers retained), ``coverage`` (share of retained users who did it),
        ``share_doing``, ``base_rate``, ``lift`` (``ppv / base_rate``), ``lift_ci_low`` /
        ``lift_ci_high`` (Wilson interval of the PPV over the base rate), ``odds_ratio``
        (PostHog's, with 1 added to each cell).
    best : pandas.DataFrame
        The threshold with the highest ``phi`` for each event, by ``phi`` descending.
    users : int
        Users in the cohort (signups whose outcome can be observed).
    retained : int
        Of them, users with the outcome.
    excluded : int
        Signups left out because their outcome window had not ended at ``as_of``.
    caveat : str
        Correlation, not cause.
    """

    table: pd.DataFrame
    best: pd.DataFrame
    users: int
    retained: int
    excluded: int
    caveat: str = CAUSATION_CAVEAT

    def plot(self, ax: Axes | None = None, *, top: int = 10) -> Axes:
        """Bars of the best threshold's phi for the ``top`` events.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
        top : int, default 10

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import bar_chart

        b = self.best.head(top)
        s = pd.Series(
            b["phi"].to_numpy(),
            index=[f"{e} >= {k}" for e, k in zip(b["event"], b["threshold"], strict=True)],
        )
        return bar_chart(s, ax=ax, title="Aha moments (correlation)", ylabel="phi", horizontal=True)


def aha_moments(
    events: EventsLike,
    *,
    within: Any = "7D",
    retained: Any = ("28D", "56D"),
    outcome_event: str | None = None,
    signup_event: str | None = None,
    candidates: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
    thresholds: Iterable[int] = range(1, 11),
    confidence: float = 0.95,
    censored: str = "exclude",
    as_of: DateLike | None = None,
    tz: str | None = None,
) -> AhaResult:
    """Rank "did X at least N times within D days of signup" by how it goes with retention.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    within : str or timedelta, default "7D"
        The early window after signup (events in ``(signup, signup + within]`` count; the
        signup event itself does not).
    retained : (str, str), ChurnDefinition or str, default ("28D", "56D")
        The outcome: active (any event) in ``[signup + from, signup + to)``; or not churned as of
        ``as_of`` under a :class:`~useropslib.models.ChurnDefinition`; or, with
        ``outcome_event``, the window after signup in which the outcome event must happen.
    outcome_event : str, optional
        Outcome "did this event within ``retained`` of signup" (a conversion, PostHog's
        funnel correlation) instead of retention.
    signup_event : str, optional
        The signup; default each user's first event.
    candidates : iterable of str, optional
        Events to test; default every event except the signup and outcome events.
    exclude : iterable of str, optional
        Events never tested.
    thresholds : iterable of int, default 1..10
        The N values.
    confidence : {0.9, 0.95, 0.99}, default 0.95
        Level of the lift interval.
    censored : {"exclude", "include"}, default "exclude"
        Signups whose outcome window has not ended at ``as_of``: left out (counted in
        ``excluded``), or kept with the outcome seen so far (PostHog's funnel correlation, which
        does not wait for windows to close).
    as_of : datetime-like, optional
        Analysis date; signups whose outcome window ends after it are left out (counted in
        ``excluded``).
    tz : str, optional
        Zone of a naive ``as_of``.

    Returns
    -------
    AhaResult
        With ``CAUSATION_CAVEAT`` as ``caveat``.

    Raises
    ------
    InvalidParameterError
        For unknown events (with close names), thresholds that are not positive integers, an
        unknown confidence, a malformed outcome.
    InsufficientDataError
        When no signup can be observed for the whole outcome window (the window is longer than
        the log).

    Warns
    -----
    InsufficientDataWarning
        For thresholds no user reaches with any candidate (dropped from the table).

    See Also
    --------
    growth_path : Median time to each first key action, retained against churned.
    indicator_comparison : Churned-vs-retained comparison of behaviours.

    Notes
    -----
    Amplitude Compass ranks by the phi (Matthews) correlation and shows PPV and coverage;
    PostHog's funnel correlation uses the odds ratio with a prior of 1 in every cell and never
    tests the funnel's own events (here the signup and outcome events).  Both warn that this
    is correlation, not cause.

    Examples
    --------
    >>> import pandas as pd
    >>> import useropslib as uo
    >>> t = pd.Timestamp("2024-01-01", tz="UTC")
    >>> rows = []
    >>> for i in range(8):
    ...     rows.append((f"u{i}", "signup", t))
    ...     if i < 4:
    ...         rows.append((f"u{i}", "invite", t + pd.Timedelta("1D")))
    ...     if i < 3 or i == 6:
    ...         rows.append((f"u{i}", "open", t + pd.Timedelta("30D")))
    >>> df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    >>> r = uo.churn.aha_moments(df, signup_event="signup", thresholds=[1],
    ...                          as_of="2024-03-31")
    >>> r.best[["event", "did_retained", "did_not_retained", "ppv", "coverage"]]
        event  did_retained  did_not_retained  ppv  coverage
    0  invite             3                 1 0.75      0.75
    """
    log, at = open_log(events, tz=tz, as_of=as_of, allow_before=False)
    require_data(log.n_events, "aha_moments: the log is empty; events", hint=_EMPTY_HINT)
    assert at is not None
    as_of_ns = at.ns
    w_ns = int(pd.Timedelta(parse_window(within)).value)
    if not is_real(confidence) or confidence not in _Z:
        raise InvalidParameterError(
            f"confidence must be one of {sorted(_Z)}, got {confidence!r}. Hint: 0.95."
        )
    if isinstance(thresholds, (str, bytes)) or not isinstance(thresholds, Iterable):
        raise InvalidParameterError(
            f"thresholds must be a list of positive integers, got {type(thresholds).__name__}. "
            "Hint: thresholds=[1, 2, 3, 5]."
        )
    try:
        ths = sorted({*thresholds})
    except TypeError:
        raise InvalidParameterError(
            "thresholds must be a list of positive integers. Hint: thresholds=[1, 2, 3, 5]."
        ) from None
    if not ths or any(
        isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1 for k in ths
    ):
        raise InvalidParameterError(
            f"thresholds must be positive integers, got {list(ths)!r}. Hint: range(1, 11)."
        )
    cohort, params = _cohort(
        log,
        signup_event=signup_event,
        retained=retained,
        outcome_event=outcome_event,
        as_of_ns=as_of_ns,
        censored=censored,
    )
    n_ev = len(log.event_names)
    cand = np.ones(n_ev, dtype=bool)
    if candidates is not None:
        cand[:] = False
        cand[selected_codes(log, candidates, param="candidates")] = True
    if exclude is not None:
        cand[selected_codes(log, exclude, param="exclude")] = False
    for name in (signup_event, outcome_event):
        if name is not None and name in set(map(str, log.event_names)):
            cand[log.event_code_of([name])] = False
    # early-window events of cohort users
    n_users = len(log.users)
    sign = np.full(n_users, -1, dtype=np.int64)
    sign[cohort.users] = cohort.signup
    u = log.user_codes.astype(np.int64)
    t = log.timestamps_ns
    e = log.event_codes.astype(np.int64)
    su = sign[u]
    m = (su >= 0) & (t > su) & (t <= su + w_ns) & (t <= as_of_ns) & cand[e]
    keys, cnt = np.unique(u[m] * n_ev + e[m], return_counts=True)
    ku, ke = keys // n_ev, keys % n_ev
    ret_of = np.zeros(n_users, dtype=bool)
    ret_of[cohort.users] = cohort.outcome
    kmax = int(ths[-1])
    capped = np.minimum(cnt, kmax)
    hist_all = np.bincount(ke * (kmax + 1) + capped, minlength=n_ev * (kmax + 1)).reshape(
        n_ev, kmax + 1
    )
    r = ret_of[ku]
    hist_ret = np.bincount(ke[r] * (kmax + 1) + capped[r], minlength=n_ev * (kmax + 1)).reshape(
        n_ev, kmax + 1
    )
    # doers at threshold N: users with count >= N (reverse cumulative sum over counts)
    did = np.cumsum(hist_all[:, ::-1], axis=1)[:, ::-1]
    did_ret = np.cumsum(hist_ret[:, ::-1], axis=1)[:, ::-1]
    th = np.asarray(ths, dtype=np.int64)
    ev_idx = np.flatnonzero(cand)
    d = did[np.ix_(ev_idx, th)].astype(np.float64).ravel()
    tp = did_ret[np.ix_(ev_idx, th)].astype(np.float64).ravel()
    n = float(cohort.users.size)
    pos = float(cohort.outcome.sum())
    fp = d - tp
    fn = pos - tp
    tn = n - pos - fp
    z = _Z[confidence]
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = (tp * tn - fp * fn) / np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
        ppv = tp / d
        coverage = tp / pos if pos else np.full_like(tp, np.nan)
        base = pos / n
        lo, hi = _wilson(tp, d, z)
        odds = ((tp + 1) * (tn + 1)) / ((fn + 1) * (fp + 1))
    table = pd.DataFrame(
        {
            "event": np.repeat(np.asarray(log.event_names, dtype=object)[ev_idx], th.size),
            "threshold": np.tile(th, ev_idx.size),
            "did_retained": tp.astype(np.int64),
            "did_not_retained": fp.astype(np.int64),
            "not_did_retained": fn.astype(np.int64),
            "not_did_not_retained": tn.astype(np.int64),
            "phi": phi,
            "ppv": ppv,
            "coverage": coverage,
            "share_doing": d / n,
            "base_rate": base,
            "lift": ppv / base if base else np.nan,
            "lift_ci_low": lo / base if base else np.nan,
            "lift_ci_high": hi / base if base else np.nan,
            "odds_ratio": odds,
        }
    )
    reached = d.reshape(ev_idx.size, th.size).max(axis=0) if ev_idx.size else th * 0
    unreached = [int(k) for k, v in zip(th, reached, strict=True) if v == 0]
    if unreached:
        warnings.warn(
            f"No user reaches threshold(s) {unreached} with any candidate event within "
            f"{pd.Timedelta(w_ns, unit='ns')} of signup; they are left out. Hint: use smaller "
            "thresholds or a longer within window.",
            InsufficientDataWarning,
            stacklevel=2,
        )
    table = table[d > 0]
    table = table.sort_values(
        ["phi", "event", "threshold"], ascending=[False, True, True], na_position="last"
    ).reset_index(drop=True)
    best = (
        table.dropna(subset=["phi"]).drop_duplicates("event", keep="first").reset_index(drop=True)
    )
    params.update(
        within=pd.Timedelta(w_ns, unit="ns"),
        thresholds=[int(k) for k in ths],
        confidence=confidence,
    )
    return AhaResult(
        params=params,
        as_of=stamp(as_of_ns, log.tz),
        table=table,
        best=best,
        users=int(n),
        retained=int(pos),
        excluded=cohort.excluded,
    )


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class GrowthPathResult(TableResult):
    """Time from signup to each first key action, retained against churned users.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (key event, group) with ``event``, ``group`` ("retained" / "churned"),
        ``users`` (in the group), ``did`` (did the event at least once after signup),
        ``share``, ``median_time`` and ``mean_time`` (timedelta from signup to the first
        occurrence, over those who did it).
    users : int
        Users in the cohort.
    caveat : str
        Correlation, not cause.
    """

    table: pd.DataFrame
    users: int
    caveat: str = CAUSATION_CAVEAT

    def plot(self, ax: Axes | None = None) -> Axes:
        """Bars of the median days to each first key action, retained and churned side by side.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import bar_chart

        s = pd.Series(
            self.table["median_time"].dt.total_seconds().to_numpy() / 86400,
            index=[
                f"{e} ({g})" for e, g in zip(self.table["event"], self.table["group"], strict=True)
            ],
        )
        return bar_chart(
            s, ax=ax, title="Growth path", ylabel="median days after signup", horizontal=True
        )


def growth_path(
    events: EventsLike,
    *,
    key_events: Sequence[str],
    retained: Any = ("28D", "56D"),
    outcome_event: str | None = None,
    signup_event: str | None = None,
    censored: str = "exclude",
    as_of: DateLike | None = None,
    tz: str | None = None,
) -> GrowthPathResult:
    """Median time from signup to each first key action, for retained and churned users.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    key_events : sequence of str
        The key actions, in the order to show them.
    retained, outcome_event, signup_event, censored, as_of, tz
        The cohort and outcome, as in :func:`aha_moments`.

    Returns
    -------
    GrowthPathResult

    Raises
    ------
    InvalidParameterError
        For unknown events (with close names) or an empty ``key_events``.
    InsufficientDataError
        When no signup can be observed for the whole outcome window.

    See Also
    --------
    aha_moments : Which early behaviours go with retention.

    Notes
    -----
    Each user's first occurrence after (or at) signup counts, however late; the ``share``
    column says how many got there at all.  Retained users look ahead, "what did retained,
    high-quality users do that others did not" (the operations practice's question).

    Examples
    --------
    >>> import pandas as pd
    >>> import useropslib as uo
    >>> t = pd.Timestamp("2024-01-01", tz="UTC")
    >>> df = pd.DataFrame({"user_id": ["a", "a", "a", "b", "b"],
    ...     "event": ["signup", "invite", "open", "signup", "invite"],
    ...     "timestamp": [t, t + pd.Timedelta("2D"), t + pd.Timedelta("30D"), t,
    ...                   t + pd.Timedelta("5D")]})
    >>> g = uo.churn.growth_path(df, key_events=["invite"], signup_event="signup",
    ...                          as_of="2024-03-31")
    >>> g.table[["event", "group", "users", "did", "median_time"]]
        event     group  users  did median_time
    0  invite  retained      1    1      2 days
    1  invite   churned      1    1      5 days
    """
    if isinstance(key_events, str) or not isinstance(key_events, Sequence) or not key_events:
        raise InvalidParameterError(
            f"key_events must be a non-empty list of event names, got {key_events!r}. Hint: "
            "key_events=['invite', 'first_purchase']."
        )
    log, at = open_log(events, tz=tz, as_of=as_of, allow_before=False)
    require_data(log.n_events, "growth_path: the log is empty; events", hint=_EMPTY_HINT)
    assert at is not None
    as_of_ns = at.ns
    EventSelector.parse(list(key_events), param="key_events", allow_any=False)
    codes = event_codes(log, [str(k) for k in key_events], param="key_events")  # -1: unknown
    cohort, params = _cohort(
        log,
        signup_event=signup_event,
        retained=retained,
        outcome_event=outcome_event,
        as_of_ns=as_of_ns,
        censored=censored,
    )
    n_users = len(log.users)
    sign = np.full(n_users, -1, dtype=np.int64)
    sign[cohort.users] = cohort.signup
    u = log.user_codes.astype(np.int64)
    t = log.timestamps_ns
    e = log.event_codes.astype(np.int64)
    k = len(codes)
    slot = np.full(len(log.event_names), -1, dtype=np.int64)
    known = codes >= 0
    slot[codes[known]] = np.flatnonzero(known)
    su = sign[u]
    m = (su >= 0) & (t >= su) & (t <= as_of_ns)
    first = first_time_per_user(u, t, m, n_users, slots=slot[e], k=k)[cohort.users]
    delay = first - cohort.signup[:, None]
    done = first != np.iinfo(np.int64).max
    rows = []
    for j, name in enumerate(key_events):
        for gname, gmask in (("retained", cohort.outcome), ("churned", ~cohort.outcome)):
            sel = gmask & done[:, j]
            vals = delay[sel, j]
            n_g = int(gmask.sum())
            rows.append(
                {
                    "event": str(name),
                    "group": gname,
                    "users": n_g,
                    "did": int(sel.sum()),
                    "share": sel.sum() / n_g if n_g else math.nan,
                    "median_time": pd.Timedelta(float(np.median(vals)), unit="ns")
                    if vals.size
                    else pd.NaT,
                    "mean_time": pd.Timedelta(float(vals.mean()), unit="ns")
                    if vals.size
                    else pd.NaT,
                }
            )
    table = pd.DataFrame(rows)
    table["median_time"] = pd.to_timedelta(table["median_time"])
    table["mean_time"] = pd.to_timedelta(table["mean_time"])
    return GrowthPathResult(
        params={**params, "key_events": list(key_events)},
        as_of=stamp(as_of_ns, log.tz),
        table=table,
        users=int(cohort.users.size),
    )
