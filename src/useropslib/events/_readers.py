"""Readers: event logs from Parquet and CSV files, eager or left in DuckDB / Polars."""

from __future__ import annotations

import os
from typing import Any, Literal

import pandas as pd

from useropslib.events._eventlog import EventLog
from useropslib.events._ingest import is_iana
from useropslib.events._lazy import LazyEventLog
from useropslib.exceptions import InvalidParameterError, UseropsError

__all__ = ["read_events", "scan_events"]


def read_events(
    path: str | os.PathLike[str],
    *,
    engine: Literal["pandas", "duckdb", "polars"] = "pandas",
    **kwargs: Any,
) -> EventLog:
    """Read an event log from a Parquet or CSV file.

    Parameters
    ----------
    path : str or path-like
        A ``.parquet``/``.pq`` file (needs pyarrow: ``pip install "useropslib[fast]"``), or a
        ``.csv``/``.tsv`` file (optionally ``.gz``) whose time column is ISO 8601 text.
    engine : {"pandas", "duckdb", "polars"}, default "pandas"
        Who reads a Parquet file.  "pandas" reads it whole, then validates it as
        :meth:`EventLog.from_pandas` does (every other column becomes a property).  "duckdb" and
        "polars" scan it lazily and encode it in that engine (:meth:`EventLog.from_frame`), so
        only the compact columns are ever in memory: use them for files larger than memory.
        Properties are then read only when named in ``properties=``.
    **kwargs
        Passed to :meth:`EventLog.from_pandas` or :meth:`EventLog.from_frame` (``user_col``,
        ``tz`` ...).

    Returns
    -------
    EventLog

    Raises
    ------
    InvalidParameterError
        For a missing file, an unknown extension or engine, or ``engine`` other than "pandas"
        for a CSV file.
    UseropsError
        When the chosen engine's package is not installed.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidParameterError(
            f"Invalid path of type {type(path).__name__}. Expected a file path (str or "
            "pathlib.Path), e.g. 'events.parquet'."
        )
    p = os.fspath(path)
    if not isinstance(engine, str) or engine not in ("pandas", "duckdb", "polars"):
        raise InvalidParameterError(
            f"Invalid engine={engine!r}. Expected 'pandas', 'duckdb' or 'polars'."
        )
    if not os.path.exists(p):
        raise InvalidParameterError(
            f"No such file: {p!r}. Expected the path of a Parquet or CSV file of events."
        )
    low = p.lower()
    is_parquet = low.endswith((".parquet", ".pq"))
    if engine != "pandas":
        if not is_parquet:
            raise InvalidParameterError(
                f"engine={engine!r} reads Parquet files only, got {p!r}. Hint: use "
                "engine='pandas' for CSV, or convert the file to Parquet."
            )
        return _read_parquet_in_engine(p, engine, kwargs)
    if is_parquet:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise UseropsError(
                "Reading Parquet needs pyarrow, which is not installed. Hint: pip install "
                "'useropslib[fast]'."
            ) from None
        df = pd.read_parquet(p)
    elif low.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz")):
        sep = "\t" if ".tsv" in low else ","
        df = pd.read_csv(p, sep=sep)
    else:
        raise InvalidParameterError(
            f"Cannot tell the format of {p!r}. Expected a name ending in .parquet, .pq, .csv or "
            ".tsv (optionally .gz)."
        )
    return EventLog.from_pandas(df, **kwargs)


def scan_events(
    path: str | os.PathLike[str],
    *,
    engine: Literal["duckdb", "polars"] = "duckdb",
    **kwargs: Any,
) -> LazyEventLog:
    """Scan a Parquet file (or a glob of them) lazily: rows stay in DuckDB or Polars.

    The file is checked and encoded in the engine (see :meth:`LazyEventLog.scan`); metrics then
    collect only their reduction, so files far larger than memory work.

    Parameters
    ----------
    path : str or path-like
        A Parquet file, or a glob pattern such as ``"events/*.parquet"``.
    engine : {"duckdb", "polars"}, default "duckdb"
        The engine that reads the file and runs the reductions.
    **kwargs
        Passed to :meth:`LazyEventLog.scan` (``user_col``, ``tz``, ``properties`` ...).

    Returns
    -------
    LazyEventLog

    Raises
    ------
    InvalidParameterError
        For an unknown engine, or a path that matches no file.
    UseropsError
        When the engine's package is not installed.
    """
    import glob

    if not isinstance(path, (str, os.PathLike)):
        raise InvalidParameterError(
            f"Invalid path of type {type(path).__name__}. Expected a file path (str or "
            "pathlib.Path), e.g. 'events.parquet'."
        )
    p = os.fspath(path)
    if not isinstance(engine, str) or engine not in ("duckdb", "polars"):
        raise InvalidParameterError(f"Invalid engine={engine!r}. Expected 'duckdb' or 'polars'.")
    if not glob.glob(p):
        raise InvalidParameterError(
            f"No such file: {p!r}. Expected the path (or glob) of Parquet files of events."
        )
    source, kwargs, _ = _parquet_source(p, engine, kwargs)
    # the DuckDB connection stays open: the lazy log's relation reads through it
    return LazyEventLog.scan(source, **kwargs)


def _read_parquet_in_engine(path: str, engine: str, kwargs: dict[str, Any]) -> EventLog:
    """Scan a Parquet file with DuckDB or Polars and encode it there."""
    source, kwargs, con = _parquet_source(path, engine, kwargs)
    try:
        return EventLog.from_frame(source, **kwargs)
    finally:
        if con is not None:
            con.close()


def _parquet_source(
    path: str, engine: str, kwargs: dict[str, Any]
) -> tuple[Any, dict[str, Any], Any]:
    """Open Parquet file(s) lazily in DuckDB or Polars: (frame, kwargs with tz, connection)."""
    try:
        if engine == "duckdb":
            import duckdb
        else:
            import polars as pl
    except ImportError:
        raise UseropsError(
            f"engine={engine!r} needs the {engine} package, which is not installed. Hint: pip "
            "install 'useropslib[fast]'."
        ) from None
    if engine == "polars":
        return pl.scan_parquet(path), kwargs, None
    if kwargs.get("tz") is None and not any(ch in path for ch in "*?["):
        # DuckDB's TIMESTAMPTZ forgets the column's zone; take it from the file's Arrow schema
        kwargs = {**kwargs, "tz": _parquet_time_zone(path, kwargs.get("time_col", "timestamp"))}
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    return con.read_parquet(path), kwargs, con


def _parquet_time_zone(path: str, time_col: str) -> str | None:
    """Return the IANA zone a Parquet file's Arrow schema gives the time column, if any."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        return None
    schema = pq.read_schema(path)
    if time_col not in schema.names:
        return None
    zone = getattr(schema.field(time_col).type, "tz", None)
    return str(zone) if zone and is_iana(str(zone)) else None
