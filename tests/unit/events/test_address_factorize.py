"""The direct address table of ``factorize_ids`` and the one-copy property frame of the build."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from useropslib import EventLog
from useropslib.events import _ingest


@pytest.fixture(params=["direct", "hash"])
def route(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the identity route on small columns, through the direct table or the hash."""
    monkeypatch.setattr(_ingest, "_SHARED_MIN_ROWS", 1)
    monkeypatch.setattr(_ingest, "_SHARED_SAMPLE", 1_000)
    # a huge slot budget forces the table; none forces pd.factorize of the addresses
    monkeypatch.setattr(_ingest, "_SLOTS_PER_ROW", 10**12 if request.param == "direct" else 0)
    monkeypatch.setattr(_ingest, "_FEW_OBJECTS", 0)
    return str(request.param)


def _same_as_pandas(s: pd.Series) -> None:
    codes, uniques = _ingest.factorize_ids(s)
    want_codes, want_uniques = pd.factorize(s)
    assert codes.tolist() == want_codes.tolist()
    assert len(uniques) == len(want_uniques)
    # equal values of the same types (pandas 3 may hand back new objects for equal texts)
    assert all(
        (x is y or (type(x) is type(y) and (x == y or (x != x and y != y))))
        for x, y in zip(uniques, want_uniques, strict=True)
    )


def test_codes_and_uniques_equal_pandas(route: str) -> None:
    a, b = "alpha", "".join(["al", "pha"])  # equal strings, distinct objects
    assert a is not b
    vals = [b, "beta", None, a, 7, 7.0, float("nan"), "beta", "\u7528\u6237", a, -3] * 40
    _same_as_pandas(pd.Series(vals, dtype=object))


def test_first_appearance_order_not_address_order(route: str) -> None:
    # objects created in one order and first seen in another
    objs = [f"user-{k}" for k in range(50)]
    rng = np.random.default_rng(7)
    rows = rng.integers(0, 50, 2_000)
    _same_as_pandas(pd.Series(np.array(objs, dtype=object)[rows], dtype=object))


def test_one_object_everywhere(route: str) -> None:
    _same_as_pandas(pd.Series(["same"] * 300, dtype=object))


def test_only_nulls(route: str) -> None:
    _same_as_pandas(pd.Series([None, float("nan")] * 150, dtype=object))


def test_direct_table_refuses_spread_addresses() -> None:
    addresses = np.array([0, 1 << 40], dtype=np.int64)  # 2**36 slots for 2 rows
    assert _ingest._codes_by_address(addresses) is None


def test_direct_table_codes_and_first_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ingest, "_SLOTS_PER_ROW", 1_000)
    # addresses 16 bytes apart at least; first appearances at rows 0, 1, 3
    addresses = np.array([4096, 1024, 4096, 2048, 1024], dtype=np.int64)
    got = _ingest._codes_by_address(addresses)
    assert got is not None
    codes, first = got
    assert codes.tolist() == [0, 1, 0, 2, 1]
    assert first.tolist() == [0, 1, 3]


def test_property_frame_equals_a_selection_and_is_a_copy() -> None:
    df = pd.DataFrame(
        {
            "user_id": ["a", "b", "c"],
            "event": ["x", "y", "x"],
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC"),
            "plan": pd.Categorical(["free", "pro", "free"]),
            "n": [1, 2, 3],
            "score": pd.array([1.5, None, 2.0], dtype="Float64"),
        },
        index=[10, 20, 30],
    )
    cols = ["score", "plan", "n"]
    got = _ingest.property_frame(df, cols)
    pd.testing.assert_frame_equal(got, df[cols].reset_index(drop=True))
    df.loc[10, "n"] = 99  # the caller edits their frame: the copy does not change
    assert got["n"].tolist() == [1, 2, 3]


def test_log_properties_unchanged_by_later_edits() -> None:
    df = pd.DataFrame(
        {
            "user_id": ["a", "b"],
            "event": ["x", "y"],
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC"),
            "channel": ["web", "app"],
        }
    )
    log = EventLog.from_pandas(df)
    df.loc[0, "channel"] = "mail"
    assert log.properties["channel"].tolist() == ["web", "app"]


def test_few_objects_take_the_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ingest, "_SHARED_MIN_ROWS", 1)
    monkeypatch.setattr(_ingest, "_SHARED_SAMPLE", 1_000)
    calls: list[int] = []
    real = _ingest._codes_by_address

    def spy(addresses: np.ndarray) -> object:
        calls.append(addresses.size)
        return real(addresses)

    monkeypatch.setattr(_ingest, "_codes_by_address", spy)
    _same_as_pandas(pd.Series(["open", "buy", "view"] * 200, dtype=object))
    assert calls == []  # 3 objects: pd.factorize of the addresses
    monkeypatch.setattr(_ingest, "_FEW_OBJECTS", 2)
    monkeypatch.setattr(_ingest, "_SLOTS_PER_ROW", 10**12)
    _same_as_pandas(pd.Series(["open", "buy", "view"] * 200, dtype=object))
    assert calls == [600]
