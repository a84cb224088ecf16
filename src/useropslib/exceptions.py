"""Errors and warnings raised by useropslib.

Every error a caller can cause derives from :class:`UseropsError` *and* from the builtin
exception it refines, so ``except ValueError`` keeps working for code that does not know about
useropslib.  Each message says what failed, what was expected, what was given, and how to fix it.

Examples
--------
>>> from useropslib.exceptions import EventSchemaError, UseropsError
>>> issubclass(EventSchemaError, UseropsError), issubclass(EventSchemaError, ValueError)
(True, True)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ConvergenceWarning",
    "EventSchemaError",
    "IdentityConflictError",
    "InsufficientDataError",
    "InsufficientDataWarning",
    "InvalidParameterError",
    "NotFittedError",
    "RuleSyntaxError",
    "UnknownEventWarning",
    "UseropsError",
    "UseropsWarning",
    "did_you_mean",
]


_ALIASES: dict[str, tuple[str, ...]] = {
    "user_id": ("uid", "user", "userid", "distinct_id", "person_id", "customer_id", "member_id"),
    "event": ("event_name", "name", "action", "event_type", "type", "activity"),
    "timestamp": ("ts", "time", "datetime", "event_time", "date", "created_at", "occurred_at"),
    "value": ("amount", "revenue", "price", "total", "spend"),
    "anonymous_id": ("device_id", "anon_id", "anonymous", "cookie_id"),
}


def did_you_mean(name: str, candidates: Iterable[Any], *, n: int = 3) -> list[str]:
    """Return up to ``n`` candidates that look like ``name`` (case-insensitive), best first.

    Parameters
    ----------
    name : str
        What the caller typed.
    candidates : iterable
        What exists; non-strings are compared by their ``str``.
    n : int, default 3
        How many suggestions at most.

    Returns
    -------
    list of str
        Close matches, best first; empty when nothing is close.

    Examples
    --------
    >>> did_you_mean("timestmp", ["user_id", "event", "timestamp"])
    ['timestamp']
    """
    pool = [str(c) for c in candidates]
    lowered = {c.lower(): c for c in pool}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.6)
    out = [lowered[h] for h in hits]
    # common other names of the standard columns ("ts" for "timestamp")
    for alias in _ALIASES.get(name.lower(), ()):
        for c in pool:
            if c.lower() == alias and c not in out and len(out) < n:
                out.append(c)
    # substring matches ("ts" -> "event_ts") are useful hints difflib misses
    for c in pool:
        if len(out) >= n:
            break
        if c not in out and name and (name.lower() in c.lower() or c.lower() in name.lower()):
            out.append(c)
    return out


class UseropsError(Exception):
    """Root of every error useropslib raises on purpose."""


class InvalidParameterError(UseropsError, ValueError):
    """A parameter has a value outside what the function accepts.

    Examples
    --------
    >>> raise InvalidParameterError("window must be positive, got '-1D'. Hint: use e.g. '7D'.")
    Traceback (most recent call last):
    useropslib.exceptions.InvalidParameterError: window must be positive, got '-1D'. Hint: ...
    """


class EventSchemaError(UseropsError, ValueError):
    """The event data does not satisfy the event-log contract.

    Parameters
    ----------
    message : str
        The full, human-readable message.
    failure_cases : pandas.DataFrame, optional
        One row per problem found: ``row`` (the caller's index label, or position for records),
        ``column``, ``check`` (a short code such as ``"null_user_id"``) and ``value`` (the offending
        value as text).  Every problem is collected before raising, so one call shows them all.
    """

    def __init__(self, message: str, failure_cases: pd.DataFrame | None = None) -> None:
        super().__init__(message)
        self.failure_cases = failure_cases

    @classmethod
    def missing_columns(
        cls,
        *,
        missing: Iterable[str],
        available: Iterable[Any],
        param: dict[str, str] | None = None,
    ) -> EventSchemaError:
        """Build the error for required columns that are absent, with "did you mean" hints.

        Parameters
        ----------
        missing : iterable of str
            The required column names that were not found.
        available : iterable
            The columns the table has.
        param : dict, optional
            Map from a missing column to the keyword argument that names it (``{"ts": "time_col"}``).

        Returns
        -------
        EventSchemaError

        Examples
        --------
        >>> err = EventSchemaError.missing_columns(
        ...     missing=["timestamp"], available=["ts", "uid"], param={"timestamp": "time_col"}
        ... )
        >>> str(err)
        "Event table is missing column(s) ['timestamp']. Available: ['ts', 'uid']. Hint: did you mean 'ts'? pass time_col='ts'."
        """  # noqa: E501
        missing = sorted(missing)
        avail = [str(a) for a in available]
        param = param or {}
        hints = []
        for col in missing:
            close = did_you_mean(col, avail)
            kw = param.get(col)
            if close and kw:
                hints.append(f"did you mean {close[0]!r}? pass {kw}={close[0]!r}")
            elif close:
                hints.append(f"did you mean {close[0]!r} for {col!r}?")
            elif kw:
                hints.append(f"pass {kw}='...' naming your column")
        hint = "; ".join(hints) if hints else "rename your columns or pass the *_col arguments"
        return cls(f"Event table is missing column(s) {missing}. Available: {avail}. Hint: {hint}.")


class IdentityConflictError(UseropsError, ValueError):
    """One anonymous or device id is linked to more than one user id.

    Parameters
    ----------
    message : str
        The full message.
    conflicts : pandas.DataFrame, optional
        One row per conflicting link: ``anonymous_id`` and ``user_id``.
    """

    def __init__(self, message: str, conflicts: pd.DataFrame | None = None) -> None:
        super().__init__(message)
        self.conflicts = conflicts


class RuleSyntaxError(UseropsError, ValueError):
    """A tag rule or other user-written expression cannot be parsed.

    Parameters
    ----------
    message : str
        What was wrong and what was expected.
    text : str, optional
        The whole rule text.
    position : int, optional
        0-based character offset of the problem; the message shows it with a caret.
    """

    def __init__(self, message: str, text: str | None = None, position: int | None = None) -> None:
        self.text = text
        self.position = position
        if text is not None and position is not None:
            # show the line holding the problem, with the caret under its column
            start = text.rfind("\n", 0, position) + 1
            end = text.find("\n", position)
            line = text[start : end if end >= 0 else len(text)]
            col = position - start
            pad = "".join("\t" if ch == "\t" else " " for ch in line[:col])
            where = f" (line {text.count(chr(10), 0, position) + 1})" if "\n" in text else ""
            message = f"{message}{where}\n  {line}\n  {pad}^"
        super().__init__(message)


class NotFittedError(UseropsError, AttributeError):
    """An estimator was used before ``fit`` was called."""


class InsufficientDataError(UseropsError, ValueError):
    """There is too little data to compute the requested result (the message gives the counts)."""


class UseropsWarning(UserWarning):
    """Root of the warnings useropslib emits."""


class InsufficientDataWarning(UseropsWarning):
    """A result was computed, but on little or no data (for example an empty date range)."""


class ConvergenceWarning(UseropsWarning):
    """An iterative fit stopped without meeting its convergence criterion."""


class UnknownEventWarning(UseropsWarning):
    """An event name is not in the log, so it counts as zero events.

    An event a product tracks may simply not have happened in the data at hand (a new feature,
    a short window, a quiet day), so useropslib answers 0 for it, as PostHog, Amplitude and
    Mixpanel do, and warns with the close known names so a typo is still noticed.  Pass
    ``strict=True`` where a function offers it, or set
    :func:`useropslib.events.set_strict_events`, to raise :class:`InvalidParameterError` instead.
    """
