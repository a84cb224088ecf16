"""The activity roll-up every metric reads: distinct (user, period) pairs and per-user extremes."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from useropslib._checks import check_bool
from useropslib.events._eventlog import EventLog
from useropslib.exceptions import InvalidParameterError
from useropslib.models import Period, WeekStart

__all__ = ["UserPeriods", "first_seen_ns", "last_seen_ns", "user_periods"]


@dataclasses.dataclass(frozen=True)
class UserPeriods:
    """Distinct (user, period) pairs with the number of events and the value sum in each.

    Attributes
    ----------
    user : ndarray of int64
        User codes (index into ``EventLog.users``), sorted ascending, then by period.
    period : ndarray of int64
        Period codes (see :meth:`EventLog.period_codes`).
    n_events : ndarray of int64
        Events of that user in that period.
    value : ndarray of float64
        Sum of event values (0 where the log has none).
    """

    user: npt.NDArray[np.int64]
    period: npt.NDArray[np.int64]
    n_events: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.user.size)


def _check_log(log: object, what: str) -> None:
    if not isinstance(log, EventLog):
        raise InvalidParameterError(
            f"{what} takes an EventLog, got {type(log).__name__}. Hint: build one with "
            "EventLog.from_pandas(df), or collect a lazy log with .to_event_log()."
        )


def _dense_ok(n_bins: int, n_keys: int) -> bool:
    """Whether a counting grid of ``n_bins`` cells is cheaper than sorting ``n_keys`` keys."""
    return n_bins <= max(4 * n_keys, 1 << 26)


def user_periods(
    log: EventLog,
    period: Period | str,
    *,
    tz: str | None = None,
    week_start: WeekStart | int | None = None,
    mask: npt.NDArray[np.bool_] | None = None,
    with_values: bool = True,
) -> UserPeriods:
    """Roll events up to one row per (user, period) in which the user had an event.

    Parameters
    ----------
    log : EventLog
        The events.
    period : {"hour", "day", "week", "month"}
        Calendar period, in ``tz`` (default the log's).
    tz, week_start : optional
        Calendar settings; default the log's.
    mask : ndarray of bool, optional
        Only count the events where this is True (e.g. the return event of a retention query).
    with_values : bool, default True
        Sum the event values; with False (or a log without values) ``value`` is all zeros, which
        saves a pass when only presence and counts are needed.

    Returns
    -------
    UserPeriods

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"user_id": ["a", "a", "b", "a"], "event": ["x"] * 4,
    ...                    "timestamp": ["2024-01-01T01:00Z", "2024-01-01T02:00Z",
    ...                                  "2024-01-02T00:00Z", "2024-01-03T00:00Z"]})
    >>> up = user_periods(EventLog.from_pandas(df), "day")
    >>> up.user.tolist(), (up.period - up.period.min()).tolist(), up.n_events.tolist()
    ([0, 0, 1], [0, 2, 1], [2, 1, 1])
    """
    _check_log(log, "user_periods")
    check_bool(with_values, "with_values")
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != bool or mask.shape != (log.n_events,):
            raise InvalidParameterError(
                f"Invalid mask of dtype {mask.dtype} and shape {mask.shape}. Expected a boolean "
                f"array with one entry per event ({log.n_events})."
            )
    codes = log.period_codes(period, tz=tz, week_start=week_start)
    users = log.user_codes
    values = log.values if with_values else None
    if mask is not None:
        codes, users = codes[mask], users[mask]
        values = None if values is None else values[mask]
    empty_i = np.empty(0, dtype=np.int64)
    if codes.size == 0:
        return UserPeriods(empty_i, empty_i, empty_i, np.empty(0, dtype=np.float64))
    p0 = int(codes.min())
    span = int(codes.max()) - p0 + 1
    key = users.astype(np.int64) * span + (codes - p0)
    n_bins = (int(users.max()) + 1) * span
    if _dense_ok(n_bins, key.size):
        # dense grid: one counting pass instead of a sort
        counts_all = np.bincount(key, minlength=n_bins)
        uniq = np.flatnonzero(counts_all)
        counts = counts_all[uniq]
        vsum: npt.NDArray[np.float64] = np.zeros(uniq.size, dtype=np.float64)
        if values is not None:
            vsum = np.bincount(key, weights=np.nan_to_num(values), minlength=n_bins)[uniq].astype(
                np.float64
            )
    else:
        # sparse grid: one sort, then run boundaries (np.unique is far slower on large inputs)
        order = np.argsort(key, kind="stable")
        skey = key[order]
        starts = np.flatnonzero(np.r_[True, skey[1:] != skey[:-1]])
        uniq = skey[starts]
        counts = np.diff(np.r_[starts, skey.size])
        vsum = np.zeros(uniq.size, dtype=np.float64)
        if values is not None:
            vsum = np.add.reduceat(np.nan_to_num(values)[order], starts).astype(np.float64)
    return UserPeriods(
        user=uniq // span,
        period=uniq % span + p0,
        n_events=counts.astype(np.int64),
        value=vsum.astype(np.float64),
    )


def first_seen_ns(log: EventLog) -> npt.NDArray[np.int64]:
    """Return each user code's first event time (int64 UTC ns; int64 max for users without one).

    Parameters
    ----------
    log : EventLog
        The events.

    Returns
    -------
    ndarray of int64
        Indexed by user code, length ``len(log.users)``.
    """
    _check_log(log, "first_seen_ns")
    out = np.full(len(log.users), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, log.user_codes, log.timestamps_ns)
    return out


def last_seen_ns(log: EventLog) -> npt.NDArray[np.int64]:
    """Return each user code's last event time (int64 UTC ns; int64 min for users without one).

    Parameters
    ----------
    log : EventLog
        The events.

    Returns
    -------
    ndarray of int64
        Indexed by user code, length ``len(log.users)``.
    """
    _check_log(log, "last_seen_ns")
    out = np.full(len(log.users), np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(out, log.user_codes, log.timestamps_ns)
    return out
