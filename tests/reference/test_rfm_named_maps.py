"""RFM named segment maps against their published sources.

Sources (see ``data/segments_rfm_named_maps.json``): Guillaume Martin, "RFM Segmentation with
Python" (2018), the R x F ``segt_map``, which ``segment_map="rf_grid_source"`` reproduces (the
default ``"rf_grid"`` adds "Lost" to it; tested in ``tests/unit/segments/test_rfm.py``); Braze
docs ``rfm_segments.md`` (RFM groups, ranks 0-3, first match top-down, unmatched combos
unassigned).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from useropslib.events import EventLog
from useropslib.segments._rfm import RFM_SEGMENT_MAPS, assign_segments, rfm

CASE = json.loads((Path(__file__).parent / "data" / "segments_rfm_named_maps.json").read_text())

# the source's lower-case labels -> our names
MARTIN_NAMES = {
    "hibernating": "Hibernating",
    "at risk": "At Risk",
    "can't loose": "Can't Lose Them",
    "about to sleep": "About to Sleep",
    "need attention": "Need Attention",
    "loyal customers": "Loyal",
    "promising": "Promising",
    "new customers": "New",
    "potential loyalists": "Potential Loyalist",
    "champions": "Champions",
}


def _names(bins_rules: tuple[int, tuple], r: list[int], f: list[int], m: list[int]) -> list[str]:
    _, rules = bins_rules
    seg = assign_segments(
        np.asarray(r, dtype=np.int64),
        np.asarray(f, dtype=np.int64),
        np.asarray(m, dtype=np.int64),
        rules,
    )
    labels = [rule.name for rule in rules] + ["Others"]
    return [labels[i] for i in seg]


def test_rf_grid_source_matches_martin_segt_map() -> None:
    """Every one of the 25 R x F cells gets Guillaume Martin's segment, whatever M is."""
    cells = CASE["inputs"]["rf_cells"]
    r = [int(c[0]) for c in cells]
    f = [int(c[1]) for c in cells]
    expected = [MARTIN_NAMES[CASE["expected"]["rf_grid_segment"][c]] for c in cells]
    for m_score in (1, 3, 5):
        got = _names(RFM_SEGMENT_MAPS["rf_grid_source"], r, f, [m_score] * len(cells))
        assert got == expected


def test_braze_groups_first_match() -> None:
    """Braze rank tuples (0-3) map to Braze's groups; scores are Braze ranks + 1 (bins=4)."""
    tuples = CASE["inputs"]["braze_rank_tuples"]
    r, f, m = ([t[i] + 1 for t in tuples] for i in range(3))
    got = _names(RFM_SEGMENT_MAPS["braze"], r, f, m)
    expected = [
        CASE["expected"]["braze_group"][f"R{t[0]}F{t[1]}M{t[2]}"] or "Others" for t in tuples
    ]
    assert got == expected


def test_scoring_matches_martin_quantile_rule() -> None:
    """Scores follow the source: DataFrame.quantile cut points, right-inclusive, R reversed."""
    rng = np.random.default_rng(7)
    n_users = 60
    counts = rng.integers(1, 8, n_users)
    users = np.repeat([f"u{i:02d}" for i in range(n_users)], counts)
    days = rng.integers(0, 200, users.size)
    ts = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(days, unit="D")
    df = pd.DataFrame(
        {
            "user_id": users,
            "event": "purchase",
            "timestamp": ts,
            "value": rng.gamma(2.0, 30.0, users.size).round(2),
        }
    )
    as_of = pd.Timestamp("2024-08-01", tz="UTC")
    res = rfm(EventLog.from_pandas(df), as_of=as_of, segment_map="rf_grid_source")

    g = df.groupby("user_id").agg(
        last=("timestamp", "max"), frequency=("event", "size"), monetary=("value", "sum")
    )
    g["recency"] = (as_of - g["last"]) / pd.Timedelta(days=1)
    q = g[["recency", "frequency", "monetary"]].quantile([0.2, 0.4, 0.6, 0.8])

    def r_score(x: float) -> int:
        c = q["recency"]
        return (
            5
            if x <= c[0.2]
            else 4
            if x <= c[0.4]
            else 3
            if x <= c[0.6]
            else 2
            if x <= c[0.8]
            else 1
        )

    def fm_score(x: float, col: str) -> int:
        c = q[col]
        return (
            1
            if x <= c[0.2]
            else 2
            if x <= c[0.4]
            else 3
            if x <= c[0.6]
            else 4
            if x <= c[0.8]
            else 5
        )

    t = res.table.loc[g.index]
    assert t["r_score"].tolist() == [r_score(x) for x in g["recency"]]
    assert t["f_score"].tolist() == [fm_score(x, "frequency") for x in g["frequency"]]
    assert t["m_score"].tolist() == [fm_score(x, "monetary") for x in g["monetary"]]
    expected = [
        MARTIN_NAMES[CASE["expected"]["rf_grid_segment"][f"{a}{b}"]]
        for a, b in zip(t["r_score"], t["f_score"], strict=True)
    ]
    assert t["segment"].astype(str).tolist() == expected


@pytest.mark.parametrize("name", ["rf_grid", "rf_grid_source", "rfm_package"])
def test_tables_cover_bins(name: str) -> None:
    """Each built-in map is written for its bins, with unique segment names."""
    bins, rules = RFM_SEGMENT_MAPS[name]
    assert bins == 5
    assert len({rule.name for rule in rules}) == len(rules)
