"""Encode an event table inside the engine that holds it (DuckDB, Polars, pyarrow, PySpark).

The heavy part of building an :class:`~useropslib.events.EventLog` -- checking every row, turning
user ids and event names into dense integer codes and times into int64 UTC nanoseconds -- runs in
the data's own engine through narwhals.  Only the compact columns (int32 codes, int64 times,
float64 values, the named property columns) and the two vocabularies are collected.

Backends differ in a few places, handled here and nowhere else:

- narwhals has no ``dt.timestamp`` on DuckDB and PySpark, so the epoch value of the time column is
  added natively there (DuckDB ``epoch_ns``, Spark ``unix_micros`` / ``timestampdiff``);
- DuckDB ``TIMESTAMPTZ_NS`` is unknown to narwhals' schema, so DuckDB and Spark time types are
  read from the native schema;
- SQL engines have no row order, so their failure cases carry no row position (``row`` is None);
  eager frames and Polars LazyFrames report positions.

Naive timestamps with ``tz=`` are localised after collection with the same DST-aware code as the
pandas path (the engine collects wall-clock nanoseconds).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NoReturn

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.events._time import check_tz, to_utc_ns
from useropslib.events._validate import CHECK_HINTS, Problems, localize_naive
from useropslib.exceptions import EventSchemaError, InvalidParameterError, UseropsError
from useropslib.models._types import BLANK_PATTERN, MAX_INSTANT, MIN_INSTANT

__all__ = [
    "ENGINE_BACKENDS",
    "Encoded",
    "Prepared",
    "collect_pandas",
    "encode_in_engine",
    "prepare_in_engine",
    "rows_collected",
    "user_id_index",
]

#: narwhals implementations whose frames are encoded in the engine.
ENGINE_BACKENDS = ("polars", "pyarrow", "duckdb", "pyspark")

_T = "__useropslib_time_ns__"
_ROW = "__useropslib_row__"
_CODE = "__useropslib_code__"
_U = "__useropslib_user_code__"
_E = "__useropslib_event_code__"
_AGG = "__useropslib_agg_"  # prefix of the counting query's columns
_FIRST = 5  # rows shown per check in the message (as in the pandas path)
_LIMIT = 1000  # offending rows fetched per check into failure_cases
_UNIT_NS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}
_INT64_MAX = np.iinfo(np.int64).max


@dataclasses.dataclass(frozen=True)
class Encoded:
    """The compact result of encoding an event table in its engine."""

    user_codes: npt.NDArray[np.int32]
    users: pd.Index
    event_codes: npt.NDArray[np.int32]
    events: pd.Index
    ts_ns: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64] | None
    props: pd.DataFrame | None
    tz: str


@dataclasses.dataclass
class _Check:
    column: str
    check: str
    count: int
    rows: list[Any]
    values: list[str | None] | None
    whole: str | None = None  # a whole-column problem: its description


def _backend(nw_frame: Any) -> str:
    return str(nw_frame.implementation.name).lower()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_COLLECTED: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "useropslib_rows_collected", default=None
)


@contextlib.contextmanager
def rows_collected() -> Iterator[list[int]]:
    """Count the rows every engine query collects inside the block (a test hook).

    Every collection from DuckDB, Polars, pyarrow or PySpark goes through
    :func:`collect_native`; inside the block each one appends its row count to the yielded
    list, so a test can show that a function collects no more rows than its answer has.

    Yields
    ------
    list of int
        The row counts, one per collection, in order.

    Examples
    --------
    >>> import polars as pl
    >>> import narwhals.stable.v2 as nw
    >>> lf = nw.from_native(pl.LazyFrame({"a": [1, 2, 3]}))
    >>> with rows_collected() as sizes:
    ...     _ = collect_native(lf.filter(nw.col("a") > 1))
    >>> sizes
    [2]
    """
    sizes: list[int] = []
    token = _COLLECTED.set(sizes)
    try:
        yield sizes
    finally:
        _COLLECTED.reset(token)


def user_id_index(values: Any, name: str | None = "user_id") -> pd.Index:
    """Return collected user ids as an index (named ``name``), typed as in memory.

    Text ids come back as an object array; pandas infers its text dtype from the values, but an
    empty array has none to infer from, so an empty text-or-unknown index takes the dtype pandas
    gives text ids (``str`` in pandas 3, object before): the empty answer then equals the
    in-memory one.
    """
    out: pd.Index = pd.Index(np.asarray(values), name=name)
    if len(out) == 0 and out.dtype == object:
        out = out.astype(pd.Index(["id"]).dtype)
    return out


def collect_native(obj: Any) -> Any:
    """Collect a narwhals LazyFrame (Polars with its streaming engine); count rows if asked."""
    import narwhals.stable.v2 as nw

    if not isinstance(obj, nw.LazyFrame):
        got = obj  # an eager frame (pyarrow, Polars DataFrame): the query already ran
    elif obj.implementation.name == "POLARS":
        # the streaming engine reads in batches instead of loading whole columns first
        got = obj.collect(engine="streaming")
    else:
        got = obj.collect()
    sizes = _COLLECTED.get()
    if sizes is not None and hasattr(got, "__len__"):
        sizes.append(len(got))
    return got


def _is_iana(name: str) -> bool:
    try:
        check_tz(name)
    except UseropsError:
        return False
    return True


def collect_pandas(nw_frame: Any, columns: Sequence[str]) -> pd.DataFrame:
    """Collect only ``columns`` of a narwhals frame to pandas (the fallback path).

    Parameters
    ----------
    nw_frame : narwhals DataFrame or LazyFrame
        The events.
    columns : sequence of str
        Columns to keep; those the frame lacks are skipped (validation reports them).

    Returns
    -------
    pandas.DataFrame
    """
    names = list(nw_frame.collect_schema().names())
    keep = [c for c in dict.fromkeys(columns) if c in names]
    out: pd.DataFrame = collect_native(nw_frame.select(keep)).to_pandas()
    return out


# ---------------------------------------------------------------------------- time column
@dataclasses.dataclass(frozen=True)
class _TimeKind:
    kind: str  # "aware" | "naive" | "int" | "other"
    tz: str | None = None


def _time_kind(nw_frame: Any, native: Any, col: str) -> _TimeKind:
    import narwhals.stable.v2 as nw

    backend = _backend(nw_frame)
    if backend == "duckdb":
        typ = str(native.types[list(native.columns).index(col)]).upper()
        if "TIME ZONE" in typ or typ.startswith("TIMESTAMPTZ"):
            tbl = native.project(_quote(col)).limit(0)
            arrow = tbl.to_arrow_table() if hasattr(tbl, "to_arrow_table") else tbl.arrow()
            return _TimeKind("aware", str(arrow.schema.field(0).type.tz))
        if typ.startswith("TIMESTAMP"):
            return _TimeKind("naive")
    elif backend == "pyspark":
        name = type(native.schema[col].dataType).__name__
        if name == "TimestampType":
            zone = native.sparkSession.conf.get("spark.sql.session.timeZone")
            return _TimeKind("aware", str(zone))
        if name == "TimestampNTZType":
            return _TimeKind("naive")
    else:
        dtype = nw_frame.collect_schema()[col]
        if isinstance(dtype, nw.Datetime):
            return _TimeKind("aware", dtype.time_zone) if dtype.time_zone else _TimeKind("naive")
    dtype = nw_frame.collect_schema()[col]
    if dtype.is_integer():
        return _TimeKind("int")
    return _TimeKind("other")


def _with_epoch(nw_frame: Any, native: Any, col: str, kind: _TimeKind) -> tuple[Any, Any]:
    """Return (frame, expression) where the expression is the time column as int64 epoch ns.

    Aware times give UTC instants; naive times give wall-clock nanoseconds.
    """
    import narwhals.stable.v2 as nw

    backend = _backend(nw_frame)
    if kind.kind in ("aware", "naive") and backend == "duckdb":
        rel = native.project(f"*, epoch_ns({_quote(col)}) AS {_quote(_T)}")
        return nw.from_native(rel), nw.col(_T)
    if kind.kind in ("aware", "naive") and backend == "pyspark":
        from pyspark.sql import functions as sf

        quoted = "`" + col.replace("`", "``") + "`"
        if kind.kind == "aware":
            micros = sf.expr(f"unix_micros({quoted})")
        else:
            micros = sf.expr(
                f"timestampdiff(MICROSECOND, TIMESTAMP_NTZ'1970-01-01 00:00:00', {quoted})"
            )
        sdf = native.withColumn(_T, (micros * 1000).cast("bigint"))
        return nw.from_native(sdf), nw.col(_T)
    return nw_frame, nw.col(col).dt.timestamp("ns")


# ---------------------------------------------------------------------------- checks
def _row_source(nw_frame: Any, native: Any) -> tuple[Any, bool]:
    """Return the frame with a positional row column when the engine has a row order."""
    import narwhals.stable.v2 as nw

    backend = _backend(nw_frame)
    if isinstance(nw_frame, nw.DataFrame):
        return nw_frame.with_row_index(_ROW), True
    if backend == "polars":
        return nw.from_native(native.with_row_index(_ROW)), True
    return nw_frame, False


def _fetch(
    src: Any, has_rows: bool, cond: Any, value_col: str | None, count: int
) -> tuple[list[Any], list[str | None] | None]:
    """First offending rows (positions, or None without a row order) and their values as text."""
    if not has_rows and value_col is None:
        return [None] * min(count, _LIMIT), None
    cols = ([_ROW] if has_rows else []) + ([value_col] if value_col is not None else [])
    sub = src.filter(cond)
    if has_rows:
        sub = sub.sort(_ROW)
    got = collect_native(sub.select(cols).head(_LIMIT)).to_pandas()
    rows = [int(r) for r in got[_ROW]] if has_rows else [None] * len(got)
    values = None
    if value_col is not None:
        values = [None if pd.isna(v) else str(v) for v in got[value_col]]
    return rows, values


def _raise(checks: list[_Check]) -> NoReturn:
    total = sum(c.count for c in checks)
    lines = [f"Event table failed validation: {total} problem(s) in {len(checks)} check(s):"]
    frames = []
    for c in checks:
        if c.whole is not None:
            lines.append(f"  - {c.check} in column {c.column!r}: {c.whole}")
            rows: list[Any] = [None]
            vals: list[str | None] = [c.whole]
        else:
            shown = ""
            if c.values is not None:
                shown = f", values {c.values[:_FIRST]}"
            more = " ..." if c.count > _FIRST else ""
            first = c.rows[:_FIRST]
            where = f", first rows {first}{more}" if any(r is not None for r in first) else more
            lines.append(f"  - {c.check} in column {c.column!r}: {c.count} row(s){where}{shown}")
            rows = c.rows
            vals = c.values if c.values is not None else [None] * len(c.rows)
        if c.check in CHECK_HINTS:
            lines.append(f"    Hint: {CHECK_HINTS[c.check]}.")
        frames.append(
            pd.DataFrame(
                {
                    "row": pd.Series(rows, dtype=object),
                    "column": c.column,
                    "check": c.check,
                    "value": pd.Series(vals, dtype=object),
                }
            )
        )
    lines.append(
        "Every problem is listed in the error's .failure_cases frame (at most "
        f"{_LIMIT} rows per check were fetched from the engine)."
    )
    fc = pd.concat(frames, ignore_index=True)
    raise EventSchemaError("\n".join(lines), failure_cases=fc)


# ---------------------------------------------------------------------------- encoding
def _vocabulary(frame: Any, col: str) -> Any:
    """Distinct non-null values of ``col`` with dense codes 0..k-1 in sorted order."""
    import narwhals.stable.v2 as nw

    voc = frame.select(col).filter(~nw.col(col).is_null()).group_by(col).agg()
    return voc.with_row_index(_CODE, order_by=[col])


def _totals(grouped: pd.DataFrame, checks: list[str]) -> pd.Series:
    """Sum the per-event rows of the one counting query into the table's totals."""
    out: dict[str, Any] = {"n": int(grouped["n"].sum()) if len(grouped) else 0}
    for name in ("tmin", "tmax"):
        col = grouped[name].dropna() if len(grouped) else grouped[name]
        out[name] = (col.min() if name == "tmin" else col.max()) if len(col) else np.nan
    for name in checks:
        out[name] = int(pd.to_numeric(grouped[name]).fillna(0).sum()) if len(grouped) else 0
    totals: pd.Series = pd.Series(out, dtype=object)
    return totals


def _is_supported_id(dtype: Any) -> bool:
    import narwhals.stable.v2 as nw

    return bool(dtype == nw.String or dtype.is_integer())


@dataclasses.dataclass(frozen=True)
class Prepared:
    """An event table checked in its engine, with its encoded columns still lazy.

    ``frame`` is a narwhals frame with the columns ``u`` (int32 user code), ``e`` (int32 event
    code), ``t`` (int64 ns: UTC instants, or wall-clock ns when ``naive``), ``v`` (float64 value,
    when the table has values) and ``p0, p1, ...`` (the named properties).  ``raw`` has the
    same rows and columns with the user ids and event names as they are (``uid``, ``ename``)
    instead of codes: a lazy log reduces it without joining the vocabularies back, and encodes
    only what it collects.  ``raw_events`` are the event names as the engine holds them, in
    code order (``events`` is their text).
    """

    frame: Any
    raw: Any
    users: pd.Index
    events: pd.Index
    raw_events: pd.Index
    properties: tuple[str, ...]
    has_values: bool
    tz: str
    naive: bool
    n_rows: int
    t_min: int | None
    t_max: int | None


def prepare_in_engine(
    frame: Any,
    *,
    user_col: str,
    event_col: str,
    time_col: str,
    value_col: str | None,
    properties: Sequence[str],
    tz: str | None,
    time_unit: str | None,
    as_of: Any,
    allow_empty: bool,
    with_users: bool = True,
) -> Prepared | None:
    """Validate a frame in its engine and define its encoded columns; None for the pandas path.

    Parameters
    ----------
    frame : narwhals DataFrame or LazyFrame
        The events, on one of :data:`ENGINE_BACKENDS`.  Required columns must exist.
    user_col, event_col, time_col : str
        Column names.
    value_col : str or None
        Numeric value column (must exist when given).
    properties : sequence of str
        Property columns to collect.
    tz : str or None
        Validated IANA zone, required for naive times.
    time_unit : str or None
        Unit of integer epoch times.
    as_of : object
        The log's "now" (checked against every event) or None.
    allow_empty : bool
        Accept a frame without rows.
    with_users : bool, default True
        Compute the user vocabulary and the encoded ``frame``.  A lazy log passes False: it
        reads the users from its own hashed query and never joins codes back.

    Returns
    -------
    Prepared or None
        None when a column has a type only the pandas path reads (text or date times,
        non-numeric values, ids that are neither strings nor integers).

    Raises
    ------
    EventSchemaError
        With every problem found, counted in the engine; ``failure_cases`` holds the first
        offending rows of each check.
    """
    import narwhals.stable.v2 as nw

    native = nw.to_native(frame)
    schema = frame.collect_schema()
    if not (_is_supported_id(schema[user_col]) and _is_supported_id(schema[event_col])):
        return None
    if value_col is not None and not (
        schema[value_col].is_numeric() and schema[value_col] != nw.Boolean
    ):
        return None
    kind = _time_kind(frame, native, time_col)
    if kind.kind == "other" or (kind.kind == "int" and time_unit is None):
        return None
    if kind.kind == "int":
        input_tz: str | None = "UTC"
    else:
        input_tz = kind.tz
    log_tz = tz or (input_tz if input_tz is not None and _is_iana(input_tz) else "UTC")
    as_of_ns = None if as_of is None else to_utc_ns(as_of, tz=log_tz, name="as_of")

    # the time column as int64 (UTC instants for aware/int, wall-clock for naive)
    if kind.kind == "int":
        factor = _UNIT_NS[str(time_unit)]
        raw = nw.col(time_col).cast(nw.Int64)
        t_expr = raw * factor
        overflow = raw.abs() > _INT64_MAX // factor
        base = frame
    else:
        base, t_expr = _with_epoch(frame, native, time_col, kind)
        overflow = None

    # --- one pass of counts -------------------------------------------------------------------
    u, e = nw.col(user_col), nw.col(event_col)
    conds: list[tuple[str, str, Any, str | None]] = [(user_col, "null_user_id", u.is_null(), None)]
    if schema[user_col] == nw.String:
        conds.append((user_col, "empty_user_id", u.str.contains(BLANK_PATTERN), user_col))
    conds.append((event_col, "null_event", e.is_null(), None))
    if schema[event_col] == nw.String:
        conds.append((event_col, "empty_event", e.str.contains(BLANK_PATTERN), event_col))
    conds.append((time_col, "null_timestamp", nw.col(time_col).is_null(), None))
    if overflow is not None:
        conds.append((time_col, "unparseable_timestamp", overflow, time_col))
    if value_col is not None:
        v = nw.col(value_col).cast(nw.Float64)
        conds.append((value_col, "non_finite_value", v.abs() == float("inf"), value_col))
    naive_no_tz = kind.kind == "naive" and tz is None
    if kind.kind != "naive":  # the supported span, as the pandas path checks it
        lo, hi = (int(pd.Timestamp(x).value) for x in (MIN_INSTANT, MAX_INSTANT))
        span = (t_expr < lo) | (t_expr >= hi)
        conds.append((time_col, "out_of_range_timestamp", span, time_col))
    if as_of_ns is not None and kind.kind != "naive":
        conds.append((time_col, "after_as_of", t_expr > as_of_ns, time_col))

    # one aggregate query, grouped by event name: the checks, the counts, the time range and
    # the event vocabulary (the group keys) come back together, a few rows in all
    # (the row expressions first, then elementary aggregations, which every backend groups)
    # (prefixed names, so no user column can collide with them)
    names = [f"{_AGG}c{i}" for i in range(len(conds))]
    rows = base.select(
        nw.col(event_col),
        t_expr.alias(f"{_AGG}t"),
        *[c.cast(nw.Int64).alias(a) for a, (_, _, c, _) in zip(names, conds, strict=True)],
    )
    aggs = [nw.len().alias(f"{_AGG}n"), nw.col(f"{_AGG}t").min().alias(f"{_AGG}tmin")]
    aggs += [nw.col(f"{_AGG}t").max().alias(f"{_AGG}tmax"), *[nw.col(a).sum() for a in names]]
    grouped = collect_native(rows.group_by(event_col).agg(*aggs)).to_pandas()
    grouped.columns = [c.removeprefix(_AGG) if c != event_col else c for c in grouped.columns]
    counts = _totals(grouped, [a.removeprefix(_AGG) for a in names])
    n = int(counts["n"])
    if n == 0 and not allow_empty:
        _raise([_Check("*", "empty_log", 1, [None], None, whole="the table has no rows")])

    checks: list[_Check] = []
    src, has_rows = None, False
    n_null_time = 0
    for i, (column, check, cond, vcol) in enumerate(conds):
        cnt = 0 if pd.isna(counts[f"c{i}"]) else int(counts[f"c{i}"])
        if check == "null_timestamp":
            n_null_time = cnt
        if cnt:
            if src is None:
                src, has_rows = _row_source(base, nw.to_native(base))
            rows, vals = _fetch(src, has_rows, cond, vcol, cnt)
            checks.append(_Check(column, check, cnt, rows, vals))
    if naive_no_tz and n > n_null_time:
        whole = "timestamps have no time zone"
        checks.append(_Check(time_col, "naive_timestamp", 1, [None], None, whole))
    if checks:
        _order(checks)
        _raise(checks)

    # --- encode: vocabularies joined back as dense codes ---------------------------------------
    named = grouped[event_col][grouped[event_col].notna()]
    evoc = _vocabulary(base, event_col)
    cols = [
        nw.col(_U).cast(nw.Int32).alias("u"),
        nw.col(_E).cast(nw.Int32).alias("e"),
        t_expr.fill_null(0).cast(nw.Int64).alias("t"),
    ]
    if value_col is not None:
        cols.append(nw.col(value_col).cast(nw.Float64).alias("v"))
    prop_names = [f"p{i}" for i in range(len(properties))]
    cols += [nw.col(p).alias(a) for p, a in zip(properties, prop_names, strict=True)]
    frame, users = None, pd.Index([])
    # a lazy log takes the names from the counting query (sorted here: code point order is
    # the engines' binary string order); the eager path joins codes back, so it reads them in
    # the order of the engine-side vocabulary it joins
    if not with_users:
        events = np.sort(named.to_numpy())
    else:
        events = collect_native(evoc.sort(_CODE))[event_col].to_numpy()
        uvoc = _vocabulary(base, user_col)
        enc = base.join(uvoc.rename({_CODE: _U}), on=user_col, how="left")
        frame = enc.join(evoc.rename({_CODE: _E}), on=event_col, how="left").select(cols)
        users = pd.Index(collect_native(uvoc.sort(_CODE))[user_col].to_numpy())
    ev_index = pd.Index(events)
    if schema[event_col] != nw.String:
        ev_index = ev_index.astype(str)
    raw_cols = [
        nw.col(user_col).alias("uid"),
        nw.col(event_col).alias("ename"),
        t_expr.fill_null(0).cast(nw.Int64).alias("t"),
        *cols[3:],
    ]
    return Prepared(
        frame=frame,
        raw=base.select(raw_cols),
        users=users,
        events=ev_index,
        raw_events=pd.Index(events),
        properties=tuple(properties),
        has_values=value_col is not None,
        tz=log_tz,
        naive=kind.kind == "naive",
        n_rows=n,
        t_min=None if n == 0 or pd.isna(counts["tmin"]) else int(counts["tmin"]),
        t_max=None if n == 0 or pd.isna(counts["tmax"]) else int(counts["tmax"]),
    )


def encode_in_engine(frame: Any, **options: Any) -> Encoded | None:
    """Validate and encode a frame in its engine; None when the frame needs the pandas path.

    Parameters
    ----------
    frame : narwhals DataFrame or LazyFrame
        The events.
    **options
        The keyword arguments of :func:`prepare_in_engine` (``user_col``, ``event_col``,
        ``time_col``, ``value_col``, ``properties``, ``tz``, ``time_unit``, ``as_of``,
        ``allow_empty``).

    Returns
    -------
    Encoded or None
        The collected compact columns; None when the frame needs the pandas path.

    Raises
    ------
    EventSchemaError
        As in :func:`prepare_in_engine`, and for naive times that do not exist or are
        ambiguous in ``tz``.
    """
    prep = prepare_in_engine(frame, **options)
    if prep is None:
        return None
    got = collect_native(prep.frame)
    ts = np.ascontiguousarray(got["t"].to_numpy(), dtype=np.int64)
    if prep.naive:
        ts = _localize_naive(
            ts,
            frame,
            tz=prep.tz,
            time_col=options["time_col"],
            time_unit=options.get("time_unit"),
            as_of=options.get("as_of"),
        )
    values = None
    if prep.has_values:
        values = np.ascontiguousarray(got["v"].to_numpy(), dtype=np.float64)
    props = None
    if prep.properties:
        props = got.select([f"p{i}" for i in range(len(prep.properties))]).to_pandas()
        props.columns = pd.Index(list(prep.properties))
    return Encoded(
        user_codes=np.ascontiguousarray(got["u"].to_numpy(), dtype=np.int32),
        users=prep.users,
        event_codes=np.ascontiguousarray(got["e"].to_numpy(), dtype=np.int32),
        events=prep.events,
        ts_ns=ts,
        values=values,
        props=props,
        tz=prep.tz,
    )


def _localize_naive(
    wall: npt.NDArray[np.int64],
    frame: Any,
    *,
    tz: str,
    time_col: str,
    time_unit: str | None,
    as_of: Any,
) -> npt.NDArray[np.int64]:
    """Localise collected wall-clock times, fetching offending rows from the engine on error."""
    native = nw_to_native(frame)
    kind = _time_kind(frame, native, time_col)
    base, t_expr = _with_epoch(frame, native, time_col, kind)
    as_of_ns = None if as_of is None else to_utc_ns(as_of, tz=tz, name="as_of")
    return _localize_or_raise(wall, tz, base, native, t_expr, time_col, as_of_ns)


_ORDER = (
    "null_user_id",
    "empty_user_id",
    "null_event",
    "empty_event",
    "null_timestamp",
    "unparseable_timestamp",
    "out_of_range_timestamp",
    "naive_timestamp",
    "nonexistent_local_time",
    "ambiguous_local_time",
    "non_finite_value",
    "after_as_of",
)


def _order(checks: list[_Check]) -> None:
    """Sort checks in the order the pandas path reports them."""
    checks.sort(key=lambda c: _ORDER.index(c.check))


def _localize_or_raise(
    wall: npt.NDArray[np.int64],
    tz: str,
    base: Any,
    native: Any,
    t_expr: Any,
    time_col: str,
    as_of_ns: int | None,
) -> npt.NDArray[np.int64]:
    """Read collected wall-clock times in ``tz``; DST gaps, repeats and late rows raise."""
    local = pd.Series(wall.view("datetime64[ns]"))
    problems = Problems(pd.RangeIndex(len(wall)))
    out = localize_naive(local, tz, time_col, problems, np.zeros(len(wall), dtype=bool))
    bad: dict[str, npt.NDArray[np.bool_]] = {}
    for pos, _, check, _ in problems.groups:
        mask = np.zeros(len(wall), dtype=bool)
        mask[pos] = True
        bad[check] = mask
    if as_of_ns is not None:
        late = out > as_of_ns
        if late.any():
            bad["after_as_of"] = late
    if not bad:
        return out
    src, has_rows = _row_source(base, nw_to_native(base))
    checks = []
    for check, mask in bad.items():
        walls = np.unique(wall[mask])[:_LIMIT].tolist()
        rows, vals = _fetch(src, has_rows, t_expr.is_in(walls), time_col, int(mask.sum()))
        checks.append(_Check(time_col, check, int(mask.sum()), rows, vals))
    _order(checks)
    _raise(checks)


def nw_to_native(frame: Any) -> Any:
    """Return the native object behind a narwhals frame."""
    import narwhals.stable.v2 as nw

    return nw.to_native(frame)


def is_arrow_text(dtype: Any) -> bool:
    """Whether an Arrow type is a string type (plain, large or view)."""
    import pyarrow as pa

    return bool(
        pa.types.is_string(dtype)
        or pa.types.is_large_string(dtype)
        or getattr(pa.types, "is_string_view", lambda _: False)(dtype)
    )


def engine_table(like: Any, data: Mapping[str, Any]) -> Any:
    """Build a small native table in the engine (and connection) of ``like``, to join with it.

    DuckDB reads an Arrow table through a replacement scan run on ``like``'s own connection;
    Polars gets a frame of the same kind (lazy or eager); pyarrow a Table; PySpark a DataFrame
    of ``like``'s session.
    """
    import narwhals.stable.v2 as nw
    import pyarrow as pa

    backend = str(nw.from_native(like).implementation.name).lower()
    arrow = pa.table({k: v if isinstance(v, pa.Array) else pa.array(v) for k, v in data.items()})
    if backend == "duckdb":
        import duckdb

        # the name is looked up among this function's locals when the query is bound
        __useropslib_arm_table__ = arrow  # noqa: F841
        try:
            return like.query("__useropslib_base__", "SELECT * FROM __useropslib_arm_table__")
        except duckdb.CatalogException:
            raise InvalidParameterError(
                "The DuckDB connection of this log does not read Python tables (replacement "
                "scans are off), so an arm table cannot be handed to it. Expected "
                "python_enable_replacements=true. Hint: run SET python_enable_replacements=true "
                "on the connection, or evaluate an in-memory EventLog."
            ) from None
    if backend == "polars":
        import polars as pl

        frame = pl.from_arrow(arrow)
        assert isinstance(frame, pl.DataFrame)
        return frame.lazy() if isinstance(like, pl.LazyFrame) else frame
    if backend == "pyspark":
        return like.sparkSession.createDataFrame(arrow.to_pandas())
    return arrow


def has_repeats(ids: Any) -> bool:
    """Whether an Arrow array of ids holds a value more than once (a null counts as a value).

    Exact, one hash pass.  Text ids are counted by Polars when it is installed (its hash table
    is about three times faster than Arrow's on millions of short texts, measured); otherwise,
    and for other types, by Arrow's ``unique``.
    """
    import pyarrow.compute as pc

    if is_arrow_text(ids.type):
        try:
            import polars as pl
        except ImportError:
            pass
        else:
            return bool(pl.Series(values=ids).n_unique() != len(ids))
    return bool(len(pc.unique(ids)) != len(ids))


def given_units(native: Any, raw: Any, arms: pd.Series, distinct: bool) -> tuple[Any, list[str]]:
    """Hand an arm table to the engine of ``native``: (uid, arm code, both=False).

    The result joins with ``raw``, the lazy log's narwhals frame.
    """
    import narwhals.stable.v2 as nw

    if not isinstance(arms, pd.Series):
        raise InvalidParameterError(
            f"arm_totals: arms must be a pandas Series (user id -> arm), got {type(arms).__name__}."
        )
    codes, uniques = pd.factorize(arms, sort=True)  # fast on a categorical Series
    if (codes < 0).any():
        raise InvalidParameterError(
            f"arm_totals: {int((codes < 0).sum())} users have no arm. Hint: drop them or "
            "give them one."
        )
    import pyarrow as pa

    try:
        index = arms.index
        # an Arrow-backed index goes over as it is; numpy ones once, without copies
        ids = pa.array(index.array if hasattr(index.array, "__arrow_array__") else index)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        raise InvalidParameterError(
            "arm_totals: the ids of arms must all be text or all be integers, as the log "
            "holds them."
        ) from None
    if not distinct and has_repeats(ids):
        raise InvalidParameterError(
            "arm_totals: arms lists a user more than once. Expected one arm per user."
        )
    table = engine_table(native, {"uid": ids, "arm": pa.array(codes.astype(np.int32))})
    uid_type = raw.collect_schema()["uid"]
    units = nw.from_native(table).select(
        nw.col("uid").cast(uid_type), nw.col("arm"), nw.lit(False).alias("both")
    )
    return units, [str(u) for u in uniques]
