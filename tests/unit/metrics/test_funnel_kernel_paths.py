"""The funnel kernel's internal routes agree with their plain definitions.

The funnel picks cheaper routes by the shape of its input (a few candidate event codes or many,
ties at one instant or none, times that pack into one key or not, event positions kept or not).
Each route is compared here with a direct numpy or pandas statement of what it computes, on
seeded random data, so a faster route can never give a different answer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from useropslib.metrics._funnel import (
    _I64_MAX,
    _pick_attempts,
    _rank_ties,
    _select_codes,
    _sort_slots,
    _Sorted,
    funnel,
)


@pytest.mark.parametrize("n_wanted", [0, 1, 3, 8, 9, 15, 40])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32])
def test_select_codes_equals_a_table_lookup(n_wanted: int, dtype: type) -> None:
    rng = np.random.default_rng(n_wanted)
    ev = rng.integers(0, 40, 5_000).astype(dtype)
    is_cand = np.zeros(40, dtype=bool)
    is_cand[rng.choice(40, n_wanted, replace=False)] = True
    got = _select_codes(ev, is_cand)
    np.testing.assert_array_equal(got, np.flatnonzero(is_cand[ev]))


def _stable_rank_order(user: np.ndarray, time: np.ndarray, rank: np.ndarray) -> np.ndarray:
    return np.lexsort((np.arange(user.size), rank, time, user))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("by_codes", [False, True])
def test_rank_ties_equals_a_stable_sort(seed: int, by_codes: bool) -> None:
    rng = np.random.default_rng(seed)
    n = 400
    user = np.sort(rng.integers(0, 20, n)).astype(np.int32)
    time = rng.integers(0, 6, n).astype(np.int64)  # few instants: many ties
    order = np.lexsort((time, user))
    user, time = user[order], time[order]
    codes = rng.integers(0, 5, n).astype(np.uint8)
    table = np.array([3, 0, 2, 1, 4], dtype=np.int8)
    rank = table[codes]
    ties = _rank_ties(user, time, table, codes) if by_codes else _rank_ties(user, time, rank)
    want = _stable_rank_order(user, time, rank)
    perm = np.arange(n)
    if ties is not None:
        at, source = ties
        perm[at] = source
    np.testing.assert_array_equal(perm, want)


def test_rank_ties_none_when_already_in_rank_order() -> None:
    user = np.array([0, 0, 0, 1, 1], dtype=np.int32)
    time = np.array([5, 5, 6, 5, 5], dtype=np.int64)
    assert _rank_ties(user, time, np.array([0, 1, 0, 2, 2], dtype=np.int8)) is None
    assert _rank_ties(user[:1], time[:1], np.zeros(1, dtype=np.int8)) is None


def _pick_reference(user: np.ndarray, reach: np.ndarray, times: np.ndarray, earliest: bool) -> list:
    t_last = times[reach - 1, np.arange(user.size)]
    frame = pd.DataFrame({"u": user, "r": -reach, "t": t_last, "i": np.arange(user.size)})
    frame["key"] = frame["i"] if earliest else -frame["i"]
    best = frame.sort_values(["u", "r", "t", "key"]).groupby("u", sort=True).head(1)
    return best.sort_values("u")["i"].tolist()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("span", [10, 10**15, 2**62])  # the last does not pack with the steps
@pytest.mark.parametrize("earliest", [False, True])
def test_pick_attempts_equals_a_sort(seed: int, span: int, earliest: bool) -> None:
    rng = np.random.default_rng(seed)
    n, k = 600, 3
    user = np.sort(rng.integers(0, 80, n)).astype(np.int32)
    reach = rng.integers(1, k + 1, n).astype(np.int64)
    lo = -(2**61) if span > 2**61 else 1_700_000_000 * 10**9
    base = lo + rng.integers(0, span, n, dtype=np.int64)
    times = np.full((k, n), np.iinfo(np.int64).min, dtype=np.int64)
    times[0] = base
    for j in range(1, k):  # steps in time order; a few equal times make ties
        step = rng.integers(0, 3, n)
        times[j] = np.where(reach > j, times[j - 1] + step, times[j])
    got = _pick_attempts(user, reach, times, earliest_entry=earliest).tolist()
    assert got == _pick_reference(user, reach, times, earliest)


@pytest.mark.parametrize("k", [2, 3, 5, 9])
def test_sort_slots_without_positions_sorts_the_same_times(k: int) -> None:
    rng = np.random.default_rng(k)
    n = 300
    slot_t = rng.integers(0, 5, (k, n)).astype(np.int64)
    slot_t[rng.random((k, n)) < 0.3] = _I64_MAX
    slot_p = rng.integers(0, 1000, (k, n)).astype(np.int64)
    times, pos = _sort_slots(slot_t, slot_p)
    times_only, none = _sort_slots(slot_t, None)
    assert none is None
    assert pos is not None
    np.testing.assert_array_equal(times_only, times)
    order = np.argsort(slot_t, axis=0, kind="stable")
    np.testing.assert_array_equal(times, np.take_along_axis(slot_t, order, axis=0))
    np.testing.assert_array_equal(pos, np.take_along_axis(slot_p, order, axis=0))


def test_runs_of_equal_user_and_instant() -> None:
    rng = np.random.default_rng(7)
    n = 500
    user = np.sort(rng.integers(0, 30, n)).astype(np.int32)
    time = rng.integers(0, 4, n).astype(np.int64)
    order = np.lexsort((time, user))
    s = _Sorted(user[order], time[order], np.zeros(n, dtype=np.uint8), None)
    new = np.ones(n, dtype=bool)
    new[1:] = (s.user[1:] != s.user[:-1]) | (s.time[1:] != s.time[:-1])
    gs = np.flatnonzero(new)
    pos = np.arange(n)
    np.testing.assert_array_equal(s.group_starts, gs)
    np.testing.assert_array_equal(s.group_start(pos), gs[np.searchsorted(gs, pos, "right") - 1])
    ends = np.append(gs, n)[np.searchsorted(gs, pos, "right")]
    np.testing.assert_array_equal(s.group_end(pos), ends)
    np.testing.assert_array_equal(s.run_of, np.cumsum(new) - 1)


def _random_log(seed: int, n: int = 3_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = np.array(["a", "b", "c", "x", "y"])
    return pd.DataFrame(
        {
            "user_id": rng.integers(0, 150, n).astype(str),
            "event": names[rng.integers(0, names.size, n)],
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 3 * 86_400, n) // 600 * 600, unit="s"),
            "plan": rng.choice(["free", "pro"], n),
        }
    )


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("attempts", ["best", "first"])
def test_unordered_positions_kept_or_not_give_the_same_counts(seed: int, attempts: str) -> None:
    # a property breakdown keeps the events' positions; without one they are not kept
    df = _random_log(seed)
    plain = funnel(df, ["a", "b", "c"], order="unordered", window="6h", attempts=attempts)
    split = funnel(
        df, ["a", "b", "c"], order="unordered", window="6h", attempts=attempts, breakdown="plan"
    )
    pd.testing.assert_frame_equal(plain.table, split.table)
    pd.testing.assert_frame_equal(
        plain.per_user, split.per_user.drop(columns="plan"), check_like=True
    )
