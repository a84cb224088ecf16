"""Shared small types: periods, windows and week starts."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Literal, TypeAlias

from useropslib.exceptions import InvalidParameterError, did_you_mean

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "BLANK_PATTERN",
    "MAX_INSTANT",
    "MAX_WINDOW",
    "MIN_INSTANT",
    "PERIODS",
    "DateLike",
    "Period",
    "WeekStart",
    "is_blank",
    "parse_period",
    "parse_week_start",
    "parse_window",
]

MIN_INSTANT = dt.datetime(1900, 1, 1, tzinfo=dt.timezone.utc)
"""The earliest instant an event log or a time parameter may hold."""
MAX_INSTANT = dt.datetime(2150, 1, 1, tzinfo=dt.timezone.utc)
"""Instants must lie before this one."""
MAX_WINDOW = dt.timedelta(days=7305)
"""The longest window (20 years).  With instants in [MIN_INSTANT, MAX_INSTANT) every sum and
difference of instants and windows fits int64 nanoseconds (about 292 years), so no arithmetic on
them can overflow."""

# characters that print nothing: whitespace is handled by str.strip; these are the format and
# filler characters (zero-width space and joiners, BOM, soft hyphen, bidi marks, fillers ...)
BLANK_PATTERN = (
    "^[\\s\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e0fff]*$"
)
"""A regular expression matching text that is empty or prints nothing."""
_INVISIBLE = re.compile(BLANK_PATTERN)


def name_list(value: object, field: str) -> list[object]:
    """Return one name or a collection of names as a list (for the validators' own checks).

    A single ``str`` becomes a one-item list; a list, tuple, set or other iterable is listed;
    anything else (a number, a bool, None, a mapping, bytes) raises ``ValueError``, which
    pydantic reports as a ``ValidationError`` naming the field.

    Examples
    --------
    >>> name_list("open", "event")
    ['open']
    >>> name_list(("open", "signup"), "steps")
    ['open', 'signup']
    """
    from collections.abc import Iterable, Mapping

    if isinstance(value, str):
        return [value]
    if isinstance(value, (bytes, Mapping)) or not isinstance(value, Iterable):
        raise ValueError(
            f"{field} must be an event name or a list of event names, got "
            f"{type(value).__name__}; write e.g. {field}=['open']"
        )
    return list(value)


def is_blank(text: str) -> bool:
    """Whether ``text`` is empty or made only of whitespace and invisible characters.

    Parameters
    ----------
    text : str

    Returns
    -------
    bool

    Examples
    --------
    >>> is_blank(" \u200b "), is_blank("a\u200b")
    (True, False)
    """
    return _INVISIBLE.match(text) is not None


DateLike: TypeAlias = "str | dt.date | dt.datetime | pd.Timestamp | np.datetime64"
"""An instant as a caller gives it: an ISO string, a date, a datetime, a Timestamp, a datetime64.

Naive values are read in the call's (or the log's) time zone.
"""

Period: TypeAlias = Literal["hour", "day", "week", "month"]
"""A calendar period used to bucket time."""

PERIODS: tuple[str, ...] = ("hour", "day", "week", "month")
"""The calendar periods every metric accepts, shortest first."""

WeekStart: TypeAlias = Literal[
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
]
"""A weekday name naming the first day of a calendar week."""
_WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)

_UNITS: dict[str, str] = {
    "s": "seconds",
    "sec": "seconds",
    "second": "seconds",
    "seconds": "seconds",
    "min": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "h": "hours",
    "hour": "hours",
    "hours": "hours",
    "d": "days",
    "day": "days",
    "days": "days",
    "w": "weeks",
    "week": "weeks",
    "weeks": "weeks",
}
_WINDOW_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")


def parse_period(value: str) -> Period:
    """Check a calendar period name and return it.

    Parameters
    ----------
    value : str
        One of ``"hour"``, ``"day"``, ``"week"``, ``"month"`` (case-insensitive).

    Returns
    -------
    str
        The period, lower-cased.

    Raises
    ------
    InvalidParameterError
        For any other value, with the closest valid name.

    Examples
    --------
    >>> parse_period("Week")
    'week'
    """
    if isinstance(value, str) and value.lower() in PERIODS:
        return value.lower()  # type: ignore[return-value]
    close = did_you_mean(str(value), PERIODS)
    hint = f"did you mean {close[0]!r}?" if close else "use one of them"
    raise InvalidParameterError(
        f"Unsupported period {value!r}. Expected one of {list(PERIODS)}. Hint: {hint}"
    )


def parse_week_start(value: str | int) -> int:
    """Return the first day of the week as 0 (Monday) to 6 (Sunday).

    Parameters
    ----------
    value : str or int
        A weekday name (``"monday"``, ``"sunday"``, ..., case-insensitive, 3-letter abbreviations
        accepted) or an integer 0-6 with 0 = Monday, as in :meth:`datetime.date.weekday`.

    Returns
    -------
    int

    Raises
    ------
    InvalidParameterError
        For anything else.

    Examples
    --------
    >>> parse_week_start("sunday"), parse_week_start("Mon"), parse_week_start(2)
    (6, 0, 2)
    """
    if isinstance(value, bool):
        pass
    elif isinstance(value, int) and 0 <= value <= 6:
        return value
    elif isinstance(value, str):
        low = value.strip().lower()
        for i, name in enumerate(_WEEKDAYS):
            if low == name or (len(low) == 3 and name.startswith(low)):
                return i
    raise InvalidParameterError(
        f"Invalid week_start={value!r}. Expected a weekday name such as 'monday' or 'sunday', "
        "or an integer 0-6 with 0 = Monday. Hint: week_start='sunday' gives US-style weeks."
    )


def parse_window(value: str | dt.timedelta) -> dt.timedelta:
    """Parse a window such as ``"7D"``, ``"2W"``, ``"30min"`` or ``"24h"`` into a timedelta.

    Units (case-insensitive): ``s``, ``min``, ``h``, ``D``, ``W`` and their spelled-out forms
    (``"3 days"``). Months and years are not fixed lengths and are refused; use a calendar
    ``period="month"`` instead.

    Parameters
    ----------
    value : str or datetime.timedelta
        The window. A :class:`datetime.timedelta` (or :class:`pandas.Timedelta`) is returned as is
        after the positivity check.

    Returns
    -------
    datetime.timedelta
        A strictly positive duration.

    Raises
    ------
    InvalidParameterError
        When the text cannot be read, the unit is unknown, or the window is not positive.

    Examples
    --------
    >>> parse_window("7D")
    datetime.timedelta(days=7)
    >>> parse_window("30min")
    datetime.timedelta(seconds=1800)
    >>> parse_window("2W") == parse_window("14 days")
    True
    """
    if isinstance(value, dt.timedelta):
        td = value
    elif isinstance(value, str):
        m = _WINDOW_RE.match(value)
        if m is None:
            raise InvalidParameterError(
                f"Cannot read window {value!r}. Expected a positive number followed by a unit "
                "(s, min, h, D, W), e.g. '7D', '2W', '30min'."
            )
        number, unit = float(m.group(1)), m.group(2).lower()
        if unit in ("m", "mo", "month", "months", "y", "year", "years"):
            raise InvalidParameterError(
                f"Window {value!r} uses unit {m.group(2)!r}, which has no fixed length. Expected "
                "s, min, h, D or W. Hint: write '30D' for about a month, or use period='month' for "
                "calendar months."
            )
        if unit not in _UNITS:
            close = did_you_mean(unit, _UNITS)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise InvalidParameterError(
                f"Unknown unit {m.group(2)!r} in window {value!r}. Expected one of s, min, h, D, W."
                + hint
            )
        try:
            td = dt.timedelta(**{_UNITS[unit]: number})
        except OverflowError:
            td = MAX_WINDOW + MAX_WINDOW
    else:
        raise InvalidParameterError(
            f"Invalid window {value!r} of type {type(value).__name__}. Expected a string such as "
            "'7D' or a datetime.timedelta."
        )
    if td <= dt.timedelta(0):
        raise InvalidParameterError(
            f"Window must be positive, got {value!r}. Hint: use e.g. '7D' for seven days."
        )
    if td > MAX_WINDOW:
        raise InvalidParameterError(
            f"Window {str(value)[:40]!r} is longer than the longest supported window, 20 years "
            "('7305D'). Hint: a window that long covers the whole history; pass '7305D' or less."
        )
    return td


def window_ns(value: str | dt.timedelta, name: str) -> int:
    """Parse a positive window into int64 nanoseconds; errors name the parameter.

    Parameters
    ----------
    value : str or datetime.timedelta
        As in :func:`parse_window`.
    name : str
        The parameter the window was given as, for the error message.

    Returns
    -------
    int

    Raises
    ------
    InvalidParameterError
        As :func:`parse_window`, prefixed with ``Invalid {name}={value!r}.``

    Examples
    --------
    >>> window_ns("1h", "within")
    3600000000000
    """
    try:
        td = parse_window(value)
    except InvalidParameterError as exc:
        raise InvalidParameterError(f"Invalid {name}={value!r}. {exc}") from None
    ns = getattr(td, "value", None)  # a pandas.Timedelta keeps nanoseconds
    if isinstance(ns, int):
        return ns
    return (td // dt.timedelta(microseconds=1)) * 1000
