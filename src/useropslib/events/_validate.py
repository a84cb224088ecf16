"""Vectorised checks of raw event columns; every problem is collected before anything is raised."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.exceptions import EventSchemaError

__all__ = ["Problems", "TimeUnit", "parse_timestamps", "parse_values"]

TimeUnit = Literal["s", "ms", "us", "ns"]

_NAT = np.iinfo(np.int64).min
_FIRST = 5  # rows shown per check in the message

# a clock time followed by a UTC designator or an offset: "...10:00Z", "...10:00:00.5+08:00"
_AWARE_RE = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[zZ]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$"

_HINTS: dict[str, str] = {
    "null_user_id": "every event needs a user id (or an anonymous id mapped through identities=)",
    "empty_user_id": "blank user ids are not users; fill them or remove those rows",
    "null_event": "every event needs a name",
    "empty_event": "blank event names are not events; fill them or remove those rows",
    "null_timestamp": "every event needs a time; fill the missing ones or remove those rows",
    "unparseable_timestamp": "use ISO 8601 text such as '2024-05-01T08:00:00+08:00', or datetimes",
    "naive_timestamp": "pass tz='Asia/Shanghai' (the zone the local times were recorded in), "
    "or give timezone-aware timestamps",
    "mixed_naive_aware": "make all timestamps aware (with an offset) or all naive (and pass tz=)",
    "numeric_timestamp": "pass time_unit='s' (or 'ms', 'us', 'ns') to read epoch numbers as UTC",
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
            if check in _HINTS:
                lines.append(f"    Hint: {_HINTS[check]}.")
        lines.append("Every problem is listed in the error's .failure_cases frame.")
        raise EventSchemaError("\n".join(lines), failure_cases=self.failure_cases())


def _nat_to_int(values: pd.Series | pd.DatetimeIndex) -> npt.NDArray[np.int64]:
    """Aware or naive datetime64 (any unit) -> int64 ns, NaT as int64 min."""
    if isinstance(values, pd.Series):
        values = pd.DatetimeIndex(values)
    if values.tz is not None:
        values = values.tz_convert(None)
    return np.asarray(values.as_unit("ns").asi8, dtype=np.int64)


def _from_arrow(s: pd.Series, dtype: pd.ArrowDtype) -> pd.Series:
    """Move a pyarrow-backed column to the equivalent numpy-backed one."""
    pa_type = dtype.pyarrow_dtype
    if dtype.kind == "M":
        unit_tz = getattr(pa_type, "tz", None)
        return s.astype(pd.DatetimeTZDtype("ns", unit_tz) if unit_tz else "datetime64[ns]")
    if dtype.kind in "iuf":
        return s.astype("float64")
    return s.astype(object)


def _parse_strings(s: pd.Series) -> pd.Series:
    """Parse text timestamps: ISO 8601 quickly, then any remaining ones element-wise."""
    out = pd.to_datetime(s, errors="coerce", format="ISO8601", utc=True)
    retry = out.isna() & s.notna()
    if retry.any():
        out[retry] = pd.to_datetime(s[retry], errors="coerce", format="mixed", utc=True)
    return out


def parse_timestamps(
    s: pd.Series,
    *,
    tz: str | None,
    time_unit: TimeUnit | None,
    column: str,
    problems: Problems,
) -> tuple[npt.NDArray[np.int64], str | None]:
    """Convert a timestamp column to UTC nanoseconds, recording bad rows in ``problems``.

    Returns the int64 array (int64-min where invalid) and the column's own time zone when it was
    timezone-aware with a single zone (else None).
    """
    n = len(s)
    bad = np.full(n, _NAT, dtype=np.int64)
    dtype = s.dtype
    if isinstance(dtype, pd.ArrowDtype):
        s = _from_arrow(s, dtype)
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
            return bad, None
        return _localize(s, tz, column, problems, null), None

    # 2. numbers: epoch values in an explicit unit
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        if time_unit is None:
            problems.add_whole(column, "numeric_timestamp", f"column has numeric dtype {dtype}")
            return bad, None
        ok = ~null & np.isfinite(s.to_numpy(dtype=float, na_value=np.nan))
        out = bad.copy()
        conv = pd.to_datetime(s[ok], unit=time_unit, utc=True, errors="coerce")
        out[ok] = _nat_to_int(conv)
        problems.add(ok & (out == _NAT), column, "unparseable_timestamp", s)
        problems.add(~null & ~ok, column, "unparseable_timestamp", s)
        return out, "UTC"

    # 3. text or python objects: decide awareness per row, then parse
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind in ("string", "empty"):
        text = s.astype(object).where(~null, None)
        aware = s[~null].astype(str).str.strip().str.contains(_AWARE_RE, regex=True).to_numpy(bool)
        aware_mask = np.zeros(n, dtype=bool)
        aware_mask[~null] = aware
        parsed_aware = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]")
        if aware_mask.any():
            parsed_aware[aware_mask] = _parse_strings(text[aware_mask])
        naive_mask = ~null & ~aware_mask
        parsed_naive = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]")
        if naive_mask.any():
            parsed_naive[naive_mask] = _parse_strings(text[naive_mask])
        out = np.where(aware_mask, _nat_to_int(parsed_aware), _nat_to_int(parsed_naive))
        unparsed = ~null & (out == _NAT)
        problems.add(unparsed, column, "unparseable_timestamp", s)
        ok_naive = naive_mask & ~unparsed
        ok_aware = aware_mask & ~unparsed
        if ok_naive.any() and ok_aware.any():
            problems.add(
                ok_naive if ok_naive.sum() <= ok_aware.sum() else ok_aware,
                column,
                "mixed_naive_aware",
                s,
            )
            return bad, None
        if ok_naive.any():
            if tz is None:
                problems.add_whole(column, "naive_timestamp", "timestamps have no UTC offset")
                return bad, None
            # the naive values were parsed as if UTC: reinterpret them as local times in tz
            local = pd.Series(out.astype("datetime64[ns]"), index=s.index).where(ok_naive)
            return _localize(local, tz, column, problems, ~ok_naive), None
        return out, None

    # python datetime / Timestamp objects (possibly with different zones)
    tzinfos = s[~null].map(lambda x: getattr(x, "tzinfo", None) is not None)
    aware_mask = np.zeros(n, dtype=bool)
    aware_mask[~null] = tzinfos.to_numpy(dtype=bool)
    naive_mask = ~null & ~aware_mask
    if aware_mask.any() and naive_mask.any():
        problems.add(
            naive_mask if naive_mask.sum() <= aware_mask.sum() else aware_mask,
            column,
            "mixed_naive_aware",
            s,
        )
        return bad, None
    if naive_mask.any() and tz is None:
        problems.add_whole(column, "naive_timestamp", "timestamps have no time zone")
        return bad, None
    conv = pd.to_datetime(s.astype(object), errors="coerce", utc=bool(aware_mask.any()))
    unparsed = ~null & conv.isna().to_numpy()
    problems.add(unparsed, column, "unparseable_timestamp", s)
    if naive_mask.any():
        assert tz is not None
        return _localize(conv, tz, column, problems, null | unparsed), None
    return _nat_to_int(conv), None


def _localize(
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


def parse_values(s: pd.Series, *, column: str, problems: Problems) -> npt.NDArray[np.float64]:
    """Convert a value column to float64 (NaN = no value), recording non-numbers and infinities."""
    if pd.api.types.is_bool_dtype(s.dtype):
        problems.add(s.notna().to_numpy(), column, "non_numeric_value", s)
        return np.full(len(s), np.nan)
    if pd.api.types.is_numeric_dtype(s.dtype):
        out = s.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        num = pd.to_numeric(s, errors="coerce")
        out = num.to_numpy(dtype=np.float64, na_value=np.nan)
        problems.add(np.isnan(out) & s.notna().to_numpy(), column, "non_numeric_value", s)
    problems.add(np.isinf(out), column, "non_finite_value", s)
    return out
