"""The parameter checks every public function shares: one message shape for each kind of mistake.

Each check returns the checked value (normalised) or raises
:class:`~useropslib.exceptions.InvalidParameterError` whose message names the parameter, says
what was expected and gives a hint (a did-you-mean for names).  Functions call these instead of
writing their own ``if value not in options`` blocks, so the same mistake reads the same
everywhere.

Nothing here knows about events; instants (which need a time zone) are checked by
:func:`useropslib.events._query.check_instant`.
"""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from useropslib.exceptions import InvalidParameterError, clip, did_you_mean
from useropslib.models._types import window_ns

__all__ = [
    "NS_PER_DAY",
    "check_bool",
    "check_choice",
    "check_fraction",
    "check_int",
    "check_name",
    "check_window",
    "check_window_days",
    "is_real",
    "unknown_name_hint",
]

NS_PER_DAY = 86_400_000_000_000
"""Nanoseconds in a day of 24 hours (the one definition the library uses)."""

_S = TypeVar("_S", bound=str)


def unknown_name_hint(name: Any, candidates: Iterable[Any]) -> str:
    """Return ``" Did you mean 'x'?"`` (or ``""``) for a name that is not among ``candidates``.

    Parameters
    ----------
    name : object
        What the caller gave.
    candidates : iterable
        What exists.

    Returns
    -------
    str

    Examples
    --------
    >>> unknown_name_hint("wek", ["day", "week"])
    " Did you mean 'week'?"
    """
    close = did_you_mean(str(name), candidates)
    return f" Did you mean {', '.join(map(repr, close))}?" if close else ""


def check_choice(value: Any, options: Sequence[_S], name: str, *, hint: str | None = None) -> _S:
    """Return ``value`` when it is one of ``options``, else raise with a did-you-mean hint.

    Parameters
    ----------
    value : object
        What the caller gave.
    options : sequence of str
        The accepted values.
    name : str
        The parameter, for the message.
    hint : str, optional
        Shown when no option is close to ``value``.

    Returns
    -------
    str

    Raises
    ------
    InvalidParameterError

    Examples
    --------
    >>> check_choice("ordered", ("ordered", "strict"), "order")
    'ordered'
    >>> check_choice("strct", ("ordered", "strict"), "order")
    Traceback (most recent call last):
    useropslib.exceptions.InvalidParameterError: Invalid order='strct'. Expected one of ['ordered', 'strict']. Did you mean 'strict'?
    """  # noqa: E501
    if isinstance(value, str) and value in options:
        return value  # type: ignore[return-value]
    extra = unknown_name_hint(value, options)
    if not extra and hint:
        extra = f" Hint: {hint}"
    raise InvalidParameterError(
        f"Invalid {name}={value!r}. Expected one of {list(options)}.{extra}"
    )


def check_int(value: Any, name: str, *, minimum: int = 1, hint: str | None = None) -> int:
    """Return ``value`` as an int when it is an integer at least ``minimum``.

    Booleans are refused (``True`` is not a count).

    Parameters
    ----------
    value : object
        What the caller gave.
    name : str
        The parameter, for the message.
    minimum : int, default 1
        The smallest accepted value.
    hint : str, optional
        An example of a good value, shown in the message.

    Returns
    -------
    int

    Raises
    ------
    InvalidParameterError

    Examples
    --------
    >>> check_int(3, "periods")
    3
    >>> check_int(0, "periods", hint="periods=12")
    Traceback (most recent call last):
    useropslib.exceptions.InvalidParameterError: Invalid periods=0. Expected an integer >= 1. Hint: periods=12.
    """  # noqa: E501
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or not minimum <= int(value) <= 10**9
    ):
        tail = f" Hint: {hint.rstrip('.')}." if hint else ""
        too_big = isinstance(value, int) and not isinstance(value, bool) and value > 10**9
        expected = f"an integer from {minimum} to 1e9" if too_big else f"an integer >= {minimum}"
        raise InvalidParameterError(f"Invalid {name}={value!r}. Expected {expected}.{tail}")
    return int(value)


def check_fraction(
    value: Any, name: str, *, open_low: bool = True, open_high: bool = True
) -> float:
    """Return ``value`` as a float inside (0, 1) (bounds open or closed as asked).

    Parameters
    ----------
    value : object
        What the caller gave.
    name : str
        The parameter, for the message.
    open_low, open_high : bool, default True
        Whether 0 and 1 are excluded.

    Returns
    -------
    float

    Raises
    ------
    InvalidParameterError

    Examples
    --------
    >>> check_fraction(0.05, "alpha")
    0.05
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    f = float(value) if ok else float("nan")
    low_ok = f > 0 if open_low else f >= 0
    high_ok = f < 1 if open_high else f <= 1
    if not (ok and low_ok and high_ok):
        lo, hi = "(" if open_low else "[", ")" if open_high else "]"
        raise InvalidParameterError(
            f"Invalid {name}={value!r}. Expected a number in {lo}0, 1{hi}. Hint: {name}=0.05."
        )
    return f


def check_window(value: Any, name: str) -> int:
    """Return a positive window (``"7D"``, ``"24h"``, a timedelta) as int64 nanoseconds.

    Parameters
    ----------
    value : str or datetime.timedelta
        The window.
    name : str
        The parameter, for the message.

    Returns
    -------
    int

    Raises
    ------
    InvalidParameterError

    Examples
    --------
    >>> check_window("2D", "window") // NS_PER_DAY
    2
    """
    return window_ns(value, name)


def check_window_days(value: Any, name: str) -> int:
    """Return a window that is a whole number of days, as that number of days.

    Parameters
    ----------
    value : str or datetime.timedelta
        The window.
    name : str
        The parameter, for the message.

    Returns
    -------
    int

    Raises
    ------
    InvalidParameterError
        For an unreadable or non-positive window, or one that is not whole days.

    Examples
    --------
    >>> check_window_days("1W", "silence")
    7
    """
    ns = check_window(value, name)
    if ns % NS_PER_DAY:
        shown = value if isinstance(value, str) else str(dt.timedelta(microseconds=ns // 1000))
        raise InvalidParameterError(
            f"Invalid {name}={shown!r}. Expected a whole number of days. Hint: {name}='7D'."
        )
    return ns // NS_PER_DAY


def is_real(value: Any) -> bool:
    """Return whether ``value`` is one real number (not a bool, not NaN, not an array).

    For checks that keep their own message: ``if not is_real(x) or not 0 < x < 1: raise ...``
    so that None, strings and arrays reach the message instead of a raw comparison error.

    Parameters
    ----------
    value : Any
        What the caller gave.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_real(0.5), is_real(True), is_real(float("nan")), is_real([0.5])
    (True, False, False, False)
    """
    return (
        isinstance(value, numbers.Real)
        and type(value).__name__ not in ("bool", "bool_")
        and float(value) == float(value)
    )


def check_bool(value: Any, name: str) -> bool:
    """Return ``value`` when it is a bool (numpy's included), else raise.

    Parameters
    ----------
    value : Any
        The flag.
    name : str
        The parameter, for the message.

    Returns
    -------
    bool

    Raises
    ------
    InvalidParameterError
        For anything but True or False (``"no"`` and ``0`` are not flags).

    Examples
    --------
    >>> check_bool(False, "allow_empty")
    False
    """
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise InvalidParameterError(
        f"Invalid {name}={clip(repr(value))} ({type(value).__name__}). Expected True or False."
    )


def check_name(
    value: Any, name: str, *, optional: bool = False, what: str = "column"
) -> str | None:
    """Return ``value`` when it is a non-empty str (or None when ``optional``), else raise.

    Parameters
    ----------
    value : Any
        The name (of a column, a property, an event ...).
    name : str
        The parameter, for the message.
    optional : bool, default False
        Whether None is accepted (and returned).
    what : str, default "column"
        What the name names, for the message.

    Returns
    -------
    str or None

    Raises
    ------
    InvalidParameterError
        For a value that is not a non-empty string.

    Examples
    --------
    >>> check_name("uid", "user_col")
    'uid'
    """
    if value is None and optional:
        return None
    if isinstance(value, str) and value:
        return value
    expected = f"a {what} name (a non-empty str)" + (" or None" if optional else "")
    raise InvalidParameterError(
        f"Invalid {name}={clip(repr(value))} ({type(value).__name__}). Expected {expected}. "
        "Hint: columns with non-text names can be renamed first, e.g. df.rename(columns=str)."
    )
