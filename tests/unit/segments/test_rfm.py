"""Unit tests of rfm(): hand-computed scores, segment tables, invariants and errors."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from useropslib.events import EventLog, strict_events
from useropslib.exceptions import InsufficientDataWarning, InvalidParameterError
from useropslib.segments._rfm import RFM_SEGMENT_MAPS, rfm


@pytest.fixture(autouse=True)
def _strict_event_names() -> Iterator[None]:
    """These cases pin the errors for unknown event names (the warning is tested elsewhere)."""
    with strict_events():
        yield


@pytest.fixture
def log() -> EventLog:
    df = pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "b", "c", "c", "d"],
            "event": ["purchase"] * 6 + ["open"],
            "timestamp": [
                "2024-01-01",
                "2024-01-20",
                "2024-01-30",
                "2024-01-05",
                "2024-01-10",
                "2024-01-25",
                "2024-02-10",
            ],
            "value": [10.0, 20.0, 5.0, 100.0, 3.0, 4.0, None],
        }
    )
    return EventLog.from_pandas(df, tz="UTC")


def test_hand_computed_scores(log: EventLog) -> None:
    res = rfm(log, as_of="2024-01-30", bins=3, segment_map=[("Best", (3, 3), (2, 3), None)])
    t = res.table
    assert t.index.tolist() == ["a", "b", "c"]  # d never purchased: not a customer
    assert t["recency_days"].tolist() == [0.0, 25.0, 5.0]
    assert t["rfm_cell"].tolist() == ["332", "113", "221"]
    assert t["segment"].astype(str).tolist() == ["Best", "Others", "Others"]
    assert res.counts.to_dict() == {"Best": 1, "Others": 2}
    assert res.edges.shape == (3, 2)


def test_default_purchase_and_value_fallback(log: EventLog) -> None:
    res = rfm(log, bins=3, segment_map=[("Any", None, None, None)])
    assert res.params["purchase_event"] == "purchase"
    no_purchase = EventLog.from_pandas(
        pd.DataFrame(
            {
                "user_id": ["a", "b"],
                "event": ["order", "open"],
                "timestamp": ["2024-01-01", "2024-01-02"],
                "value": [5.0, None],
            }
        ),
        tz="UTC",
    )
    res2 = rfm(no_purchase, purchase_event=None, bins=2, segment_map=[("Any", None, None, None)])
    assert res2.table.index.tolist() == ["a"]  # events with a value are the purchases


def test_rf_grid_default_each_user_one_segment() -> None:
    rng = np.random.default_rng(3)
    users = rng.integers(0, 80, 600).astype(str)
    df = pd.DataFrame(
        {
            "user_id": users,
            "event": "purchase",
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 90 * 24, users.size), unit="h"),
            "value": rng.gamma(2, 10, users.size),
        }
    )
    log = EventLog.from_pandas(df)
    res = rfm(log)
    t = res.table
    for col in ("r_score", "f_score", "m_score"):
        assert t[col].between(1, 5).all()
    assert res.counts.sum() == len(t) == t.index.nunique()
    assert "Others" not in set(t["segment"].astype(str))  # the grid partitions the cells
    # as_of never uses later events
    cut = pd.Timestamp("2024-02-15", tz="UTC")
    a, b = rfm(log, as_of=cut), rfm(log.until(cut))
    pd.testing.assert_frame_equal(a.table, b.table)
    # shuffled rows give the same result
    shuffled = EventLog.from_pandas(df.sample(frac=1, random_state=1))
    pd.testing.assert_frame_equal(rfm(shuffled).table.sort_index(), t.sort_index())


# the default grid, cell by cell: R score (rows 5..1) x F score (columns 1..5)
DEFAULT_GRID = {
    5: ["New", "Potential Loyalist", "Potential Loyalist", "Champions", "Champions"],
    4: ["Promising", "Potential Loyalist", "Potential Loyalist", "Loyal", "Loyal"],
    3: ["About to Sleep", "About to Sleep", "Need Attention", "Loyal", "Loyal"],
    2: ["Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"],
    1: ["Lost", "Lost", "At Risk", "At Risk", "Can't Lose Them"],
}
ISSUE_NAMES = [
    "Champions",
    "Loyal",
    "Potential Loyalist",
    "New",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "At Risk",
    "Can't Lose Them",
    "Hibernating",
    "Lost",
]


def test_default_rf_grid_names_every_cell_once() -> None:
    """Each of the 25 (R, F) cells matches exactly one rule of the default, whatever M is."""
    bins, rules = RFM_SEGMENT_MAPS["rf_grid"]
    assert bins == 5
    assert [rule.name for rule in rules] == ISSUE_NAMES
    for r_score, row in DEFAULT_GRID.items():
        for f_score, expected in enumerate(row, start=1):
            hits = [
                rule.name
                for rule in rules
                if rule.r is not None
                and rule.f is not None
                and rule.m is None
                and rule.r[0] <= r_score <= rule.r[1]
                and rule.f[0] <= f_score <= rule.f[1]
            ]
            assert hits == [expected], (r_score, f_score, hits)
    # "Lost" is carved from the source's "Hibernating" cells; every other cell is the source's
    _, source = RFM_SEGMENT_MAPS["rf_grid_source"]
    for r_score, row in DEFAULT_GRID.items():
        for f_score, name in enumerate(row, start=1):
            src = next(
                rule.name
                for rule in source
                if rule.r is not None
                and rule.f is not None
                and rule.r[0] <= r_score <= rule.r[1]
                and rule.f[0] <= f_score <= rule.f[1]
            )
            assert name == src or (name == "Lost" and src == "Hibernating"), (r_score, f_score)


def test_default_is_the_11_segment_grid(log: EventLog) -> None:
    res = rfm(log, as_of="2024-01-30")
    assert res.params["segment_map"] == "rf_grid"
    # b bought once, 25 days before as_of: the least recent and least frequent customer
    assert res.table["segment"].astype(str).to_dict() == {
        "a": "Champions",
        "b": "Lost",
        "c": "Need Attention",
    }
    assert list(res.counts.index) == [*ISSUE_NAMES, "Others"]
    assert res.rules["segment"].tolist() == ISSUE_NAMES
    source = rfm(log, as_of="2024-01-30", segment_map="rf_grid_source")
    assert "Lost" not in set(source.counts.index)
    # same scores; the names differ only where the default says "Lost"
    pd.testing.assert_frame_equal(
        res.table.drop(columns="segment"), source.table.drop(columns="segment")
    )
    for cell, a, b in zip(
        res.table["rfm_cell"], res.table["segment"], source.table["segment"], strict=True
    ):
        lost = cell[0] == "1" and cell[1] in "12"
        assert (a == "Lost") == lost
        assert a == b or (lost and b == "Hibernating")


def test_rfm_package_and_tags(log: EventLog) -> None:
    res = rfm(log, segment_map="rfm_package")
    assert list(res.counts.index)[-1] == "Others"
    tags = res.to_tags()
    assert set(tags.users) == {"a", "b", "c"}
    assert all(t.startswith("rfm:") for t in tags.tags)
    assert len(res.to_frame()) == 3
    assert res.to_dict()["params"]["segment_map"] == "rfm_package"


def test_fixed_edges(log: EventLog) -> None:
    res = rfm(
        log,
        as_of="2024-01-30",
        bins=2,
        method="fixed",
        edges={"recency": [10], "frequency": [1], "monetary": [50]},
        segment_map=[("x", None, None, None)],
    )
    assert res.table["rfm_cell"].tolist() == ["221", "112", "221"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bins": 1}, r"Invalid bins=1\. Expected an integer >= 2"),
        ({"method": "kmeans"}, r"Invalid method='kmeans'"),
        ({"segment_map": "rf_gird"}, r"Unknown segment_map='rf_gird'.*did you mean 'rf_grid'"),
        ({"segment_map": "braze"}, r"written for bins=4, got bins=5"),
        ({"segment_map": []}, r"non-empty list"),
        ({"segment_map": [("a", (1, 2), None)]}, r"Expected \(name, r_range, f_range, m_range\)"),
        ({"segment_map": [("Others", None, None, None)]}, r"reserved fallback"),
        ({"segment_map": [("a", None, None, None)] * 2}, r"appears twice"),
        ({"segment_map": [("a", (0, 2), None, None)]}, r"Expected 1 <= low <= high <= bins=5"),
        ({"segment_map": [("a", "12", None, None)]}, r"Expected \(low, high\) integers"),
        ({"method": "fixed"}, r"method='fixed' needs edges="),
        ({"edges": {"recency": [1]}}, r"only used with method='fixed'"),
        ({"purchase_event": "purchse"}, r"Unknown event name\(s\) \['purchse'\]"),
        ({"as_of": "2023-01-01"}, r"is before the first event"),
        ({"value_col": "nope"}, r"no property 'nope'"),
    ],
)
def test_errors(log: EventLog, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        rfm(log, **kwargs)  # type: ignore[arg-type]


def test_fixed_edges_invalid(log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match=r"edges\['recency'\]=\[5, 1\] is invalid"):
        rfm(
            log,
            bins=3,
            method="fixed",
            edges={"recency": [5, 1], "frequency": [1, 2], "monetary": [1, 2]},
            segment_map=[("x", None, None, None)],
        )


def test_log_without_values() -> None:
    df = pd.DataFrame({"user_id": ["a"], "event": ["purchase"], "timestamp": ["2024-01-01"]})
    with pytest.raises(InvalidParameterError, match="has no values"):
        rfm(EventLog.from_pandas(df, tz="UTC"))


def test_no_customer_warns_and_returns_an_empty_result() -> None:
    df = pd.DataFrame(
        {
            "user_id": ["u1", "u2"],
            "event": ["open", "purchase"],
            "timestamp": ["2024-01-01", "2024-01-10"],
            "value": [None, 5.0],
        }
    )
    log = EventLog.from_pandas(df, tz="UTC")
    with pytest.warns(
        InsufficientDataWarning,
        match=r"No customer: no user has a purchase event \(purchase_event='purchase'\) at or "
        r"before as_of=2024-01-05 00:00:00\+00:00",
    ):
        res = rfm(log, as_of="2024-01-05")
    assert res.table.empty
    assert list(res.table.columns)[-1] == "segment"
    assert res.counts.sum() == 0
    assert list(res.counts.index)[-1] == "Others"
    assert res.edges.isna().all().all()
    assert len(rfm(log).table) == 1  # u2 once the purchase is in
