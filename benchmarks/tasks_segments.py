"""Benchmark tasks for segments: a five-clause tag rule, and a behavioural condition.

- ``tag_rule_5_clause``: ``vip AND (region:cn OR region:hk) AND NOT churned AND channel:ads``
  over a synthetic (user, tag) table of 1M users (fixed size, independent of the event log):
  useropslib's ``TagTable.evaluate`` against pandas boolean ops (``isin`` per tag), pandas set
  ops on ``Index`` objects, and DuckDB SQL on a (user_id, tag) table.  The tables are built once
  (:func:`tag_data`) and not timed.
- ``behaviour_purchased_3_in_30d``: ``useropslib.segments.members`` of a segment "performed
  purchase at least 3 times in the last 30 days" as of the log's last event (the window is
  ``(as_of - 30 days, as_of]``) against DuckDB SQL, Polars and pandas on the same events.

``run.py --tasks segments`` runs both (registered by :func:`_register_all`, like the metric
tasks of ``tasks_metrics.py``): the behaviour task on the shared per-size context, useropslib on
a fresh view of the log in every timed call (nothing cached: a "cold" call) and, as a second
method, on the shared log (its cache warm after the warm-up round); the tag task on
``min(1M, events)`` users, its tables built in ``prepare`` (untimed).

:func:`check` asserts that every implementation selects the same users.  Run
``python benchmarks/tasks_segments.py --events 1000000 --users 100000`` to time them on the
synthetic log of :func:`tasks_retention.make_context` (the same context as every benchmark module).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
import time
import warnings
from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl
from tasks_retention import US_PER_DAY, make_context

from useropslib.exceptions import InsufficientDataWarning
from useropslib.models import BehaviourCondition, Segment
from useropslib.segments import TagTable, members

TAG_USERS = 1_000_000
RULE = "vip AND (region:cn OR region:hk) AND NOT churned AND channel:ads"
# tag -> share of users carrying it
TAG_SHARES = {
    "vip": 0.2,
    "region:cn": 0.4,
    "region:hk": 0.1,
    "region:us": 0.3,
    "churned": 0.25,
    "channel:ads": 0.35,
    "channel:organic": 0.5,
    "kol": 0.01,
}
WINDOW_DAYS = 30
MIN_PURCHASES = 3
SEGMENT = Segment(
    name="purchased_3_in_30d",
    condition=BehaviourCondition(event="purchase", times=MIN_PURCHASES, window=f"{WINDOW_DAYS}D"),
)


def _ts_us(ctx: Any) -> str:
    columns = {row[0] for row in ctx.duck.sql("DESCRIBE events").fetchall()}
    return "ts_us" if "ts_us" in columns else "epoch_us(timestamp)"


# ---------------------------------------------------------------------------- tag rule


@dataclasses.dataclass
class TagData:
    pairs: pd.DataFrame  # one row per (user_id, tag); user_id int64, tag str
    users: pd.Index  # every user (some carry no tag)
    table: TagTable
    duck: duckdb.DuckDBPyConnection  # table ``user_tags`` (user_id, tag)


@functools.lru_cache(maxsize=1)
def tag_data(n_users: int = TAG_USERS, seed: int = 2) -> TagData:
    """Random tags for ``n_users`` users, as pairs, a TagTable and a DuckDB table."""
    rng = np.random.default_rng(seed)
    users = np.arange(n_users, dtype=np.int64)
    parts = [
        pd.DataFrame({"user_id": users[rng.random(n_users) < share], "tag": tag})
        for tag, share in TAG_SHARES.items()
    ]
    pairs = pd.concat(parts, ignore_index=True)
    pairs = pairs.sort_values("user_id", kind="stable", ignore_index=True)
    table = TagTable.from_pairs(pairs)
    con = duckdb.connect()
    con.register("pairs_df", pairs)
    con.execute("CREATE TABLE user_tags AS SELECT * FROM pairs_df")
    con.unregister("pairs_df")
    return TagData(pairs=pairs, users=pd.Index(users, name="user_id"), table=table, duck=con)


def _tags(ctx: Any) -> TagData:
    """The tag data of ``ctx`` (``ctx.tags``, set by the run.py registry), else 1M users."""
    data = getattr(ctx, "tags", None)
    return tag_data() if data is None else data


def rule_useropslib(ctx: Any) -> object:
    d = _tags(ctx)
    mask = d.table.evaluate(RULE)
    return mask.index[mask.to_numpy()]


def rule_pandas(ctx: Any) -> object:
    """Boolean ops: one ``isin`` mask over all users per tag."""
    d = _tags(ctx)
    pairs = d.pairs

    def has(tag: str) -> np.ndarray:
        return np.asarray(d.users.isin(pairs["user_id"][pairs["tag"] == tag]))

    mask = has("vip") & (has("region:cn") | has("region:hk")) & ~has("churned")
    mask &= has("channel:ads")
    return d.users[mask]


def rule_pandas_sets(ctx: Any) -> object:
    """Set ops: one ``Index`` of users per tag, intersected, united and subtracted."""
    d = _tags(ctx)
    pairs = d.pairs

    def users(tag: str) -> pd.Index:
        return pd.Index(pairs["user_id"][pairs["tag"] == tag].unique())

    out = users("vip").intersection(users("region:cn").union(users("region:hk")))
    return out.difference(users("churned")).intersection(users("channel:ads"))


def rule_duckdb(ctx: Any) -> object:
    """One pass over the (user, tag) table: a bool_or per tag, combined in HAVING."""
    sql = """
        SELECT user_id FROM user_tags GROUP BY user_id
        HAVING bool_or(tag = 'vip')
           AND (bool_or(tag = 'region:cn') OR bool_or(tag = 'region:hk'))
           AND NOT bool_or(tag = 'churned')
           AND bool_or(tag = 'channel:ads')
    """
    return _tags(ctx).duck.sql(sql).fetchnumpy()["user_id"]


def rule_duckdb_sets(ctx: Any) -> object:
    """The set formulation: INTERSECT / UNION / EXCEPT of per-tag user lists."""
    sql = """
        (SELECT user_id FROM user_tags WHERE tag = 'vip'
         INTERSECT
         SELECT user_id FROM user_tags WHERE tag IN ('region:cn', 'region:hk')
         INTERSECT
         SELECT user_id FROM user_tags WHERE tag = 'channel:ads')
        EXCEPT
        SELECT user_id FROM user_tags WHERE tag = 'churned'
    """
    return _tags(ctx).duck.sql(sql).fetchnumpy()["user_id"]


# ---------------------------------------------------------------------------- behaviour


def behaviour_useropslib(ctx: Any) -> object:
    with warnings.catch_warnings():  # few events (the smoke run): maybe nobody qualifies
        warnings.simplefilter("ignore", InsufficientDataWarning)
        return members(ctx.log, SEGMENT)


def behaviour_duckdb(ctx: Any) -> object:
    ts = _ts_us(ctx)
    sql = f"""
        WITH lim AS (SELECT max({ts}) AS ref FROM events)
        SELECT user_id FROM events, lim
        WHERE event = 'purchase' AND {ts} > ref - {WINDOW_DAYS * US_PER_DAY} AND {ts} <= ref
        GROUP BY user_id HAVING count(*) >= {MIN_PURCHASES}
    """
    return ctx.duck.sql(sql).fetchnumpy()["user_id"]


def behaviour_polars(ctx: Any) -> object:
    ts = pl.col("timestamp")
    ref = ts.max()
    window = pl.duration(days=WINDOW_DAYS)
    out = (
        ctx.pl.lazy()
        .filter((pl.col("event") == "purchase") & (ts > ref - window) & (ts <= ref))
        .group_by("user_id")
        .len()
        .filter(pl.col("len") >= MIN_PURCHASES)
        .select("user_id")
        .collect()
    )
    return out["user_id"]


def behaviour_pandas(ctx: Any) -> object:
    df = ctx.df
    ts = df["timestamp"]
    ref = ts.max()
    keep = (df["event"] == "purchase") & (ts > ref - pd.Timedelta(days=WINDOW_DAYS)) & (ts <= ref)
    n = df.loc[keep, "user_id"].value_counts(sort=False)
    return n.index[n.to_numpy() >= MIN_PURCHASES]


TASKS: dict[str, dict[str, Callable[[Any], object]]] = {
    "tag_rule_5_clause": {
        "useropslib": rule_useropslib,
        "duckdb": rule_duckdb,
        "pandas": rule_pandas,
    },
    "behaviour_purchased_3_in_30d": {
        "useropslib": behaviour_useropslib,
        "duckdb": behaviour_duckdb,
        "polars": behaviour_polars,
        "pandas": behaviour_pandas,
    },
}
# other formulations, kept for comparison
ALTERNATIVES: dict[str, dict[str, Callable[[Any], object]]] = {
    "tag_rule_5_clause": {
        "duckdb_sets": rule_duckdb_sets,
        "pandas_sets": rule_pandas_sets,
    },
}


# ---------------------------------------------------------------------------- agreement


def as_ids(result: object) -> np.ndarray:
    """Any implementation's selection as a sorted array of user ids."""
    if isinstance(result, pl.Series):
        result = result.to_numpy()
    return np.sort(np.asarray(result))


def check(ctx: Any) -> None:
    """Assert that every implementation of every task selects the same users on ``ctx``."""
    for task_name, task in TASKS.items():
        impls = {**task, **ALTERNATIVES.get(task_name, {})}
        results = {name: as_ids(fn(ctx)) for name, fn in impls.items()}
        ref = results["useropslib"]
        assert ref.size > 0, f"{task_name}: empty selection"
        for name, ids in results.items():
            assert np.array_equal(ids, ref), f"{task_name}: {name} selects {ids.size} users"


# ---------------------------------------------------------------------------- run.py registry
# The "segments" group of ``run.py --tasks``.  The behaviour task shares the metric tasks'
# per-size context (tasks_metrics.Context: EventLog, DuckDB table with ts_us, Polars and pandas
# frames, each built once and untimed).  useropslib is the baseline, so "x baseline" reads "times
# slower than useropslib": DuckDB SQL at or above 1.00 meets issue 5's claim.

_BEHAVIOUR_METHODS: dict[str, tuple[str, str, str]] = {
    # key -> (name in the table, engine whose form it reads, note)
    "useropslib": (
        "useropslib",
        "useropslib",
        "members() on a fresh view of the log in every call: nothing cached (cold)",
    ),
    "useropslib_warm": (
        "useropslib, warm log",
        "useropslib",
        "members() on the shared log, its cache warm after the warm-up round",
    ),
    "duckdb": ("DuckDB SQL", "duckdb", "table loaded in DuckDB with an int64 ts_us column"),
    "polars": ("Polars", "polars", "lazy query on the Polars frame"),
    "pandas": ("pandas idiomatic", "pandas", "boolean filter and value_counts"),
}
_RULE_METHODS: dict[str, tuple[str, str]] = {
    "useropslib": ("useropslib TagTable.evaluate", "the rule parsed and evaluated on bitsets"),
    "duckdb": ("DuckDB SQL", "bool_or per tag in HAVING over a (user_id, tag) table"),
    "duckdb_sets": ("DuckDB SQL, set ops", "INTERSECT / UNION / EXCEPT of per-tag user lists"),
    "pandas": ("pandas idiomatic", "one isin mask over all users per tag"),
    "pandas_sets": ("pandas, Index set ops", "intersection / union / difference of Index"),
}
DOCS = {
    "tag_rule_5_clause": f"Five-clause tag rule {RULE!r} over min(1M, events) users.",
    "behaviour_purchased_3_in_30d": (
        f"Users who purchased >= {MIN_PURCHASES} times in the {WINDOW_DAYS} days up to the last "
        "event."
    ),
}


@dataclasses.dataclass
class RuleState:
    """A prepared tag-rule method: the tag data (as ``tags``) and the function."""

    tags: TagData
    fn: Callable[[Any], object]


def _rule_prepare(fn: Callable[[Any], object]) -> Callable[[pd.DataFrame], RuleState]:
    def prepare(df: pd.DataFrame) -> RuleState:
        return RuleState(tag_data(min(TAG_USERS, len(df))), fn)

    return prepare


def _rule_run(state: RuleState) -> object:
    return state.fn(state)


def _ids_check(got: Any, ref: Any, df: pd.DataFrame) -> None:
    assert got.size == ref.size, f"{got.size} users, useropslib {ref.size}"
    assert np.array_equal(got, ref), "different users than useropslib"


def _register_all() -> None:
    import tasks_metrics as tm
    from tasks import TASK_CHECKS, TASK_DOCS, register

    task = "behaviour_purchased_3_in_30d"
    TASK_DOCS[task] = DOCS[task]
    TASK_CHECKS[task] = _ids_check
    impls = {**TASKS[task], "useropslib_warm": behaviour_useropslib}
    for key, fn in impls.items():
        name, engine, note = _BEHAVIOUR_METHODS[key]
        prepare = tm._prepare(engine, fn)
        if key == "useropslib_warm":
            prepare = _warm(prepare)
        register(
            task,
            name,
            prepare=prepare,
            answer=as_ids,
            baseline=key == "useropslib",
            input_form=tm.METHODS[engine][1],
            modules=(__name__,),
            note=f"{note} ({fn.__name__})",
            ref_bytes=tm.ref_bytes if key == "useropslib" else None,
        )(tm._run)
    task = "tag_rule_5_clause"
    TASK_DOCS[task] = DOCS[task]
    TASK_CHECKS[task] = _ids_check
    for key, fn in {**TASKS[task], **ALTERNATIVES[task]}.items():
        name, note = _RULE_METHODS[key]
        register(
            task,
            name,
            prepare=_rule_prepare(fn),
            answer=as_ids,
            baseline=key == "useropslib",
            input_form="tag table",
            modules=(__name__,),
            note=f"{note} ({fn.__name__})",
        )(_rule_run)


def _warm(prepare: Callable[[pd.DataFrame], Any]) -> Callable[[pd.DataFrame], Any]:
    """The metric tasks' preparation, but timed calls read the shared log (no fresh view)."""

    def warm(df: pd.DataFrame) -> Any:
        state = prepare(df)
        state.fresh_log = False
        return state

    return warm


#: The segment tasks, the "segments" group of ``run.py --tasks``.
SEGMENT_TASKS = list(TASKS)
if __name__ != "__main__":  # imported by run.py; the standalone run below needs no registry
    _register_all()


# ---------------------------------------------------------------------------- standalone run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    t = time.perf_counter()
    ctx = make_context(args.events, args.users)
    print(
        f"built context: {args.events:,} events, {args.users:,} users, "
        f"{time.perf_counter() - t:.1f} s"
    )
    t = time.perf_counter()
    d = tag_data()
    print(
        f"built tag data: {len(d.users):,} users, {len(d.pairs):,} (user, tag) pairs, "
        f"{time.perf_counter() - t:.1f} s"
    )
    check(ctx)
    print(f"load average: {os.getloadavg()}")
    for task, impls in TASKS.items():
        for name, fn in {**impls, **ALTERNATIVES.get(task, {})}.items():
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                fn(ctx)
                times.append(time.perf_counter() - t)
            print(f"{task:30s} {name:12s} first {times[0]:7.3f} s  best {min(times):7.3f} s")
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
