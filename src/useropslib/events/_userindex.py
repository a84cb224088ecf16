"""The per-user index of an event log: its rows ordered by (user, time), with per-user offsets.

Kernels that read each user's events in time order (funnels, sessions and paths, per-user first
and last times, churn gaps, RFM) share one ordering instead of sorting again on every call.  The
index is built on first use and cached on the log; views of the same events (``with_tz``,
``with_week_start``) share it, and filtered views (``between``, ``until``, ``filter_events``,
``filter_users``) derive theirs from their parent's in one linear pass instead of sorting.

Layout (CSR, "compressed sparse rows"):

``order``
    int32 (int64 beyond 2**31 - 1 events): row positions of the log sorted by user code, then
    time, then row position (so events at the same instant keep the log's row order).
``offsets``
    int64, ``n_users + 1`` entries: the rows of user code ``u`` are
    ``order[offsets[u]:offsets[u + 1]]``; a user without events in this log has an empty run.

Memory: 4 bytes per event plus 8 bytes per user (48 MB at 10M events and 1M users).  When the
log's rows are already sorted by (user, time), ``order`` is not stored at all (``sorted_rows``
is True) and the index is just the offsets.  The columns in index order (:meth:`UserIndex.users`,
:meth:`UserIndex.times`, :meth:`UserIndex.events`) are built on first use and cached with the
index: 4, 8 and 1-4 bytes per event.

Build cost: when the log's times never decrease in row order (logs are usually written in time
order), one ``np.sort`` of a packed ``user << row_bits | row`` int64 key, which is a stable sort by
user and therefore a (user, time) order; otherwise a stable ``argsort`` of the times first.  No
Python loop runs over users or events.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from useropslib.events._time import period_codes

if TYPE_CHECKING:
    from useropslib.events._eventlog import EventLog

__all__ = ["UserIndex", "build_user_index", "has_user_index", "index_period_codes", "user_index"]

_CACHE_KEY = "user_index"
_PARENT_KEY = "user_index_parent"
_I32_MAX = np.iinfo(np.int32).max


def _readonly(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    a.flags.writeable = False
    return a


def _narrow(codes: npt.NDArray[Any], n_values: int) -> npt.NDArray[Any]:
    """Cast codes below ``n_values`` to the narrowest integer dtype that holds them."""
    for dtype in (np.uint8, np.uint16, np.int32):
        if n_values <= np.iinfo(dtype).max:
            return codes.astype(dtype, copy=False)
    return codes


class UserIndex:
    """Rows of an event log ordered by (user, time, row), with per-user offsets.

    Use :func:`user_index` to get a log's index (built once, cached on the log).

    Attributes
    ----------
    offsets : ndarray of int64
        ``n_users + 1`` entries; user code ``u`` owns positions ``offsets[u]:offsets[u + 1]``
        of the index order.
    sorted_rows : bool
        The log's rows are already in (user, time) order: position and row are the same and no
        ``order`` array is stored.
    """

    def __init__(
        self,
        *,
        order: npt.NDArray[np.integer[Any]] | None,
        offsets: npt.NDArray[np.int64],
        user_codes: npt.NDArray[np.int32],
        ts_ns: npt.NDArray[np.int64],
        event_codes: npt.NDArray[np.int32],
        n_event_names: int,
    ) -> None:
        self._order = None if order is None else _readonly(order)
        self.offsets = _readonly(offsets)
        self.sorted_rows = order is None
        self._n_events = int(user_codes.size)
        self._uc = user_codes
        self._ts = ts_ns
        self._ev = (event_codes, n_event_names)

    @property
    def n_events(self) -> int:
        """Number of events (positions) in the index."""
        return self._n_events

    @property
    def n_users(self) -> int:
        """Number of user codes (the log's vocabulary size, users without events included)."""
        return int(self.offsets.size - 1)

    @property
    def order(self) -> npt.NDArray[np.integer[Any]]:
        """Row positions in index order (an ``arange`` when the rows are already sorted)."""
        if self._order is None:
            return _readonly(np.arange(self._n_events, dtype=np.int64))
        return self._order

    def take(self, column: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Return a per-event column of the log in index order (a new array, or the column)."""
        if self._order is None:
            return column
        out: npt.NDArray[Any] = column[self._order]
        return out

    def rows(self, positions: npt.NDArray[np.integer[Any]]) -> npt.NDArray[np.int64]:
        """Return the log rows at index ``positions`` (int64)."""
        if self._order is None:
            return np.asarray(positions, dtype=np.int64)
        out: npt.NDArray[np.int64] = self._order[positions].astype(np.int64)
        return out

    @functools.cached_property
    def counts(self) -> npt.NDArray[np.int64]:
        """Events per user code."""
        return _readonly(np.diff(self.offsets))

    @functools.cached_property
    def _users(self) -> npt.NDArray[np.int32]:
        out = np.repeat(np.arange(self.n_users, dtype=np.int32), self.counts)
        return _readonly(out)

    def users(self) -> npt.NDArray[np.int32]:
        """User code of every position (non-decreasing; cached)."""
        out: npt.NDArray[np.int32] = self._users
        return out

    @functools.cached_property
    def _times(self) -> npt.NDArray[np.int64]:
        return _readonly(np.ascontiguousarray(self.take(self._ts)))

    def times(self) -> npt.NDArray[np.int64]:
        """UTC nanoseconds of every position (non-decreasing within a user; cached)."""
        out: npt.NDArray[np.int64] = self._times
        return out

    @functools.cached_property
    def _events(self) -> npt.NDArray[Any]:
        codes, n_names = self._ev
        return _readonly(_narrow(self.take(codes), n_names))

    def events(self) -> npt.NDArray[Any]:
        """Event code of every position, in the narrowest integer dtype that holds them (cached)."""
        out: npt.NDArray[Any] = self._events
        return out

    def first_positions(self) -> npt.NDArray[np.int64]:
        """Position of each user's first event (``offsets[u]``; meaningless for empty users)."""
        out: npt.NDArray[np.int64] = self.offsets[:-1]
        return out

    def last_positions(self) -> npt.NDArray[np.int64]:
        """Position of each user's last event (``offsets[u + 1] - 1``; -1 style for empty users)."""
        out: npt.NDArray[np.int64] = self.offsets[1:] - 1
        return out

    def nbytes(self) -> int:
        """Bytes held by the index and the cached columns in index order."""
        total = int(self.offsets.nbytes)
        if self._order is not None:
            total += int(self._order.nbytes)
        for name in ("_users", "_times", "_events", "counts"):
            if name in self.__dict__:
                total += int(self.__dict__[name].nbytes)
        return total

    def __repr__(self) -> str:
        how = "rows already sorted" if self.sorted_rows else f"order {self.order.dtype}"
        return f"UserIndex({self._n_events:,} events, {self.n_users:,} users, {how})"


def build_user_index(
    user_codes: npt.NDArray[np.int32],
    ts_ns: npt.NDArray[np.int64],
    event_codes: npt.NDArray[np.int32],
    *,
    n_users: int,
    n_event_names: int,
) -> UserIndex:
    """Build the index of the events given by their user codes and times (see module notes)."""
    n = int(user_codes.size)
    counts = np.bincount(user_codes, minlength=n_users) if n else np.zeros(n_users, np.int64)
    offsets = np.zeros(n_users + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    kw: dict[str, Any] = {
        "offsets": offsets,
        "user_codes": user_codes,
        "ts_ns": ts_ns,
        "event_codes": event_codes,
        "n_event_names": n_event_names,
    }
    if n < 2:
        return UserIndex(order=None, **kw)
    if bool((user_codes[1:] >= user_codes[:-1]).all()):  # stored by user: by time within?
        same_user = user_codes[1:] == user_codes[:-1]
        if bool((ts_ns[1:][same_user] >= ts_ns[:-1][same_user]).all()):
            return UserIndex(order=None, **kw)
        del same_user
    time_sorted = bool((ts_ns[1:] >= ts_ns[:-1]).all())
    by_time: npt.NDArray[np.int64] | None = None
    if time_sorted:
        users = user_codes
    else:
        by_time = np.argsort(ts_ns, kind="stable")
        users = user_codes[by_time]
    row_bits = max(1, (n - 1).bit_length())
    user_bits = max(1, (n_users - 1).bit_length())
    # rows already in time order: the event code rides in the key's lowest bits, so the sort
    # also delivers the events in index order (no gather of the event column afterwards)
    ev_bits = max(1, (n_event_names - 1).bit_length()) if by_time is None else 0
    if row_bits + user_bits + ev_bits > 63:
        ev_bits = 0
    events_sorted: npt.NDArray[Any] | None = None
    if row_bits + user_bits + ev_bits <= 63:
        # a stable sort by user: the bits below the user carry the (time-ordered) position
        key = np.left_shift(users, row_bits + ev_bits, dtype=np.int64)
        rows = np.arange(n, dtype=np.int64)
        if ev_bits:
            rows <<= ev_bits
            rows |= event_codes
        key |= rows
        del rows
        key.sort()
        if ev_bits:
            events_sorted = _narrow(key & ((1 << ev_bits) - 1), n_event_names)
            key >>= ev_bits
        key &= (1 << row_bits) - 1
        pos = key
    else:  # beyond 2**63 user x row combinations: numpy's stable sort
        pos = np.argsort(users, kind="stable")
    del users
    order = pos if by_time is None else by_time[pos]
    if n <= _I32_MAX:
        order = order.astype(np.int32)
    idx = UserIndex(order=order, **kw)
    if events_sorted is not None:
        idx.__dict__["_events"] = _readonly(events_sorted)  # the cached property, filled
    return idx


def user_index(log: EventLog) -> UserIndex:
    """Return the per-user index of ``log``, building and caching it on first use.

    Parameters
    ----------
    log : EventLog
        An encoded event log.

    Returns
    -------
    UserIndex
        Rows ordered by (user, time, row) with per-user offsets; see the module notes.
    """
    cache = log._cache
    idx = cache.get(_CACHE_KEY)
    if idx is None:
        parent = cache.pop(_PARENT_KEY, None)
        if parent is not None:
            idx = _derive(log, *parent)
        else:
            idx = build_user_index(
                log.user_codes,
                log.timestamps_ns,
                log.event_codes,
                n_users=len(log.users),
                n_event_names=len(log.event_names),
            )
        cache[_CACHE_KEY] = idx
    out: UserIndex = idx
    return out


def has_user_index(log: EventLog) -> bool:
    """Tell whether ``log`` holds its per-user index (built, shared, or derivable in one pass).

    Kernels that are cheap without the index read it only when it is there: a one-off call on
    a fresh log does not pay for the sort, and every call after a funnel (or another kernel
    that needs the index) reads users' rows in order.
    """
    cache = log._cache
    return _CACHE_KEY in cache or _PARENT_KEY in cache


def index_period_codes(
    log: EventLog, period: str, *, tz: str, week_start: int
) -> npt.NDArray[np.int64]:
    """Return the calendar-period code of every position of ``log``'s per-user index (cached).

    The codes of :meth:`EventLog.period_codes` in index order, computed from the index's times
    (a sequential pass, no gather) and cached on the log per (period, tz, week start): 8 bytes
    per event.  Within a user they follow time, so they never decrease, except where a zone's
    clock moves back over a period boundary.
    """
    key = f"index-period:{period}:{tz}:{week_start if period == 'week' else 0}"
    cache = log._cache
    out = cache.get(key)
    if out is None:
        out = _readonly(period_codes(user_index(log).times(), period, tz=tz, week_start=week_start))
        cache[key] = out
    codes: npt.NDArray[np.int64] = out
    return codes


def _derive(log: EventLog, parent: UserIndex, mask: npt.NDArray[np.bool_]) -> UserIndex:
    """Derive the index of the rows of ``parent``'s log kept by ``mask``: one pass, no sort.

    Keeping rows preserves their relative (user, time, row) order, so the child's order is the
    parent's order restricted to kept rows and renumbered.
    """
    kept_sorted = parent.take(mask)
    cum = np.zeros(parent.n_events + 1, dtype=np.int64)
    np.cumsum(kept_sorted, out=cum[1:])
    offsets = cum[parent.offsets]
    kw: dict[str, Any] = {
        "offsets": offsets,
        "user_codes": log.user_codes,
        "ts_ns": log.timestamps_ns,
        "event_codes": log.event_codes,
        "n_event_names": len(log.event_names),
    }
    if parent.sorted_rows:
        return UserIndex(order=None, **kw)
    new_pos = np.cumsum(mask, dtype=np.int64)
    new_pos -= 1
    order = new_pos[parent.order[kept_sorted]]
    if order.size <= _I32_MAX:
        order = order.astype(np.int32)
    return UserIndex(order=order, **kw)


def share_index(parent: EventLog, child: EventLog, mask: npt.NDArray[np.bool_] | None) -> None:
    """Let ``child`` reuse ``parent``'s index: as is (same rows) or derived through ``mask``."""
    idx = parent._cache.get(_CACHE_KEY)
    if idx is None:
        return
    if mask is None:
        child._cache[_CACHE_KEY] = idx
    else:
        child._cache[_PARENT_KEY] = (idx, mask)
