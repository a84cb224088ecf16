"""Vectorised checks of raw event columns; every problem is collected before anything is raised."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.exceptions import EventSchemaError

__all__ = ["Problems", "TimeUnit", "localize_naive", "parse_values"]

TimeUnit = Literal["s", "ms", "us", "ns"]

_NAT = np.iinfo(np.int64).min
_FIRST = 5  # rows shown per check in the message

CHECK_HINTS: dict[str, str] = {
    "null_user_id": "every event needs a user id (or an anonymous id mapped through identities=)",
    "empty_user_id": "blank user ids are not users; fill them or remove those rows",
    "null_event": "every event needs a name",
    "empty_event": "blank event names are not events; fill them or remove those rows",
    "invalid_user_id": "a user id is text or an integer; booleans, lists and other objects "
    "are not ids",
    "invalid_event": "an event name is text (or a number, read as text); booleans, lists "
    "and other objects are not names",
    "colliding_user_id": "ids of different kinds read the same as text (1 and '1'); convert "
    "the column to one kind, e.g. df[col].astype(str), so they are one user or rename one",
    "colliding_event": "names of different kinds read the same as text (1 and '1'); convert "
    "the column with .astype(str) so they are one event, or rename one",
    "out_of_range_timestamp": "times must lie in 1900-01-01 .. 2149-12-31 UTC; these are "
    "probably placeholders or unit mistakes (check time_unit=)",
    "null_timestamp": "every event needs a time; fill the missing ones or remove those rows",
    "unparseable_timestamp": "use ISO 8601 text such as '2024-05-01T08:00:00+08:00', or datetimes",
    "naive_timestamp": "pass tz='Asia/Shanghai' (the zone the local times were recorded in), "
    "or give timezone-aware timestamps",
    "mixed_naive_aware": "make all timestamps aware (with an offset) or all naive (and pass tz=)",
    "numeric_timestamp": "pass time_unit='s' (or 'ms', 'us', 'ns') to read epoch numbers as UTC",
    "ambiguous_time_zone": "zone abbreviations such as EST or CST mean different offsets in "
    "different places; write the offset ('-05:00') or name the zone with tz=",
    "ambiguous_date_order": "these dates read both as day/month and month/day; pass "
    "dayfirst=True or False, or time_format='%d/%m/%Y'",
    "inconsistent_date_order": "some dates are day first and others month first; clean the "
    "column, or pass time_format= to read one format",
    "nonexistent_local_time": "these local times were skipped by a DST change; "
    "give aware timestamps",
    "ambiguous_local_time": "these local times happen twice at a DST change; give aware timestamps",
    "after_as_of": "pass a later as_of=, or remove the rows after it before building the log",
    "non_numeric_value": "values must be numbers; clean the column or choose another value_col",
    "non_finite_value": "values must be finite; replace infinities or remove those rows",
    "duplicate_row": "pass duplicates='keep' to keep them or duplicates='drop' to drop them",
    "empty_log": "pass allow_empty=True if an empty log is expected",
}


@dataclass
class Problems:
    """Collects validation problems as (row positions, column, check, values) groups."""

    labels: pd.Index
    groups: list[tuple[npt.NDArray[np.intp], str, str, npt.NDArray[Any] | None]] = field(
        default_factory=list
    )

    def add(
        self,
        mask_or_pos: npt.NDArray[Any],
        column: str,
        check: str,
        values: pd.Series | npt.NDArray[Any] | None = None,
    ) -> None:
        """Record a problem for the rows selected by a boolean mask or positions."""
        arr = np.asarray(mask_or_pos)
        pos = np.flatnonzero(arr) if arr.dtype == bool else arr.astype(np.intp)
        if pos.size == 0:
            return
        vals = None if values is None else np.asarray(values, dtype=object)[pos]
        self.groups.append((pos, column, check, vals))

    def add_whole(self, column: str, check: str, value: str) -> None:
        """Record a problem about a whole column (row is reported as missing)."""
        self.groups.append((np.array([-1], dtype=np.intp), column, check, np.array([value])))

    def __bool__(self) -> bool:
        return bool(self.groups)

    def failure_cases(self) -> pd.DataFrame:
        """Return one row per problem: row label, column, check and value as text."""
        frames = []
        for pos, column, check, vals in self.groups:
            rows: Any = [None] if pos.size == 1 and pos[0] == -1 else self.labels.take(pos)
            frames.append(
                pd.DataFrame(
                    {
                        "row": pd.Series(list(rows), dtype=object),
                        "column": column,
                        "check": check,
                        "value": pd.Series(
                            [None if v is None else str(v) for v in vals]
                            if vals is not None
                            else [None] * len(rows),
                            dtype=object,
                        ),
                    }
                )
            )
        out: pd.DataFrame = pd.concat(frames, ignore_index=True)
        return out

    def raise_if_any(self, what: str = "Event table") -> None:
        """Raise one :class:`EventSchemaError` describing every collected problem."""
        if not self.groups:
            return
        total = sum(int(p.size) for p, *_ in self.groups)
        lines = [f"{what} failed validation: {total} problem(s) in {len(self.groups)} check(s):"]
        for pos, column, check, vals in self.groups:
            if pos.size == 1 and pos[0] == -1:
                detail = f"{vals[0] if vals is not None else ''}"
                lines.append(f"  - {check} in column {column!r}: {detail}")
            else:
                first = list(self.labels.take(pos[:_FIRST]))
                shown = ""
                if vals is not None:
                    shown = f", values {[None if v is None else str(v) for v in vals[:_FIRST]]}"
                more = " ..." if pos.size > _FIRST else ""
                lines.append(
                    f"  - {check} in column {column!r}: {pos.size} row(s), first rows "
                    f"{first}{more}{shown}"
                )
            if check in CHECK_HINTS:
                lines.append(f"    Hint: {CHECK_HINTS[check]}.")
        lines.append("Every problem is listed in the error's .failure_cases frame.")
        raise EventSchemaError("\n".join(lines), failure_cases=self.failure_cases())


def _nat_to_int(values: pd.Series | pd.DatetimeIndex) -> npt.NDArray[np.int64]:
    """Aware or naive datetime64 (any unit) -> int64 ns, NaT as int64 min."""
    if isinstance(values, pd.Series):
        values = pd.DatetimeIndex(values)
    if values.tz is not None:
        values = values.tz_convert(None)
    return np.asarray(values.as_unit("ns").asi8, dtype=np.int64)


def localize_naive(
    s: pd.Series, tz: str, column: str, problems: Problems, skip: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int64]:
    """Read naive wall-clock times in ``tz``; DST gaps and repeats are problems, not guesses."""
    loc = s.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    out = _nat_to_int(loc)
    lost = (out == _NAT) & ~skip
    if lost.any():
        # tell a skipped (nonexistent) local time from a repeated (ambiguous) one
        shifted = s[lost].dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
        nonexist = np.zeros(len(s), dtype=bool)
        nonexist[np.flatnonzero(lost)] = shifted.notna().to_numpy()
        problems.add(nonexist, column, "nonexistent_local_time", s)
        problems.add(lost & ~nonexist, column, "ambiguous_local_time", s)
    return out


def _is_plain_number(x: object) -> bool:
    """Tell whether ``x`` is a real number or numeric text (not bool, complex, date ...)."""
    if isinstance(x, (bool, np.bool_, complex, np.complexfloating)):
        return False
    return isinstance(x, (int, float, str, np.integer, np.floating, Decimal))


def parse_values(s: pd.Series, *, column: str, problems: Problems) -> npt.NDArray[np.float64]:
    """Convert a value column to float64 (NaN = no value), recording non-numbers and infinities.

    Booleans, complex numbers, dates and durations are refused (``non_numeric_value``), not
    coerced: ``True`` is not 1.0 of revenue, a complex number has no single amount, and a date
    read as epoch nanoseconds is no amount at all.
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    present = s.notna().to_numpy()
    dtype = s.dtype
    if (
        pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_complex_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype)
    ):
        problems.add(present, column, "non_numeric_value", s)
        return np.full(len(s), np.nan)
    if pd.api.types.is_numeric_dtype(dtype):
        out = s.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        obj = s.astype(object)
        kind = pd.api.types.infer_dtype(obj, skipna=True)
        plain = present.copy()
        if kind not in ("integer", "floating", "mixed-integer-float", "decimal", "string", "empty"):
            plain = present & np.fromiter(
                (_is_plain_number(x) for x in obj.to_numpy()), bool, len(obj)
            )
        num = pd.to_numeric(obj.where(plain, None), errors="coerce")
        # a writable copy: under pandas 3 (copy-on-write) to_numpy may return a read-only view
        out = np.array(num.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
        out[~plain] = np.nan
        problems.add(present & np.isnan(out), column, "non_numeric_value", s)
    problems.add(np.isinf(out), column, "non_finite_value", s)
    return out
