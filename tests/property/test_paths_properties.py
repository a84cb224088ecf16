"""Hypothesis invariants of sessions and transitions, and the kernels against obvious loops."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from useropslib.events import EventLog
from useropslib.paths import sessions, step_matrix, transitions

T0 = pd.Timestamp("2024-03-01", tz="UTC").value
MIN = 60 * 10**9
EXAMPLES = settings(max_examples=40, deadline=None, derandomize=True)


@st.composite
def logs(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 40))
    users = draw(st.lists(st.sampled_from("abcde"), min_size=n, max_size=n))
    events = draw(st.lists(st.sampled_from(["x", "y", "z"]), min_size=n, max_size=n))
    minutes = draw(st.lists(st.integers(0, 300), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "user_id": users,
            "event": events,
            "timestamp": pd.to_datetime(np.asarray(minutes) * MIN + T0, utc=True),
        }
    )


def _slow_sessions(df: pd.DataFrame, timeout: int, strict: bool) -> list[tuple[str, int]]:
    """(user, events) per session, one user and one event at a time."""
    out = []
    for user, g in df.sort_values(["user_id", "timestamp"], kind="stable").groupby("user_id"):
        times = [t.value for t in g["timestamp"]]
        count = 1
        for prev, cur in itertools.pairwise(times):
            gap = cur - prev
            if (gap > timeout) if strict else (gap >= timeout):
                out.append((str(user), count))
                count = 0
            count += 1
        out.append((str(user), count))
    return out


@EXAMPLES
@given(df=logs(), timeout=st.integers(1, 120), strict=st.booleans())
def test_sessions_partition_each_users_events(df: pd.DataFrame, timeout: int, strict: bool) -> None:
    t = sessions(df, timeout=pd.Timedelta(minutes=timeout), split=">" if strict else ">=").table
    assert t.groupby("user_id")["events"].sum().to_dict() == df.groupby("user_id").size().to_dict()
    assert (t["duration"] >= pd.Timedelta(0)).all()
    got = sorted(zip(t["user_id"].astype(str), t["session"], t["events"], strict=True))
    assert [(u, n) for u, _, n in got] == _slow_sessions(df, timeout * MIN, strict)
    # sessions of a user do not overlap and are numbered 1, 2, ...
    for _, g in t.groupby("user_id"):
        assert g["session"].tolist() == list(range(1, len(g) + 1))
        assert (g["start"].iloc[1:].to_numpy() > g["end"].iloc[:-1].to_numpy()).all()


@EXAMPLES
@given(df=logs())
def test_timeout_longer_than_the_log_gives_one_session_per_user(df: pd.DataFrame) -> None:
    t = sessions(df, timeout="400min").table
    assert len(t) == df["user_id"].nunique()


@EXAMPLES
@given(df=logs(), within=st.sampled_from(["user", "session"]))
def test_transition_counts(df: pd.DataFrame, within: str) -> None:
    kw = {"within": within, "timeout": "30min"}
    occ = transitions(df, count="occurrences", **kw)  # type: ignore[arg-type]
    n_sessions = len(sessions(df, timeout="30min").table)
    units = df["user_id"].nunique() if within == "user" else n_sessions
    # every event with a successor in its path gives one transition
    assert occ.table["count"].sum() == len(df) - units
    users = transitions(df, count="users", **kw)  # type: ignore[arg-type]
    paths = transitions(df, count="paths", **kw)  # type: ignore[arg-type]
    n_users = df["user_id"].nunique()
    assert (users.table["count"] <= n_users).all()
    merged = occ.table.merge(users.table, on=["source", "target"], suffixes=("", "_u"))
    merged = merged.merge(paths.table, on=["source", "target"], suffixes=("", "_p"))
    assert (merged["count_u"] <= merged["count_p"]).all()
    assert (merged["count_p"] <= merged["count"]).all()
    assert len(merged) == len(occ.table)


@EXAMPLES
@given(df=logs(), seed=st.integers(0, 2**16))
def test_results_do_not_depend_on_row_order(df: pd.DataFrame, seed: int) -> None:
    shuffled = df.sample(frac=1.0, random_state=seed)

    def by_user(t: pd.DataFrame) -> pd.DataFrame:
        return t.sort_values(["user_id", "session"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(by_user(sessions(df).table), by_user(sessions(shuffled).table))
    pd.testing.assert_frame_equal(
        transitions(df, markers=True).table, transitions(shuffled, markers=True).table
    )


@EXAMPLES
@given(df=logs(), steps=st.integers(1, 8))
def test_step_matrix_columns_sum_to_one(df: pd.DataFrame, steps: int) -> None:
    m = step_matrix(df, steps=steps).matrix
    np.testing.assert_allclose(m.sum().to_numpy(), 1.0, atol=1e-12)
    assert ((m >= 0) & (m <= 1)).all().all()


@EXAMPLES
@given(df=logs(), cut=st.integers(0, 300))
def test_events_after_as_of_are_ignored(df: pd.DataFrame, cut: int) -> None:
    as_of = pd.Timestamp(T0 + cut * MIN, tz="UTC")
    kept = df[df["timestamp"] <= as_of]
    if kept.empty:
        return
    log = EventLog.from_pandas(df)
    a = transitions(log, as_of=as_of).table
    b = transitions(EventLog.from_pandas(kept), as_of=as_of).table
    pd.testing.assert_frame_equal(a, b)
