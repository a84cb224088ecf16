"""Funnel invariants, and the vectorised kernel against an obvious pure-Python implementation.

The slow reference follows the definitions in :func:`funnel`'s docstring one person at a time:
it sorts each person's events by (time, first step matched, mask), tries every combination of
later events for an ordered funnel (the lexicographically first longest chain is the greedy
one), walks the event stream for a strict funnel, and computes a maximum matching of steps to
events for every window of an unordered funnel.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from useropslib.events import EventLog
from useropslib.exceptions import InsufficientDataWarning
from useropslib.metrics._funnel import funnel

MIN = 60_000_000_000  # one minute in ns
T0 = pd.Timestamp("2024-03-01T00:00:00Z").value
NAMES = ("a", "b", "c", "x")
SETTINGS = settings(
    max_examples=90,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
QUICK = settings(SETTINGS, max_examples=30)


# ============================================================================ data


@st.composite
def logs(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 16))
    rows = {
        "user_id": draw(st.lists(st.sampled_from(["u0", "u1"]), min_size=n, max_size=n)),
        "event": draw(st.lists(st.sampled_from(NAMES), min_size=n, max_size=n)),
        "minute": draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)),
        "p": draw(st.lists(st.sampled_from([0, 1]), min_size=n, max_size=n)),
    }
    return pd.DataFrame(rows)


@st.composite
def queries(draw: st.DrawFn) -> dict[str, Any]:
    order = draw(st.sampled_from(["ordered", "strict", "unordered"]))
    k = draw(st.integers(1, 4))
    plain = st.sampled_from(["a", "b", "c"])
    step = (
        plain
        if order == "unordered"
        else st.one_of(
            plain, st.tuples(plain, st.fixed_dictionaries({"p": st.sampled_from([0, 1])}))
        )
    )
    steps = draw(st.lists(step, min_size=k, max_size=k))
    exclusions: list[Any] = []
    if k >= 2 and draw(st.booleans()):
        for _ in range(draw(st.integers(1, 2))):
            ev = draw(st.sampled_from(["x", "b"]))
            if order == "unordered":
                exclusions.append(ev)
            else:
                a = draw(st.integers(0, k - 2))
                b = draw(st.integers(a + 1, k - 1))
                exclusions.append((ev, a, b))
    start = draw(st.one_of(st.none(), st.integers(0, 4)))
    end = draw(st.one_of(st.none(), st.integers(start or 0, 9)))
    return {
        "steps": steps,
        "order": order,
        "attempts": draw(st.sampled_from(["best", "first"])),
        "window_min": draw(st.integers(1, 8)),
        "exclusions": exclusions,
        "start": start,
        "end": end,
    }


def _event_log(df: pd.DataFrame) -> EventLog:
    """Every name is known to the log (a filtered-out placeholder did each once)."""
    catalog = pd.DataFrame(
        {"user_id": "_catalog", "event": list(NAMES), "minute": -100, "p": 0}, index=range(4)
    )
    full = pd.concat([df, catalog], ignore_index=True)
    frame = pd.DataFrame(
        {
            "user_id": full["user_id"],
            "event": full["event"],
            "timestamp": pd.to_datetime(T0 + full["minute"].to_numpy() * MIN, utc=True),
            "p": full["p"],
        }
    )
    return EventLog.from_pandas(frame).filter_users(["_catalog"], exclude=True)


def _fast(df: pd.DataFrame, q: dict[str, Any]) -> tuple[dict[str, Any], int, list[int]]:
    log = _event_log(df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        res = funnel(
            log,
            q["steps"],
            window=f"{q['window_min']}min",
            order=q["order"],
            attempts=q["attempts"],
            exclusions=q["exclusions"] or None,
            start=None if q["start"] is None else pd.Timestamp(T0 + q["start"] * MIN, tz="UTC"),
            end=None if q["end"] is None else pd.Timestamp(T0 + q["end"] * MIN, tz="UTC"),
        )
    k = len(q["steps"])
    out = {}
    for row in res.per_user.itertuples(index=False):
        times = tuple(
            None
            if pd.isna(getattr(row, f"step_{i}_time"))
            else getattr(row, f"step_{i}_time").value
            for i in range(k)
        )
        out[row.user_id] = (row.furthest_step + 1, times)
    return out, res.excluded_users, res.table["users"].tolist()


# ============================================================================ slow reference


def _matches(event: str, p: int, spec: Any) -> bool:
    if isinstance(spec, str):
        return event == spec
    name, cond = spec
    return event == name and all(p == v for v in cond.values())


def _max_matching(events: Sequence[int], steps_of: Mapping[int, set[int]], k: int) -> int:
    """Largest number of steps 0..k-1 done by distinct events (brute force)."""

    def best(step: int, used: frozenset[int]) -> int:
        if step == k:
            return 0
        top = best(step + 1, used)
        for e in events:
            if e not in used and step in steps_of[e]:
                top = max(top, 1 + best(step + 1, used | {e}))
        return top

    return best(0, frozenset())


def _slow(df: pd.DataFrame, q: dict[str, Any]) -> tuple[dict[str, Any], int, list[int]]:
    steps, order, k = q["steps"], q["order"], len(q["steps"])
    w = q["window_min"] * MIN
    excl = [(e, 0, k - 1) if isinstance(e, str) else (e[0], e[1], e[2]) for e in q["exclusions"]]
    lo = None if q["start"] is None else T0 + q["start"] * MIN
    hi = None if q["end"] is None else T0 + q["end"] * MIN
    counted: dict[str, Any] = {}
    entrants = 0
    for user, g in df.groupby("user_id"):
        evs = []
        for r in g.itertuples(index=False):
            mask = sum(1 << i for i, s in enumerate(steps) if _matches(r.event, r.p, s))
            full = mask | sum(1 << (k + j) for j, x in enumerate(excl) if r.event == x[0])
            rank = (mask & -mask).bit_length() - 1 if mask else k
            evs.append((T0 + r.minute * MIN, rank, full, mask))
        evs.sort()
        t = [e[0] for e in evs]
        m = [e[3] for e in evs]
        xs = [[e[0] for e in evs if e[2] >> (k + j) & 1] for j in range(len(excl))]

        entry_bits = 1 if order != "unordered" else (1 << k) - 1
        entries = [
            i
            for i in range(len(evs))
            if m[i] & entry_bits and (lo is None or t[i] >= lo) and (hi is None or t[i] < hi)
        ]
        if not entries:
            continue
        entrants += 1
        if q["attempts"] == "first":
            entries = entries[:1]
        attempts = []
        for i in entries:
            if order == "ordered":
                later = [j for j in range(i + 1, len(evs)) if m[j] and t[j] <= t[i] + w]
                chain = [i]
                for size in range(k - 1, 0, -1):
                    hit = next(
                        (
                            c
                            for c in itertools.combinations(later, size)
                            if all(m[c[s]] >> (s + 1) & 1 for s in range(size))
                        ),
                        None,
                    )
                    if hit is not None:
                        chain = [i, *hit]
                        break
                times = [t[j] for j in chain]
            elif order == "strict":
                stream = [
                    j
                    for j in range(len(evs))
                    if m[j] or not any(m[o] and t[o] == t[j] for o in range(len(evs)))
                ]
                at = stream.index(i)
                times = [t[i]]
                while (
                    len(times) < k
                    and at + 1 < len(stream)
                    and m[stream[at + 1]] >> len(times) & 1
                    and t[stream[at + 1]] <= t[i] + w
                ):
                    at += 1
                    times.append(t[stream[at]])
            else:
                window = [j for j in range(len(evs)) if m[j] and t[i] <= t[j] <= t[i] + w]
                steps_of = {j: {s for s in range(k) if m[j] >> s & 1} for j in window}
                times = []
                for cut in sorted({t[j] for j in window}):
                    prefix = [j for j in window if t[j] <= cut]
                    level = _max_matching(prefix, steps_of, k)
                    times.extend([cut] * (level - len(times)))
            reach = len(times)
            bad = False
            for j, (_, a, b) in enumerate(excl):
                if reach > a:
                    for tx in xs[j]:
                        upper = tx < times[b] if reach > b else tx <= times[0] + w
                        bad |= tx > times[a] and upper
            if not bad:
                attempts.append((i, reach, times))
        if not attempts:
            continue
        top = max(r for _, r, _ in attempts)
        firsts = [a for a in attempts if a[1] == top]
        t_min = min(a[2][top - 1] for a in firsts)
        firsts = [a for a in firsts if a[2][top - 1] == t_min]
        i, reach, times = firsts[0] if order == "unordered" else firsts[-1]
        counted[str(user)] = (reach, tuple(times) + (None,) * (k - reach))
    users = [sum(1 for r, _ in counted.values() if r > s) for s in range(k)]
    return counted, entrants - len(counted), users


# ============================================================================ properties


@SETTINGS
@given(df=logs(), q=queries())
def test_fast_kernel_equals_slow_reference(df: pd.DataFrame, q: dict[str, Any]) -> None:
    assert _fast(df, q) == _slow(df, q)


@QUICK
@given(df=logs(), q=queries())
def test_counts_never_increase_along_steps(df: pd.DataFrame, q: dict[str, Any]) -> None:
    _, _, users = _fast(df, q)
    assert all(a >= b for a, b in itertools.pairwise(users))


@QUICK
@given(df=logs(), q=queries(), seed=st.integers(0, 2**16))
def test_shuffling_rows_changes_nothing(df: pd.DataFrame, q: dict[str, Any], seed: int) -> None:
    shuffled = df.sample(frac=1.0, random_state=np.random.default_rng(seed)).reset_index(drop=True)
    assert _fast(shuffled, q) == _fast(df, q)
