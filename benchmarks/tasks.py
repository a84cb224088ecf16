"""The benchmark registry: ``TASKS[task][method]`` is a :class:`Method`.

A task is one job (for example "build an encoded event log from a pandas frame"); its methods are
the ways to do it: useropslib, the plain-numpy/pandas baseline, DuckDB SQL, Polars and the
idiomatic pandas recipe.  Each method says how to bring the pandas frame into its engine's best
form (``prepare``, not timed), what to time (``run``) and how to read its result back as a
common answer (``answer``), which the harness compares with the baseline's, so every timed
method is checked to compute the same thing.

The metric tasks (retention, funnel, activity, money) are written as standalone modules
``tasks_<area>.py`` and registered by the adapter ``tasks_metrics.py``, imported at the end of
this module.  To add a task, write its methods and register them::

    @register("retention", "useropslib", baseline=False)
    def _(state): ...

Exactly one method per task is the baseline; ratios are relative to it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd


def _identity(df: pd.DataFrame) -> Any:
    return df


@dataclasses.dataclass(frozen=True)
class Method:
    """One way of doing a task."""

    run: Callable[[Any], Any]
    prepare: Callable[[pd.DataFrame], Any] = _identity
    answer: Callable[[Any], Any] | None = None
    baseline: bool = False
    input_form: str = "pandas frame"
    modules: tuple[str, ...] = ()
    note: str = ""
    # the baseline's prepared state -> bytes that the "x ref" memory column divides by (the
    # metric tasks: the encoded EventLog); None: no such column for the task
    ref_bytes: Callable[[Any], int] | None = None


TASKS: dict[str, dict[str, Method]] = {}
TASK_DOCS: dict[str, str] = {}
# task -> check(answer, baseline_answer, frame): raises AssertionError when a method's answer
# differs from the baseline's
TASK_CHECKS: dict[str, Callable[[Any, Any, pd.DataFrame], None]] = {}


def register(
    task: str,
    name: str,
    *,
    prepare: Callable[[pd.DataFrame], Any] = _identity,
    answer: Callable[[Any], Any] | None = None,
    baseline: bool = False,
    input_form: str = "pandas frame",
    modules: tuple[str, ...] = (),
    note: str = "",
    ref_bytes: Callable[[Any], int] | None = None,
) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    """Register ``fn`` as method ``name`` of ``task``."""

    def deco(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        methods = TASKS.setdefault(task, {})
        if name in methods:
            raise ValueError(f"method {name!r} of task {task!r} is registered twice")
        if baseline and any(m.baseline for m in methods.values()):
            raise ValueError(f"task {task!r} already has a baseline")
        methods[name] = Method(
            run=fn,
            prepare=prepare,
            answer=answer,
            baseline=baseline,
            input_form=input_form,
            modules=modules,
            note=note,
            ref_bytes=ref_bytes,
        )
        return fn

    return deco


# ============================================================================ task: encode
# Build the encoded form every metric reads: integer user codes with their vocabulary, integer
# event codes with theirs, and int64 UTC nanoseconds, aligned with the input rows.
TASK_DOCS["encode"] = (
    "Encode a pandas event frame: user and event codes (with their vocabularies) and int64 "
    "UTC nanoseconds, row-aligned with the input."
)

USER, EVENT, TIME = "user_id", "event", "timestamp"


@dataclasses.dataclass(frozen=True)
class Encoding:
    """The common answer of the encode task."""

    user_codes: np.ndarray
    users: np.ndarray
    event_codes: np.ndarray
    events: np.ndarray
    ts_ns: np.ndarray


def _check_encoding(a: Encoding, b: Encoding, df: pd.DataFrame) -> None:
    assert np.array_equal(np.asarray(a.ts_ns, dtype=np.int64), b.ts_ns), "timestamps differ"
    assert len(a.users) == len(b.users), f"{len(a.users)} users, baseline {len(b.users)}"
    assert len(a.events) == len(b.events), f"{len(a.events)} events, baseline {len(b.events)}"
    rows = np.random.default_rng(0).integers(0, len(df), size=min(len(df), 200_000))
    for codes, vocab, col in ((a.user_codes, a.users, USER), (a.event_codes, a.events, EVENT)):
        got = np.asarray(vocab, dtype=object)[np.asarray(codes)[rows]]
        assert (got == df[col].to_numpy()[rows]).all(), f"codes of {col} do not decode"


TASK_CHECKS["encode"] = _check_encoding


def _ts_ns(s: pd.Series) -> np.ndarray:
    idx = pd.DatetimeIndex(s).tz_convert(None)  # free: the data are UTC instants already
    if idx.unit != "ns":  # as_unit copies even when the unit is already "ns"
        idx = idx.as_unit("ns")
    return np.asarray(idx.asi8)


@register(
    "encode",
    "pandas factorize (baseline)",
    baseline=True,
    answer=lambda r: Encoding(r[0][0], np.asarray(r[0][1]), r[1][0], np.asarray(r[1][1]), r[2]),
    note="pd.factorize(user) + pd.factorize(event) + tz_convert(None).asi8",
)
def _encode_baseline(df: pd.DataFrame) -> Any:
    return pd.factorize(df[USER]), pd.factorize(df[EVENT]), _ts_ns(df[TIME])


def _log_answer(log: Any) -> Encoding:
    return Encoding(
        log.user_codes,
        np.asarray(log.users),
        log.event_codes,
        np.asarray(log.event_names),
        log.timestamps_ns,
    )


@register(
    "encode",
    "useropslib EventLog.from_pandas",
    answer=_log_answer,
    modules=("useropslib.events",),
    note="default call: validates every row; value and channel kept too",
)
def _encode_eventlog(df: pd.DataFrame) -> Any:
    from useropslib import EventLog

    return EventLog.from_pandas(df)


@register(
    "encode",
    "useropslib EventLog, 3 columns",
    answer=_log_answer,
    modules=("useropslib.events",),
    note="properties=[], value_col=None: the same columns as the baseline",
)
def _encode_eventlog_core(df: pd.DataFrame) -> Any:
    from useropslib import EventLog

    return EventLog.from_pandas(df, properties=[], value_col=None)


def _idiomatic_answer(out: pd.DataFrame) -> Encoding:
    u, e = out[USER].cat, out[EVENT].cat
    return Encoding(
        u.codes.to_numpy(),
        np.asarray(u.categories),
        e.codes.to_numpy(),
        np.asarray(e.categories),
        np.asarray(out[TIME].array.asi8),
    )


@register(
    "encode",
    "pandas idiomatic recipe",
    answer=_idiomatic_answer,
    note='df.astype({user: "category", event: "category"}) + pd.to_datetime(utc=True)',
)
def _encode_idiomatic(df: pd.DataFrame) -> Any:
    out = df.astype({USER: "category", EVENT: "category"})
    out[TIME] = pd.to_datetime(out[TIME], utc=True)
    return out


def _to_polars(df: pd.DataFrame) -> Any:
    import polars as pl

    return pl.from_pandas(df)


def _polars_answer(r: Any) -> Encoding:
    return Encoding(*r)


@register(
    "encode",
    "Polars categorical",
    prepare=_to_polars,
    answer=_polars_answer,
    input_form="polars frame",
    modules=("polars",),
    note="cast to a fresh Categorical, to_physical, dt.epoch('ns'), to numpy",
)
def _encode_polars(pf: Any) -> Any:
    import polars as pl

    # a fresh category mapping per call: the global one would make repeats lookups only
    cu, ce = pl.Categorical(pl.Categories.random()), pl.Categorical(pl.Categories.random())
    enc = pf.select(pl.col(USER).cast(cu), pl.col(EVENT).cast(ce), pl.col(TIME).dt.epoch("ns"))
    u_codes, users = _polars_vocabulary(enc[USER])
    e_codes, events = _polars_vocabulary(enc[EVENT])
    return u_codes, users, e_codes, events, enc[TIME].to_numpy()


def _polars_vocabulary(col: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per-row codes and the code -> string table of a Categorical column."""
    import polars as pl

    uniq = col.unique()
    vocab = np.empty(len(uniq), dtype=object)
    vocab[uniq.to_physical().to_numpy()] = uniq.cast(pl.String).to_numpy()
    return col.to_physical().to_numpy(), vocab


def _to_duckdb(df: pd.DataFrame) -> Any:
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("ev", pa.Table.from_pandas(df[[USER, EVENT, TIME]], preserve_index=False))
    return con


def _duckdb_answer(r: Any) -> Encoding:
    return Encoding(*r)


# row_number() OVER () numbers the rows in scan order (insertion order is preserved); the final
# ORDER BY puts the codes back in input order, as the other methods return them.
_DENSE_RANK = """
WITH b AS (SELECT row_number() OVER () AS rn, * FROM ev)
SELECT dense_rank() OVER (ORDER BY user_id) - 1 AS u,
       dense_rank() OVER (ORDER BY event) - 1 AS e,
       epoch_ns(timestamp) AS t
FROM b ORDER BY rn
"""


@register(
    "encode",
    "DuckDB SQL dense_rank",
    prepare=_to_duckdb,
    answer=_duckdb_answer,
    input_form="Arrow table",
    modules=("duckdb", "pyarrow"),
    note="dense_rank() OVER (ORDER BY col), epoch_ns, ORDER BY row number; fetchnumpy",
)
def _encode_duckdb_rank(con: Any) -> Any:
    r = con.execute(_DENSE_RANK).fetchnumpy()
    users = con.execute("SELECT DISTINCT user_id FROM ev ORDER BY 1").fetchnumpy()["user_id"]
    events = con.execute("SELECT DISTINCT event FROM ev ORDER BY 1").fetchnumpy()["event"]
    return np.asarray(r["u"]), users, np.asarray(r["e"]), events, np.asarray(r["t"])


_DICT_JOIN = """
WITH b AS (SELECT row_number() OVER () AS rn, user_id, event, timestamp FROM ev)
SELECT uu.u, ee.e, epoch_ns(b.timestamp) AS t
FROM b JOIN uu USING (user_id) JOIN ee USING (event)
ORDER BY rn
"""


@register(
    "encode",
    "DuckDB SQL dictionary join",
    prepare=_to_duckdb,
    answer=_duckdb_answer,
    input_form="Arrow table",
    modules=("duckdb", "pyarrow"),
    note="DISTINCT + row_number() vocabularies, hash joins, ORDER BY row number; fetchnumpy",
)
def _encode_duckdb_join(con: Any) -> Any:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE uu AS "
        "SELECT user_id, (row_number() OVER () - 1)::INTEGER AS u "
        "FROM (SELECT DISTINCT user_id FROM ev)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE ee AS "
        "SELECT event, (row_number() OVER () - 1)::INTEGER AS e "
        "FROM (SELECT DISTINCT event FROM ev)"
    )
    r = con.execute(_DICT_JOIN).fetchnumpy()
    users = con.execute("SELECT user_id FROM uu ORDER BY u").fetchnumpy()["user_id"]
    events = con.execute("SELECT event FROM ee ORDER BY e").fetchnumpy()["event"]
    return np.asarray(r["u"]), users, np.asarray(r["e"]), events, np.asarray(r["t"])


# ============================================================================ task: to_engine
# What the "best form" of the other engines costs: moving the pandas frame into them.
TASK_DOCS["to_engine"] = (
    "Move the whole pandas event frame into another engine's form (the untimed `prepare` of "
    "the Polars and DuckDB methods above)."
)


@register(
    "to_engine",
    "pandas -> Arrow table",
    baseline=True,
    modules=("pyarrow",),
    note="pa.Table.from_pandas(df, preserve_index=False)",
)
def _to_arrow(df: pd.DataFrame) -> Any:
    import pyarrow as pa

    return pa.Table.from_pandas(df, preserve_index=False)


@register("to_engine", "pandas -> Polars frame", modules=("polars",), note="pl.from_pandas(df)")
def _to_polars_timed(df: pd.DataFrame) -> Any:
    return _to_polars(df)


# ============================================================================ metric tasks
# retention, funnel, active users, lifecycle, growth accounting, revenue, LTV: registered by the
# adapter from the standalone tasks_*.py modules (useropslib is their baseline)
import tasks_metrics  # noqa: E402, F401
