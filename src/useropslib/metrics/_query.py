"""Shared calendar helpers of the metrics: a log with its calendar and qualifying events.

``_activity``, ``_lifecycle`` and ``_growth`` read logs through these: :func:`_prepare` turns the
first argument into a :class:`_Calendar` through the query layer (event selector, ``as_of``,
grain), :func:`_period_range` gives the analysed range under the one ``as_of`` policy, and the
distinct (user, period) kernels are shared.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.events import (
    EventLog,
    EventsLike,
    LazyEventLog,
    check_tz,
    period_codes,
    period_starts,
)
from useropslib.events._query import (
    AsOf,
    EventSelector,
    Grain,
    calendar_probe,
    check_grain,
    check_instant,
    index_period_codes,
    load,
    named_events,
    named_mask,
    raw_names,
    resolve_as_of,
    user_index,
    warn_empty,
)
from useropslib.exceptions import InvalidParameterError, UseropsError, did_you_mean
from useropslib.models import PERIODS, Period, WeekStart, parse_period, parse_week_start

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
EventSpec = Any

_NS_PER_DAY = 86_400_000_000_000
# distinct pairs use a bitmap of users x periods (one byte a cell) up to this many cells, or up to
# 24 cells per event (about the size of the encoded events), and one sort beyond
_BITMAP_CELLS = 1 << 27
_CELLS_PER_EVENT = 24


# ============================================================================ shared helpers
@dataclasses.dataclass(frozen=True)
class _Calendar:
    """A log with the calendar (zone, week start) and the qualifying-event mask of one call."""

    log: EventLog
    tz: str
    week_start: int
    mask: Bools | None
    when: AsOf | None = None

    @property
    def n_users(self) -> int:
        return len(self.log.users)

    def codes(self, period: Period) -> I64:
        """Per-event period codes of every event (cached by the log)."""
        return self.log.period_codes(period, tz=self.tz, week_start=self.week_start)

    def code_of(self, ns: int, period: Period) -> int:
        arr = np.array([ns], dtype=np.int64)
        return int(period_codes(arr, period, tz=self.tz, week_start=self.week_start)[0])

    def starts(self, codes: npt.ArrayLike, period: Period) -> pd.DatetimeIndex:
        idx = self.log.period_starts(codes, period, tz=self.tz, week_start=self.week_start)
        out: pd.DatetimeIndex = idx.rename("period_start")
        return out

    def select(self, period: Period, lo: int, hi: int) -> tuple[npt.NDArray[np.int32], I64]:
        """User codes and period codes of the qualifying events with ``lo <= code <= hi``."""
        codes = self.codes(period)
        users = self.log.user_codes
        if codes.size == 0:
            return users, codes
        keep = self.mask
        if int(codes.min()) < lo or int(codes.max()) > hi:
            inside = (codes >= lo) & (codes <= hi)
            keep = inside if keep is None else keep & inside
        if keep is None:
            return users, codes
        return users[keep], codes[keep]

    def qualifying_codes(self, period: Period) -> I64:
        codes = self.codes(period)
        return codes if self.mask is None else codes[self.mask]


def _prepare(
    events: EventsLike,
    activity_events: Any,
    tz: str | None,
    week_start: WeekStart | int | None,
    *,
    grain: Grain | None = "day",
    subset: bool = True,
    as_of: Any = None,
) -> _Calendar:
    # a lazy log collects the roll-up to `grain` (exact rows without grain) of the counted
    # events, or of every event when first-ever activity matters (subset=False)
    sel = EventSelector.parse(activity_events, param="activity_events")
    log = load(events, sel, grain=grain, all_events=not subset, tz=tz, week_start=week_start)
    check_grain(log, "events" if grain is None else grain, "this metric")
    z = log.tz if tz is None else check_tz(tz)
    ws = log.week_start if week_start is None else parse_week_start(week_start)
    when = resolve_as_of(log, as_of, tz=z, allow_before=True)
    mask = sel.mask(log)
    late = None if when is None else when.mask(log)
    if late is not None:
        mask = late if mask is None else mask & late
    return _Calendar(log=log, tz=z, week_start=ws, mask=mask, when=when)


def grain_of(period: Any) -> Grain:
    """Return the roll-up a period or window needs: the calendar period itself, else days."""
    try:
        p: Grain = parse_period(period)
    except (UseropsError, TypeError, ValueError):
        return "day"
    return p


def _instant(cal: _Calendar, value: Any, name: str) -> int | None:
    return check_instant(value, tz=cal.tz, name=name)


def _bounds_ns(cal: _Calendar, start: Any, end: Any) -> tuple[int | None, int | None]:
    s = _instant(cal, start, "start")
    e = _instant(cal, end, "end")
    if s is not None and e is not None and e < s:
        raise InvalidParameterError(
            f"end={end!r} is before start={start!r}. Expected start <= end (both bounds are "
            "inclusive: the whole period containing each counts). Hint: swap them."
        )
    return s, e


def _period_range(
    cal: _Calendar, period: Period, start: Any, end: Any, *, by_index: bool = False
) -> tuple[int, int] | None:
    """First and last period code of the analysed range, or None when it cannot be formed.

    ``start`` defaults to the first qualifying event, ``end`` to the last period shown at
    ``as_of`` (none that starts at or after a given ``as_of``); the whole period containing
    each bound is included.  ``by_index`` reads the codes in the per-user index's order (for
    kernels that read them so anyway: one computation of the codes instead of two).
    """
    s_ns, e_ns = _bounds_ns(cal, start, end)
    if s_ns is None:
        codes = _index_qualifying_codes(cal, period) if by_index else cal.qualifying_codes(period)
        if codes.size == 0:
            return None
        lo = int(codes.min())
    else:
        lo = cal.code_of(s_ns, period)
    if e_ns is None:
        if cal.when is None:
            return None
        e_ns = cal.when.horizon_ns - 1
    hi = cal.code_of(e_ns, period)
    if hi < lo:
        return None
    return lo, hi


def _composite_key(
    major: npt.NDArray[np.int32] | I64, scale: int, minor: I64, offset: int, cells: int
) -> npt.NDArray[np.int32] | I64:
    """``major * scale + minor - offset`` in int32 when every key fits (half the memory of int64).

    ``minor`` is added in place through an unsafe cast, so no int64 temporary of the events'
    length is made; the caller guarantees ``0 <= key < cells``.
    """
    dtype = np.int32 if cells < np.iinfo(np.int32).max else np.int64
    key = np.multiply(major, scale, dtype=dtype)
    key -= offset
    np.add(key, minor, out=key, casting="unsafe")
    return key


def _distinct_pairs(
    users: npt.NDArray[np.int32] | I64, codes: I64, lo: int, hi: int, n_users: int
) -> tuple[I64, I64]:
    """Distinct (user, code) pairs for codes in ``[lo, hi]``, sorted by user then code.

    A boolean bitmap over users x codes replaces the sort when it is small enough (one scatter and
    one scan); otherwise one sort of the composite keys.
    """
    if users.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty.copy()
    span = hi - lo + 1
    cells = n_users * span
    key = _composite_key(users, span, codes, lo, cells)
    if cells <= max(_BITMAP_CELLS, _CELLS_PER_EVENT * key.size):
        seen = np.zeros(cells, dtype=bool)
        seen[key] = True
        del key
        flat: I64 = np.flatnonzero(seen)
        del seen
    else:
        key.sort()
        flat = key[np.r_[True, key[1:] != key[:-1]]].astype(np.int64)
        del key
    u, c = np.divmod(flat, span)
    c += lo
    return u, c


def _pair_counts(
    users: npt.NDArray[np.int32] | I64, codes: I64, lo: int, hi: int, n_users: int
) -> tuple[I64, I64, I64]:
    """Like :func:`_distinct_pairs`, with the number of events of each pair."""
    if users.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    span = hi - lo + 1
    cells = n_users * span
    key = _composite_key(users, span, codes, lo, cells)
    if cells <= max(_BITMAP_CELLS // 8, _CELLS_PER_EVENT // 8 * key.size):
        counts_all = np.bincount(key, minlength=cells)
        uniq = np.flatnonzero(counts_all)
        counts = counts_all[uniq]
    else:
        # np.unique is many times slower than a plain sort on large arrays (numpy 2.4)
        key.sort()
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        uniq = key[starts].astype(np.int64)
        counts = np.diff(np.r_[starts, key.size])
    u, c = np.divmod(uniq, span)
    c += lo
    return u, c, counts.astype(np.int64)


def _next_same_user(u: I64, c: I64, sentinel: int) -> I64:
    """For sorted (user, code) pairs: the next code of the same user, else ``sentinel``."""
    nxt = np.full(c.size, sentinel, dtype=np.int64)
    if c.size > 1:
        same = u[1:] == u[:-1]
        nxt[:-1] = np.where(same, c[1:], sentinel)
    return nxt


def _first_day(codes: I64, period: Period, week_start: int) -> I64:
    """Local day code of the first day of each period code."""
    c = np.asarray(codes, dtype=np.int64)
    if period == "day":
        same: I64 = c.copy()
        return same
    if period == "week":
        out: I64 = 7 * c - (3 - week_start) % 7
        return out
    if period == "month":
        days: I64 = c.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
        return days
    hours: I64 = c // 24
    return hours


def _day_to(days: I64, period: Period, week_start: int) -> I64:
    """Period code (day, week or month) of each local day code."""
    if period == "day":
        return days
    if period == "week":
        out: I64 = (days + (3 - week_start) % 7) // 7
        return out
    months: I64 = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months


def _warn_empty(what: str, stacklevel: int = 3) -> None:
    warn_empty(
        f"{what}: no qualifying event in the analysed range",
        hint="check start, end, as_of and event",
        stacklevel=stacklevel + 1,
    )


def _empty_index(tz: str) -> pd.DatetimeIndex:
    out: pd.DatetimeIndex = pd.DatetimeIndex([], dtype=f"datetime64[ns, {tz}]", name="period_start")
    return out


GroupSpec = str | pd.Series | Mapping[Any, Any] | None
"""How users are grouped: a calendar period, a property column, or a user id -> group mapping."""
_NS_MAX = np.iinfo(np.int64).max


# ============================================================================ shared helpers


def _as_of_ns(log: EventLog, as_of: Any) -> int | None:
    """Return a metric's "now" under the one as_of policy (None: an empty log)."""
    when = resolve_as_of(log, as_of, allow_before=True)
    return None if when is None else when.ns


def _names(value: Any, param: str) -> list[str]:
    """Turn one event name or a list of them into a non-empty list of names."""
    return named_events(value, param=param)


def _event_mask(log: EventLog, value: Any, param: str) -> npt.NDArray[np.bool_]:
    """Events matching ``value`` (absent names match nothing, with a warning)."""
    return named_mask(log, value, param=param)


def spec_names(spec: Any) -> list[str] | None:
    """Return the event names an event spec reads (None: any event), to collect a lazy log."""
    try:
        names = EventSelector.parse(spec).names
    except InvalidParameterError:
        return None  # the function reports the malformed spec itself
    return None if names is None else list(names)


def _property(log: EventLog, name: str, param: str) -> pd.Series:
    """One property column of the log, or a helpful error naming the close columns."""
    props = log.properties
    if name not in props.columns:
        cols = [str(c) for c in props.columns]
        close = did_you_mean(name, cols)
        hint = f"did you mean {close[0]!r}?" if close else "build the log with that column kept"
        raise InvalidParameterError(
            f"Unknown property {param}={name!r}. Expected one of the log's property columns "
            f"{cols}. Hint: {hint}"
        )
    col: pd.Series = props[name]
    return col


def _factorize_sorted(values: Any) -> tuple[npt.NDArray[np.int64], pd.Index]:
    """Codes of values in sorted-label order (row order does not matter); mixed types by text."""
    arr = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    try:
        codes, uniques = pd.factorize(arr, sort=True)
    except TypeError:
        text = np.asarray([str(v) for v in pd.unique(arr)], dtype=object)
        order = np.argsort(text, kind="stable")
        uniq = pd.unique(arr)[order]
        codes = pd.Index(uniq, dtype=object).get_indexer(arr)
        uniques = uniq
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques)


@dataclasses.dataclass(frozen=True)
class _Groups:
    codes: npt.NDArray[np.int64]  # per user code, -1 = no group
    labels: pd.Index
    name: str
    kind: str  # "all", "period", "property" or "mapping"


def _user_groups(
    log: EventLog,
    by: GroupSpec,
    *,
    anchor_ns: npt.NDArray[np.int64],
    event_mask: npt.NDArray[np.bool_] | None = None,
    tz: str | None = None,
    week_start: int | None = None,
    param: str = "breakdown",
    periods_allowed: bool = True,
) -> _Groups:
    """Assign every user code to a group.

    ``by`` is None (one group ``"all"``), a calendar period of the anchor time, a property column
    (the value on the user's earliest event carrying one: first touch), or a mapping / Series
    from user id to group.
    """
    n_users = len(log.users)
    has = anchor_ns != _NS_MAX
    if by is None:
        return _Groups(
            codes=np.where(has, 0, -1).astype(np.int64),
            labels=pd.Index(["all"], dtype=object),
            name="cohort",
            kind="all",
        )
    if isinstance(by, str):
        if periods_allowed and by.lower() in PERIODS:
            p = parse_period(by)
            z = log.tz if tz is None else tz
            ws = log.week_start if week_start is None else week_start
            codes = np.full(n_users, -1, dtype=np.int64)
            pc = period_codes(anchor_ns[has], p, tz=z, week_start=ws)
            uniq, inv = np.unique(pc, return_inverse=True)
            codes[has] = inv
            starts: pd.Index = pd.Index(period_starts(uniq, p, tz=z, week_start=ws))
            return _Groups(codes=codes, labels=starts, name="cohort", kind="period")
        if log.n_events == 0:
            # nothing to group (empty-data policy): a missing property is not an error here
            codes = np.full(n_users, -1, dtype=np.int64)
            return _Groups(codes=codes, labels=pd.Index([], dtype=object), name=by, kind="property")
        col = _property(log, by, param)
        nn = col.notna().to_numpy(dtype=bool)
        if event_mask is not None:
            nn = nn & event_mask
        idx = np.flatnonzero(nn)
        codes = np.full(n_users, -1, dtype=np.int64)
        if idx.size == 0:
            return _Groups(codes=codes, labels=pd.Index([], dtype=object), name=by, kind="property")
        vcodes, labels = _factorize_sorted(col.to_numpy()[idx])
        u = log.user_codes[idx]
        order = np.lexsort((vcodes, log.timestamps_ns[idx], u))
        us = u[order]
        first = np.r_[True, us[1:] != us[:-1]]
        codes[us[first]] = vcodes[order][first]
        return _Groups(codes=codes, labels=labels, name=by, kind="property")
    spec: Any = by
    if isinstance(spec, pd.DataFrame):
        raise InvalidParameterError(
            f"Invalid {param}: got a DataFrame. Expected a period name, a property column name, "
            "or a Series / mapping from user id to group. Hint: pass "
            f"{param}=frame.set_index('user_id')['channel']."
        )
    if isinstance(by, pd.Series | Mapping):
        ser = by if isinstance(by, pd.Series) else pd.Series(dict(by), dtype=object)
        if not ser.index.is_unique:
            dup = ser.index[ser.index.duplicated()].unique().tolist()[:5]
            raise InvalidParameterError(
                f"Invalid {param}: user ids {dup} appear more than once. Expected one group per "
                "user. Hint: drop the duplicates first."
            )
        ser = ser[ser.notna()]
        vcodes, labels = _factorize_sorted(ser.to_numpy())
        pos = ser.index.get_indexer(log.users)
        codes = np.where(pos >= 0, vcodes[np.maximum(pos, 0)] if vcodes.size else -1, -1)
        codes = np.asarray(codes, dtype=np.int64)
        if has.any() and not (codes[has] >= 0).any():
            example = list(map(str, log.users[np.flatnonzero(has)[:3]]))
            given = list(map(str, ser.index[:3]))
            raise InvalidParameterError(
                f"No user of the log is in {param}. Expected its index to hold user ids such as "
                f"{example}; got ids such as {given}. Hint: check the id type (str vs int)."
            )
        name = str(ser.name) if isinstance(by, pd.Series) and ser.name is not None else "group"
        return _Groups(codes=codes, labels=labels, name=name, kind="mapping")
    raise InvalidParameterError(
        f"Invalid {param}={by!r} of type {type(by).__name__}. Expected None, a period "
        f"({list(PERIODS)}), a property column name, or a Series / mapping from user id to group."
    )


def _first_ns_per_user(
    n_users: int, users: npt.NDArray[np.int32], ts: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    out = np.full(n_users, _NS_MAX, dtype=np.int64)
    np.minimum.at(out, users, ts)
    return out


def _anchor_ns(
    log: EventLog, signup_event: str | Sequence[str] | None, keep: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int64]:
    """First event (or first ``signup_event``) per user code among ``keep``; int64 max if none."""
    mask = keep if signup_event is None else keep & _event_mask(log, signup_event, "signup_event")
    return _first_ns_per_user(len(log.users), log.user_codes[mask], log.timestamps_ns[mask])


def _check_week_start(week_start: WeekStart | int | None) -> int | None:
    return None if week_start is None else parse_week_start(week_start)


def _q_label(q: float) -> str:
    return f"p{q * 100:g}"


def _check_quantiles(quantiles: Sequence[float]) -> list[float]:
    qs = list(quantiles)
    if any(isinstance(q, bool) or not isinstance(q, int | float) or not 0 <= q <= 1 for q in qs):
        raise InvalidParameterError(
            f"Invalid quantiles={quantiles!r}. Expected numbers between 0 and 1. Hint: "
            "quantiles=(0.25, 0.75, 0.9)."
        )
    return [float(q) for q in qs]


def _timedelta(values: Any) -> Any:
    arr = np.asarray(values, dtype=np.float64)
    return pd.to_timedelta(np.round(arr), unit="ns")


# ============================================================================ status flows
@dataclasses.dataclass(frozen=True)
class _Flow:
    """Per-period counts over ``lo .. hi`` of the pool of active users."""

    active: I64
    new: I64
    returning: I64
    resurrecting: I64
    dormant: I64
    prev_active: int  # active users in the period before lo
    any_data: bool


def _pairs_with_lookback(
    cal: _Calendar, period: Period, lo: int, hi: int, *, by_index: bool = False
) -> tuple[I64, I64]:
    """Distinct qualifying (user, period) pairs over ``lo - 1 .. hi`` (sorted by user, period).

    ``by_index`` reads them from the per-user index (see :func:`_index_pairs`).
    """
    if by_index and cal.log.n_events:
        return _index_pairs(cal, period, lo - 1, hi)
    users, codes = cal.select(period, lo - 1, hi)
    return _distinct_pairs(users, codes, lo - 1, hi, cal.n_users)


def _index_qualifying_codes(cal: _Calendar, period: Period) -> I64:
    """Return the qualifying events' period codes, in the per-user index's order."""
    if not cal.log.n_events:
        return cal.qualifying_codes(period)
    codes = index_period_codes(cal.log, period, tz=cal.tz, week_start=cal.week_start)
    return codes if cal.mask is None else codes[user_index(cal.log).take(cal.mask)]


def _index_pairs(cal: _Calendar, period: Period, lo: int, hi: int) -> tuple[I64, I64]:
    """Distinct qualifying (user, code) pairs for codes in ``[lo, hi]``, sorted, from the index.

    In the per-user index each user's events follow time, so the events of one (user, period)
    pair are neighbours: the first of each run is kept, one comparison with the previous
    event, no bitmap and no sort.  Only where a zone's clock moves back over a period boundary
    (a code steps back within a user) do the kept pairs go through :func:`_distinct_pairs`.
    """
    idx = user_index(cal.log)
    codes = index_period_codes(cal.log, period, tz=cal.tz, week_start=cal.week_start)
    n = codes.size
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(codes[1:], codes[:-1], out=new[1:])
    starts = idx.offsets[:-1]
    new[starts[starts < n]] = True  # each user's first event
    if cal.mask is not None:
        mask = idx.take(cal.mask)
        new[1:] |= ~mask[:-1]  # the event before was not counted: this one starts a run
        new &= mask
    if int(codes.min()) < lo or int(codes.max()) > hi:  # two reads instead of two masks
        new &= codes >= lo
        new &= codes <= hi
    pos = np.flatnonzero(new)
    u = idx.users().take(pos).astype(np.int64)
    c = codes.take(pos)
    if c.size > 1 and bool(((c[1:] <= c[:-1]) & (u[1:] == u[:-1])).any()):
        return _distinct_pairs(u, c, lo, hi, cal.n_users)
    return u, c


def _active_before(
    cal: _Calendar, period: Period, cutoff: int, *, qualifying: bool, by_index: bool = False
) -> npt.NDArray[np.bool_] | None:
    """Per user: any (qualifying) event in a period before ``cutoff``; None when nobody has.

    ``by_index`` reads the codes in the per-user index's order.
    """
    by_index = by_index and cal.log.n_events > 0
    if by_index:
        idx = user_index(cal.log)
        codes = index_period_codes(cal.log, period, tz=cal.tz, week_start=cal.week_start)
    else:
        codes = cal.codes(period)
    if codes.size == 0 or int(codes.min()) >= cutoff:
        return None
    early = codes < cutoff
    if qualifying and cal.mask is not None:
        early &= idx.take(cal.mask) if by_index else cal.mask
    if not early.any():
        return None
    out = np.zeros(cal.n_users, dtype=bool)
    out[(idx.users() if by_index else cal.log.user_codes)[early]] = True
    return out


def _flow(u: I64, p: I64, lo: int, hi: int, is_new: npt.NDArray[np.bool_]) -> _Flow:
    """Count statuses from sorted distinct (user, period) pairs over ``lo - 1 .. hi``."""
    span = hi - lo + 1
    n = p.size
    has_prev = np.zeros(n, dtype=bool)  # the same user was active in the period before
    if n > 1:
        np.equal(u[1:], u[:-1], out=has_prev[1:])
        has_prev[1:] &= np.subtract(p[1:], p[:-1]) == 1
    has_next = np.zeros(n, dtype=bool)
    has_next[:-1] = has_prev[1:]
    # status 0 new, 1 returning, 2 resurrecting: (2 - has_prev) unless new
    cat = np.subtract(2, has_prev, dtype=np.int8)
    cat[is_new] = 0
    # one bincount over (period - (lo - 1), status): the lookback period's bins are dropped
    key = p - (lo - 1)
    key *= 3
    key += cat
    del cat
    grid = np.bincount(key, minlength=3 * (span + 1))[3:].reshape(span, 3)
    prev_active = int(np.count_nonzero(key < 3))
    del key
    gone = ~has_next
    gone &= p < hi
    dormant = np.bincount(p[gone] + 1 - lo, minlength=span)
    new, returning, resurrecting = (grid[:, i].astype(np.int64) for i in range(3))
    return _Flow(
        active=grid.sum(axis=1).astype(np.int64),
        new=new,
        returning=returning,
        resurrecting=resurrecting,
        dormant=dormant.astype(np.int64),
        prev_active=prev_active,
        any_data=bool(n),
    )


def _ratio(num: npt.ArrayLike, den: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Elementwise num / den with NaN where den is 0."""
    n = np.asarray(num, dtype=np.float64)
    d = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(n, d).shape, np.nan)
    np.divide(n, d, out=out, where=d != 0)
    return out


def _accounting_frames(
    flow: Any, seen_before: int, index: pd.Index
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Growth accounting's counts and rates from one period flow (in memory and in the engine).

    ``flow`` holds per-period ``active``, ``new``, ``returning``, ``resurrecting``, ``dormant``
    and the users active in the period before the range (``prev_active``); ``seen_before``
    counts the users with qualifying activity before the range (the pool's start).
    """
    prev = np.r_[flow.prev_active, flow.active[:-1]].astype(np.int64)
    ever = seen_before + np.cumsum(flow.new)
    counts = pd.DataFrame(
        {
            "active": flow.active,
            "new": flow.new,
            "retained": flow.returning,
            "resurrected": flow.resurrecting,
            "churned": flow.dormant,
            "net_change": flow.active - prev,
            "ever_active": ever.astype(np.int64),
            "lapsed": (ever - flow.active).astype(np.int64),
        },
        index=index,
    )
    rates = pd.DataFrame(
        {
            "quick_ratio": _ratio(flow.new + flow.resurrecting, flow.dormant),
            "retention_rate": _ratio(flow.returning, prev),
            "churn_rate": _ratio(flow.dormant, prev),
            "growth_rate": _ratio(flow.active - prev, prev),
        },
        index=index,
    )
    return counts, rates


def _lazy_calendar(
    events: LazyEventLog, activity_events: Any, tz: str | None, week_start: Any, as_of: Any
) -> tuple[_Calendar, list[Any] | None, int | None]:
    """Return a lazy call's calendar (on an empty log), the qualifying names and the last instant.

    Shared by the metrics answered whole in the engine: the zone, week start and ``as_of`` are
    resolved as in memory, and unknown event names warn (or raise when strict) here, as the
    in-memory mask does.
    """
    sel = EventSelector.parse(activity_events, param="activity_events")
    probe = calendar_probe(events)
    z = probe.tz if tz is None else check_tz(tz)
    ws = probe.week_start if week_start is None else parse_week_start(week_start)
    when = resolve_as_of(probe, as_of, tz=z, allow_before=True)
    names = None if sel.is_any else raw_names(events, sel.codes(probe).tolist())
    cal = _Calendar(log=probe, tz=z, week_start=ws, mask=None, when=when)
    return cal, names, None if when is None else when.ns
