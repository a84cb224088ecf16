"""Time zones, UTC instants and calendar bucketing on int64 nanosecond arrays.

All instants are int64 nanoseconds since the Unix epoch in UTC.  Calendar periods are computed in a
chosen IANA time zone by adding each instant's UTC offset (DST-correct) and flooring; the offset of
every instant is looked up in a table built per quarter-hour, so the cost is one pass over the
events plus a pandas conversion of a few thousand table entries, never a per-event tz conversion.
"""

from __future__ import annotations

import functools
import zoneinfo
from typing import Any, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.exceptions import InvalidParameterError, clip, did_you_mean
from useropslib.models import Period, parse_period
from useropslib.models._types import MAX_INSTANT, MIN_INSTANT

__all__ = [
    "NS_PER_DAY",
    "NS_PER_HOUR",
    "check_tz",
    "local_ns",
    "period_codes",
    "period_starts",
    "stamp",
    "to_utc_ns",
]

NS_PER_SECOND = 1_000_000_000
NS_PER_HOUR = 3600 * NS_PER_SECOND
NS_PER_DAY = 24 * NS_PER_HOUR
_NS_PER_QUARTER = 900 * NS_PER_SECOND
_MAX_TABLE = 20_000_000  # quarter-hours: about 570 years


_MIN_NS = int(pd.Timestamp(MIN_INSTANT).value)
_MAX_NS = int(pd.Timestamp(MAX_INSTANT).value)


def _ns_or_min(ts: pd.Timestamp) -> int:
    """Nanoseconds of ``ts``; the int64 minimum when it has none (outside pandas' ns range)."""
    try:
        return int(ts.as_unit("ns").value)
    except (OverflowError, ValueError):
        return np.iinfo(np.int64).min


_MACHINE_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@functools.lru_cache(maxsize=1)
def _all_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_tz(tz: str) -> str:
    """Validate an IANA time-zone name and return it.

    Parameters
    ----------
    tz : str
        A name such as ``"UTC"``, ``"Asia/Shanghai"`` or ``"America/New_York"``.

    Returns
    -------
    str

    Raises
    ------
    InvalidParameterError
        When the name is not a known IANA zone; the message suggests close names.

    Examples
    --------
    >>> check_tz("Asia/Shanghai")
    'Asia/Shanghai'
    """
    if not isinstance(tz, str) or not tz:
        raise InvalidParameterError(
            f"Invalid time zone {tz!r}. Expected an IANA time-zone name such as 'UTC' or "
            "'Asia/Shanghai'."
        )
    try:
        zoneinfo.ZoneInfo(tz)
        if (
            tz in _MACHINE_ZONES
            or tz.startswith(("posix/", "right/"))
            or (tz != "UTC" and tz not in _all_zones())
        ):  # names whose rules depend on the machine's files
            raise ValueError(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        close = did_you_mean(tz, _all_zones() - _MACHINE_ZONES)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise InvalidParameterError(
            f"Unknown time zone {tz!r}. Expected an IANA time-zone name such as 'UTC', "
            f"'Europe/Berlin' or 'Asia/Shanghai'.{hint}"
        ) from None
    return tz


def _offsets_ns(instants_ns: npt.NDArray[np.int64], tz: str) -> npt.NDArray[np.int64]:
    """Return the UTC offset (ns) of each given instant in ``tz`` (exact, via pandas)."""
    idx = pd.DatetimeIndex(instants_ns.astype("datetime64[ns]"), tz="UTC").tz_convert(tz)
    naive_local: npt.NDArray[np.int64] = np.asarray(
        idx.tz_localize(None).as_unit("ns").asi8, dtype=np.int64
    )
    return naive_local - instants_ns


def local_ns(ts_ns: npt.NDArray[np.int64], tz: str) -> npt.NDArray[np.int64]:
    """Shift UTC instants to local wall-clock nanoseconds in ``tz`` (DST-correct).

    Parameters
    ----------
    ts_ns : ndarray of int64
        UTC instants in nanoseconds.
    tz : str
        IANA time zone.

    Returns
    -------
    ndarray of int64
        ``ts_ns`` plus each instant's UTC offset.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> t = np.array([pd.Timestamp("2024-03-31T00:30Z").value,
    ...               pd.Timestamp("2024-03-31T01:30Z").value])
    >>> (local_ns(t, "Europe/Berlin") - t) // 3_600_000_000_000  # CET, then CEST
    array([1, 2])
    """
    ts_ns = np.asarray(ts_ns, dtype=np.int64)
    if ts_ns.size == 0 or tz == "UTC":
        same: npt.NDArray[np.int64] = ts_ns.copy()
        return same
    q = ts_ns // _NS_PER_QUARTER
    q0, q1 = int(q.min()), int(q.max())
    if q1 - q0 + 1 > _MAX_TABLE:
        return ts_ns + _offsets_ns(ts_ns, tz)
    starts = np.arange(q0, q1 + 1, dtype=np.int64) * _NS_PER_QUARTER
    off_start = _offsets_ns(starts, tz)
    off_end = _offsets_ns(starts + (_NS_PER_QUARTER - 1), tz)
    rel = q
    rel -= q0
    out = off_start[rel]
    out += ts_ns
    # a quarter-hour that straddles a transition (historic odd offsets): exact for its events
    straddle = off_start != off_end
    if straddle.any():
        hit = straddle[rel]
        out[hit] = ts_ns[hit] + _offsets_ns(ts_ns[hit], tz)
    return out


def _check_week_start(week_start: Any) -> None:
    if (
        isinstance(week_start, bool)
        or not isinstance(week_start, (int, np.integer))
        or not (0 <= week_start <= 6)
    ):
        raise InvalidParameterError(
            f"Invalid week_start={clip(repr(week_start))}. Expected an int 0-6 (0 = Monday)."
        )


def _instants(ts_ns: Any) -> npt.NDArray[np.int64]:
    """Check an array of UTC nanoseconds (int64, or datetime64) within the supported span."""
    arr = np.asarray(ts_ns)
    if arr.dtype.kind == "M":
        arr = arr.astype("datetime64[ns]").view(np.int64)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise InvalidParameterError(
            f"Invalid instants of dtype {arr.dtype} and shape {arr.shape}. Expected a 1-d array "
            "of int64 UTC nanoseconds, such as EventLog.timestamps_ns."
        )
    out = arr.astype(np.int64, copy=False)
    if out.size and (int(out.min()) < _MIN_NS or int(out.max()) >= _MAX_NS):
        raise InvalidParameterError(
            "Instants outside the supported span (1900-01-01 to 2149-12-31 UTC). Expected UTC "
            "nanoseconds within it."
        )
    return out


def period_codes(
    ts_ns: npt.NDArray[np.int64], period: Period | str, *, tz: str = "UTC", week_start: int = 0
) -> npt.NDArray[np.int64]:
    """Return each instant's calendar-period number in ``tz``.

    Codes are integers that increase by one per period: hours and days since the epoch (local),
    weeks counted so that week ``w`` starts on the local day ``7 * w - (3 - week_start) % 7``
    (1970-01-01 was a Thursday), months since January 1970.  Use :func:`period_starts` to turn codes
    back into timestamps.

    Parameters
    ----------
    ts_ns : ndarray of int64
        UTC instants in nanoseconds.
    period : {"hour", "day", "week", "month"}
        The calendar period.
    tz : str, default "UTC"
        IANA time zone whose calendar is used.
    week_start : int, default 0
        First weekday of a week, 0 = Monday ... 6 = Sunday.

    Returns
    -------
    ndarray of int64

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> t = np.array([pd.Timestamp("2024-01-07T20:00Z").value])  # Sunday 20:00 UTC
    >>> period_codes(t, "day", tz="UTC") - period_codes(t, "day", tz="Asia/Shanghai")
    array([-1])
    >>> period_starts(period_codes(t, "week", tz="Asia/Shanghai"), "week", tz="Asia/Shanghai")
    DatetimeIndex(['2024-01-08 00:00:00+08:00'], dtype='datetime64[ns, Asia/Shanghai]', freq=None)
    """
    period = parse_period(period)
    ts_ns = _instants(ts_ns)
    check_tz(tz)
    _check_week_start(week_start)
    if period == "week" and tz == "UTC":  # no offset: shifted into a new array, no copy first
        shifted = ts_ns + ((3 - week_start) % 7) * NS_PER_DAY
        shifted //= 7 * NS_PER_DAY
        return shifted
    loc = local_ns(ts_ns, tz)  # a new array: divided in place, so one event-length array lives
    if period == "hour":
        loc //= NS_PER_HOUR
        return loc
    if period == "week":  # one division: floor((floor(x / D) + c) / 7) == floor((x + cD) / 7D)
        loc += ((3 - week_start) % 7) * NS_PER_DAY
        loc //= 7 * NS_PER_DAY
        return loc
    day = loc
    day //= NS_PER_DAY
    if period == "day":
        return day
    # month: look the month up per day through a table over the day range
    if day.size == 0:
        return day
    d0, d1 = int(day.min()), int(day.max())
    table = (
        np.arange(d0, d1 + 1, dtype=np.int64)
        .astype("datetime64[D]")
        .astype("datetime64[M]")
        .astype(np.int64)
    )
    return table[day - d0]


def period_starts(
    codes: npt.ArrayLike, period: Period | str, *, tz: str = "UTC", week_start: int = 0
) -> pd.DatetimeIndex:
    """Return the local start instant of each period code made by :func:`period_codes`.

    Parameters
    ----------
    codes : array-like of int
        Period codes.
    period : {"hour", "day", "week", "month"}
        The period the codes count.
    tz : str, default "UTC"
        IANA time zone of the calendar.
    week_start : int, default 0
        First weekday, 0 = Monday.

    Returns
    -------
    pandas.DatetimeIndex
        Timezone-aware starts.  A local midnight that does not exist (a DST jump at 00:00) is
        shifted forward to the first existing instant.

    Examples
    --------
    >>> period_starts([0, 1], "month")
    DatetimeIndex(['1970-01-01 00:00:00+00:00', '1970-02-01 00:00:00+00:00'], dtype='datetime64[ns, UTC]', freq=None)
    """  # noqa: E501
    period = parse_period(period)
    check_tz(tz)
    _check_week_start(week_start)
    arr = np.asarray(codes if np.ndim(codes) else [codes])
    if arr.dtype.kind == "O":  # a list of Python objects: ints only, bools are no codes
        ints = all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in arr)
        arr = arr.astype(np.int64) if ints and arr.ndim == 1 else arr
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise InvalidParameterError(
            f"Invalid period codes {str(codes)[:80]!r}. Expected integers made by period_codes."
        )
    c = arr.astype(np.int64, copy=False)
    span = {"hour": 24 * 366, "day": 366, "week": 53, "month": 12}[period]
    if c.size and (c.min() < -70 * span or c.max() > 180 * span):
        raise InvalidParameterError(
            f"Period codes {int(c.min())}..{int(c.max())} lie outside the supported span of "
            "instants (1900-01-01 to 2149-12-31). Expected codes made by period_codes."
        )
    if period == "hour":
        naive = c.astype("datetime64[h]")
    elif period == "day":
        naive = c.astype("datetime64[D]")
    elif period == "week":
        naive = (7 * c - (3 - week_start) % 7).astype("datetime64[D]")
    else:
        naive = c.astype("datetime64[M]").astype("datetime64[D]")
    idx = pd.DatetimeIndex(naive.astype("datetime64[ns]"))
    out: pd.DatetimeIndex = idx.tz_localize(
        tz, ambiguous=np.zeros(len(idx), dtype=bool), nonexistent="shift_forward"
    )
    return out


def to_utc_ns(value: object, *, tz: str, name: str = "timestamp") -> int:
    """Convert one user-given instant to UTC nanoseconds; naive values are read in ``tz``.

    Parameters
    ----------
    value : str, datetime or pandas.Timestamp
        The instant.
    tz : str
        Zone in which a naive value is read.
    name : str
        The parameter name, for the error message.

    Returns
    -------
    int

    Raises
    ------
    InvalidParameterError
        When the value cannot be read as an instant.

    Examples
    --------
    >>> to_utc_ns("1970-01-01 08:00", tz="Asia/Shanghai")
    0
    """
    if isinstance(value, (bool, int, float, np.integer, np.floating)):
        raise InvalidParameterError(
            f"Invalid {name}={value!r}: a bare number is not a point in time (seconds? "
            "milliseconds? since when?). Expected an ISO date or datetime such as '2024-05-01' "
            "or '2024-05-01T08:00:00+08:00', a datetime, or a pandas.Timestamp. Hint: for an "
            f"epoch, pass pd.Timestamp({value!r}, unit='s', tz='UTC')."
        )
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError, OverflowError):
        ts = pd.NaT
    if ts is pd.NaT:
        raise InvalidParameterError(
            f"Cannot read {name}={str(value)[:80]!r} as a point in time. Expected an ISO date or "
            "datetime such as '2024-05-01' or '2024-05-01T08:00:00+08:00', a datetime, or a "
            "pandas.Timestamp."
        )
    if ts.tzinfo is None:
        try:
            ts = ts.tz_localize(tz, ambiguous="raise", nonexistent="raise")
        except Exception as exc:  # pandas raises pytz's InvalidTimeError subclasses here
            raise InvalidParameterError(
                f"{name}={value!r} is not a single instant in {tz} ({exc}). Expected a local time "
                "that exists once. Hint: give an aware value such as '2024-03-31T02:30:00+01:00'."
            ) from None
    utc = ts.tz_convert("UTC")
    if not _MIN_NS <= _ns_or_min(utc) < _MAX_NS:
        raise InvalidParameterError(
            f"{name}={str(value)[:80]!r} is outside the supported span of instants, "
            "1900-01-01 to 2149-12-31 UTC. Expected a time within it. Hint: pass None to use "
            "the log's own times."
        )
    return int(utc.as_unit("ns").value)


@overload
def stamp(ns: int, tz: str) -> pd.Timestamp: ...
@overload
def stamp(ns: None, tz: str) -> None: ...


def stamp(ns: int | None, tz: str) -> pd.Timestamp | None:
    """Return UTC nanoseconds as an aware Timestamp in ``tz`` (None stays None).

    Parameters
    ----------
    ns : int or None
        Nanoseconds since the epoch, UTC.
    tz : str
        IANA time zone of the result.

    Returns
    -------
    pandas.Timestamp or None

    Examples
    --------
    >>> stamp(0, "Asia/Shanghai")
    Timestamp('1970-01-01 08:00:00+0800', tz='Asia/Shanghai')
    """
    if ns is None:
        return None
    out: pd.Timestamp = pd.Timestamp(ns, unit="ns", tz="UTC").tz_convert(tz)
    return out
