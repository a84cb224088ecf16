"""Reading a time column: one rule per kind of value, one format per column, nothing guessed.

A time column may hold datetime64 values, numbers (epochs), text, or Python objects of several
kinds.  Each kind follows one rule wherever it sits (a typed column, an object column, a
categorical):

- **numbers** are epochs and need ``time_unit=``; without it they are ``numeric_timestamp``
  problems naming their rows (never nanoseconds by default);
- **text** is read as ISO 8601 first.  An offset or zone in the text (``Z``, ``UTC``, ``GMT``,
  ``+08``, ``+0800``, ``+08:00``, optionally followed by a comment such as ``(UTC)``) is
  honoured; a zone abbreviation such as ``EST`` or ``CST`` means different offsets in different
  places, so it is the problem ``ambiguous_time_zone``.  Numeric dates such as ``01/02/2024``
  are read with one day/month order for the whole column: the order the column proves (a first
  field above 12 means day first), or the one given by ``dayfirst=``; a column that proves
  neither is the problem ``ambiguous_date_order``, one that proves both is
  ``inconsistent_date_order``.  ``time_format=`` reads every text row with one explicit format.
- **datetimes** (``datetime``, ``Timestamp``, ``datetime64``) keep their zone when they have one.

Rows that carry a zone are *aware*; the others are *naive* and are read as wall-clock times in
``tz`` (required).  Aware and naive rows in one column are ``mixed_naive_aware``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.events._validate import Problems, TimeUnit, localize_naive
from useropslib.exceptions import InvalidParameterError

__all__ = ["check_time_options", "parse_timestamps"]

_NAT = np.iinfo(np.int64).min

# a clock time (hours at least, after "T" or a space) followed by a UTC designator or an offset,
# optionally followed by a parenthesised comment: "T08+08:00", "T080000+0800", " 08:00 +0000 (UTC)"
_AWARE_RE = (
    r"[T\s]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?\s*(?:[zZ]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)"
    r"(?:\s*\([^()]*\))?$"
)
# a clock time followed by a zone abbreviation other than UTC/GMT/Z: "08:00 EST", "8:00pm CST"
_ABBREV_RE = r"\d(?:\s*[aApP][mM])?\s+\(?[A-Z]{2,5}\)?$"
_UTC_WORD_RE = r"\s\(?(?:UTC|GMT|Z)\)?$"
# a numeric date whose first two fields may be day and month: 01/02/2024, 1.2.2024, 01-02-2024
_DMY_RE = r"^\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(.*)$"


def check_time_options(time_format: Any, dayfirst: Any) -> None:
    """Refuse a ``time_format=`` that is not text or a ``dayfirst=`` that is not a bool."""
    if time_format is not None and (not isinstance(time_format, str) or "%" not in time_format):
        raise InvalidParameterError(
            f"Invalid time_format={time_format!r}. Expected a strftime format such as "
            "'%d/%m/%Y %H:%M' (with '%z' when the text carries an offset), or None."
        )
    if dayfirst is not None and not isinstance(dayfirst, bool):
        raise InvalidParameterError(
            f"Invalid dayfirst={dayfirst!r}. Expected True (01/02/2024 is 1 February), False "
            "(2 January) or None (the column must show its order)."
        )


def _nat_to_int(values: pd.Series | pd.DatetimeIndex) -> npt.NDArray[np.int64]:
    """Aware or naive datetime64 (any unit) -> int64 ns, NaT as int64 min."""
    if isinstance(values, pd.Series):
        values = pd.DatetimeIndex(values)
    if values.tz is not None:
        values = values.tz_convert(None)  # free: the stored instants are already UTC
    if values.unit != "ns":
        values = values.as_unit("ns")  # converted once, only when needed
    # an own copy: the log must not change when the caller later edits their frame in place
    return np.array(values.asi8, dtype=np.int64, copy=True)


def _from_arrow(s: pd.Series, dtype: pd.ArrowDtype) -> pd.Series:
    """Move a pyarrow-backed column to the equivalent numpy-backed one."""
    pa_type = dtype.pyarrow_dtype
    if dtype.kind == "M":
        unit_tz = getattr(pa_type, "tz", None)
        return s.astype(pd.DatetimeTZDtype("ns", unit_tz) if unit_tz else "datetime64[ns]")
    if dtype.kind in "iuf":
        return s.astype("float64")
    return s.astype(object)


def _to_datetime(text: pd.Series, **kwargs: Any) -> pd.Series:
    """pandas.to_datetime with out-of-range values as NaT instead of an exception."""
    try:
        parsed: pd.Series = pd.to_datetime(text, errors="coerce", utc=True, **kwargs)
        return parsed
    except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
        stamps: list[Any] = []
        for value in text.to_numpy():  # rare: only when the vectorised parse gave up
            try:
                stamps.append(pd.to_datetime(value, errors="coerce", utc=True, **kwargs))
            except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
                stamps.append(pd.NaT)
        out: pd.Series = pd.Series(stamps, index=text.index, dtype="datetime64[ns, UTC]")
        return out


def _reorder_numeric_dates(
    text: pd.Series, dayfirst: bool | None, column: str, problems: Problems
) -> tuple[pd.Series, bool]:
    """Rewrite numeric dates (d/m/Y or m/d/Y) as ISO text with one order for the column.

    Returns the rewritten text and whether the order could be decided (False records a problem).
    """
    parts = text.str.extract(_DMY_RE)
    hit = parts[0].notna().to_numpy()
    if not hit.any():
        return text, True
    a = parts[0].astype(float).to_numpy()
    b = parts[2].astype(float).to_numpy()
    if dayfirst is None:
        day_first_rows = hit & (a > 12)
        month_first_rows = hit & (b > 12)
        if day_first_rows.any() and month_first_rows.any():
            problems.add(month_first_rows, column, "inconsistent_date_order", text)
            return text, False
        if day_first_rows.any():
            dayfirst = True
        elif month_first_rows.any():
            dayfirst = False
        else:
            problems.add(hit, column, "ambiguous_date_order", text)
            return text, False
    day, month = (parts[0], parts[2]) if dayfirst else (parts[2], parts[0])
    iso = parts[3] + "-" + month.str.zfill(2) + "-" + day.str.zfill(2) + parts[4].fillna("")
    out = text.copy()
    out[hit] = iso[hit]
    return out, True


def _parse_text(
    text: pd.Series,
    *,
    time_format: str | None,
    dayfirst: bool | None,
    column: str,
    problems: Problems,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Parse text rows: (UTC-or-wall ns, aware mask). Unparseable rows are NaT."""
    n = len(text)
    fast = _arrow_text(text)  # vectorised string kernels (RE2) when pyarrow is installed
    stripped = fast.str.strip()
    if time_format is not None:
        aware_fmt = "%z" in time_format or "%Z" in time_format
        parsed = _to_datetime(stripped.astype(object), format=time_format)
        return _nat_to_int(parsed), np.full(n, aware_fmt)
    # a zone abbreviation: capital letters after a clock time, other than UTC, GMT or Z
    abbrev = _contains(stripped, _ABBREV_RE) & ~_contains(stripped, _UTC_WORD_RE)
    problems.add(abbrev, column, "ambiguous_time_zone", text)
    aware = _contains(stripped, _AWARE_RE) & ~abbrev
    plain = stripped.astype(object)
    out = np.full(n, _NAT, dtype=np.int64)
    todo = ~abbrev
    if todo.any():
        iso = _to_datetime(plain[todo], format="ISO8601")
        vals = _nat_to_int(iso)
        out[np.flatnonzero(todo)] = vals
        retry = todo.copy()
        retry[np.flatnonzero(todo)] = vals == _NAT
        if retry.any():
            rest, decided = _reorder_numeric_dates(plain[retry], dayfirst, column, problems)
            if decided:
                out[np.flatnonzero(retry)] = _nat_to_int(_to_datetime(rest, format="mixed"))
            else:
                todo[np.flatnonzero(retry)] = False  # reported already: not unparseable too
    return out, aware


def _arrow_text(text: pd.Series) -> pd.Series:
    """Return the text as a pyarrow string column when pyarrow is there (fast regex)."""
    try:
        out: pd.Series = text.astype("string[pyarrow]")
    except (ImportError, TypeError, ValueError):
        return text
    return out


def _contains(text: pd.Series, pattern: str) -> npt.NDArray[np.bool_]:
    """Row-wise regular-expression search as a plain bool array."""
    hit = text.str.contains(pattern, regex=True)
    return np.asarray(hit.to_numpy(dtype=bool, na_value=False), dtype=bool)


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(
        x, (bool, np.bool_)
    )


def _is_datetime(x: object) -> bool:
    return isinstance(x, (dt.datetime, dt.date, np.datetime64))


def _epochs(
    values: npt.NDArray[Any], time_unit: TimeUnit
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Epoch numbers in ``time_unit`` -> (UTC ns, ok mask); non-finite or out-of-range not ok."""
    num = np.asarray(values, dtype=float)
    ok = np.isfinite(num)
    out = np.full(num.shape, _NAT, dtype=np.int64)
    if ok.any():
        conv = pd.to_datetime(
            pd.Series(num[ok]), unit=time_unit, utc=True, errors="coerce"
        ).to_numpy(dtype="datetime64[ns]")
        out[ok] = conv.astype(np.int64)
    return out, ok & (out != _NAT)


def parse_timestamps(
    s: pd.Series,
    *,
    tz: str | None,
    time_unit: TimeUnit | None,
    column: str,
    problems: Problems,
    time_format: str | None = None,
    dayfirst: bool | None = None,
) -> tuple[npt.NDArray[np.int64], str | None]:
    """Convert a timestamp column to UTC nanoseconds, recording bad rows in ``problems``.

    Returns the int64 array (int64-min where invalid) and the column's own time zone when it was
    timezone-aware with a single zone (else None).  See the module docstring for the rules.
    """
    n = len(s)
    if isinstance(s.dtype, pd.ArrowDtype):
        s = _from_arrow(s, s.dtype)
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    dtype = s.dtype
    null = s.isna().to_numpy()
    problems.add(null, column, "null_timestamp")

    # 1. datetime64 columns: the fast path
    if isinstance(dtype, pd.DatetimeTZDtype):
        return _nat_to_int(s), str(dtype.tz)
    if pd.api.types.is_datetime64_dtype(dtype):
        if tz is None:
            if (~null).any():
                problems.add_whole(column, "naive_timestamp", "timestamps have no time zone")
            return np.full(n, _NAT, dtype=np.int64), None
        return localize_naive(s, tz, column, problems, null), None

    # 2. numeric columns: epoch values in an explicit unit
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        if time_unit is None:
            problems.add_whole(column, "numeric_timestamp", f"column has numeric dtype {dtype}")
            return np.full(n, _NAT, dtype=np.int64), None
        out, ok = _epochs(s.to_numpy(dtype=float, na_value=np.nan), time_unit)
        problems.add(~null & ~ok, column, "unparseable_timestamp", s)
        return out, "UTC"

    # 3. text and Python objects, possibly of several kinds: one rule per kind
    obj = s.astype(object)
    kind = pd.api.types.infer_dtype(obj, skipna=True)
    values = obj.to_numpy()
    if kind in ("string", "empty"):
        is_text, is_num, is_dt = ~null, np.zeros(n, bool), np.zeros(n, bool)
    else:
        is_text = np.fromiter((isinstance(x, str) for x in values), bool, n) & ~null
        is_num = np.fromiter((_is_number(x) for x in values), bool, n) & ~null
        is_dt = np.fromiter((_is_datetime(x) for x in values), bool, n) & ~null
    other = ~null & ~is_text & ~is_num & ~is_dt
    problems.add(other, column, "unparseable_timestamp", s)

    out = np.full(n, _NAT, dtype=np.int64)
    aware = np.zeros(n, dtype=bool)
    # text
    if is_text.any():
        txt_ns, txt_aware = _parse_text(
            obj[is_text].astype(str),
            time_format=time_format,
            dayfirst=dayfirst,
            column=column,
            problems=problems,
        )
        out[is_text] = txt_ns
        aware[is_text] = txt_aware
    # numbers: epochs only with a unit
    if is_num.any():
        if time_unit is None:
            problems.add(is_num, column, "numeric_timestamp", s)
            is_num = np.zeros(n, bool)
        else:
            num_ns, num_ok = _epochs(values[is_num], time_unit)
            out[is_num] = np.where(num_ok, num_ns, _NAT)
            aware[is_num] = True
    # datetime objects, each keeping its own zone
    if is_dt.any():
        dts = values[is_dt]
        dt_aware = np.fromiter(
            (getattr(x, "tzinfo", None) is not None for x in dts), bool, len(dts)
        )
        ns = np.full(len(dts), _NAT, dtype=np.int64)
        if dt_aware.any():
            ns[dt_aware] = _nat_to_int(_to_datetime(pd.Series(dts[dt_aware], dtype=object)))
        if (~dt_aware).any():
            naive = pd.Series(dts[~dt_aware], dtype=object)
            try:
                conv = pd.to_datetime(naive, errors="coerce")
                ns[~dt_aware] = _nat_to_int(conv)
            except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
                pass
        out[is_dt] = ns
        aware[is_dt] = dt_aware

    reported = np.zeros(n, dtype=bool)
    for pos, col, _check, _ in problems.groups:
        if col == column and pos.size and pos[0] >= 0:
            reported[pos] = True
    parsed = (is_text | is_num | is_dt) & (out != _NAT)
    problems.add(~null & ~other & ~parsed & ~reported, column, "unparseable_timestamp", s)
    ok_aware = parsed & aware
    ok_naive = parsed & ~aware
    if ok_naive.any() and ok_aware.any():
        problems.add(
            ok_naive if ok_naive.sum() <= ok_aware.sum() else ok_aware,
            column,
            "mixed_naive_aware",
            s,
        )
        return np.full(n, _NAT, dtype=np.int64), None
    if ok_naive.any():
        if tz is None:
            problems.add_whole(column, "naive_timestamp", "timestamps have no UTC offset")
            return np.full(n, _NAT, dtype=np.int64), None
        # the naive values were read as if UTC: reinterpret them as local times in tz
        local = pd.Series(out.astype("datetime64[ns]"), index=s.index).where(ok_naive)
        return localize_naive(local, tz, column, problems, ~ok_naive), None
    return out, None
