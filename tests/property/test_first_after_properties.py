"""The message funnel's "first return at or after the message" search, against merge_asof."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import useropslib as uo
from useropslib.metrics._messaging import _first_after

BIG = np.iinfo(np.int64).max


def _log(users: list[int], times: list[int], shuffle: int) -> uo.EventLog:
    df = pd.DataFrame(
        {
            "user_id": [f"u{u}" for u in users],
            "event": ["e"] * len(users),
            "timestamp": pd.to_datetime(np.asarray(times, dtype=np.int64), unit="s", utc=True),
        }
    )
    df = df.sample(frac=1.0, random_state=shuffle).reset_index(drop=True)
    return uo.EventLog.from_pandas(df)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 40), st.booleans()), min_size=1, max_size=60
    ),
    queries=st.lists(st.tuples(st.integers(0, 5), st.integers(-5, 45)), max_size=30),
    shuffle=st.integers(0, 3),
)
def test_first_wanted_event_at_or_after_matches_merge_asof(
    rows: list[tuple[int, int, bool]], queries: list[tuple[int, int]], shuffle: int
) -> None:
    log = _log([r[0] for r in rows], [r[1] for r in rows], shuffle)
    # the log's rows are reordered by the sample: read wanted flags back through its own columns
    user_of = {f"u{u}": u for u in range(6)}
    users = np.array([user_of[str(x)] for x in log.users[log.user_codes]])
    t = log.timestamps_ns
    wanted_pairs = {(u, tt * 10**9) for u, tt, w in rows if w}
    wanted = np.array([(int(u), int(x)) in wanted_pairs for u, x in zip(users, t, strict=True)])
    code_of = {str(name): c for c, name in enumerate(log.users)}
    known = [(u, q) for u, q in queries if f"u{u}" in code_of]
    q_user = np.array([code_of[f"u{u}"] for u, _ in known], dtype=np.int64)
    q_t = np.array([q * 10**9 for _, q in known], dtype=np.int64)
    got = _first_after(log, q_user, q_t, wanted)

    ev = pd.DataFrame({"u": users[wanted], "t": t[wanted]}).sort_values("t")
    qs = pd.DataFrame({"u": [u for u, _ in known], "q": q_t, "i": np.arange(len(known))})
    want = np.full(len(known), BIG, dtype=np.int64)
    if len(known) and len(ev):
        m = pd.merge_asof(
            qs.sort_values("q"),
            ev.assign(found=ev["t"]),
            left_on="q",
            right_on="t",
            by="u",
            direction="forward",
            allow_exact_matches=True,
        )
        hit = m["found"].notna().to_numpy()
        want[m["i"].to_numpy()[hit]] = m["found"].to_numpy()[hit].astype(np.int64)
    np.testing.assert_array_equal(got, want)


def test_no_queries_and_nothing_wanted() -> None:
    log = _log([0, 1], [1, 2], 0)
    empty = np.empty(0, dtype=np.int64)
    assert _first_after(log, empty, empty, np.ones(2, dtype=bool)).size == 0
    got = _first_after(log, np.array([0, 1]), np.array([0, 0]), np.zeros(2, dtype=bool))
    np.testing.assert_array_equal(got, [BIG, BIG])
