"""recall_audience(): risk ordering, filters, holdout, errors; targeting judged by Qini."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from useropslib.campaigns import recall_audience, targeting_uplift
from useropslib.events import EventLog
from useropslib.exceptions import InsufficientDataError, InvalidParameterError


def _log() -> EventLog:
    # user k was last seen k days before 2024-02-01
    rows = []
    for k in range(200):
        rows.append((f"u{k:03d}", "open", pd.Timestamp("2024-01-01", tz="UTC")))
        rows.append(
            (f"u{k:03d}", "open", pd.Timestamp("2024-02-01", tz="UTC") - pd.Timedelta(days=k % 31))
        )
    return EventLog.from_pandas(pd.DataFrame(rows, columns=["user_id", "event", "timestamp"]))


def test_top_k_by_recency_with_holdout() -> None:
    aud = recall_audience(_log(), as_of="2024-02-01", top_k=50, holdout=0.2)
    assert len(aud.table) == 50
    assert aud.table["risk"].is_monotonic_decreasing
    assert aud.table["risk"].iloc[0] == pytest.approx(30.0)
    assert set(aud.table["arm"]) == {"treatment", "control"}
    assert len(aud.treatment) + len(aud.control) == 50
    again = recall_audience(_log(), as_of="2024-02-01", top_k=50, holdout=0.2)
    pd.testing.assert_series_equal(aud.assignment(), again.assignment())


def test_threshold_and_definition() -> None:
    aud = recall_audience(_log(), as_of="2024-02-01", threshold=20, holdout=0.5)
    assert (aud.table["days_inactive"] >= 20).all()
    churned = recall_audience(_log(), as_of="2024-02-01", threshold=0, definition="25D")
    assert (churned.table["days_inactive"] >= 25).all()


def test_given_risk_series() -> None:
    risk = pd.Series(np.linspace(0, 1, 200), index=[f"u{k:03d}" for k in range(200)])
    aud = recall_audience(_log(), risk=risk, top_k=10)
    assert aud.table.index[0] == "u199"
    assert aud.params["risk"] == "given"


def test_targeting_uplift_and_evaluate_reactivation() -> None:
    rng = np.random.default_rng(1)
    log = _log()
    aud = recall_audience(log, as_of="2024-02-01", threshold=0, holdout=0.5)
    # treated high-risk users come back more often: the risk score should target well
    t = aud.table
    p = 0.1 + 0.4 * (t["arm"] == "treatment") * (t["risk"] / 30)
    back = t.index[rng.random(len(t)) < p]
    extra = pd.DataFrame(
        {"user_id": back, "event": "open", "timestamp": pd.Timestamp("2024-02-05", tz="UTC")}
    )
    frame = pd.concat([log.to_pandas(), extra], ignore_index=True)
    deciles, qini = targeting_uplift(aud, frame, start="2024-02-02", end="2024-02-10", bins=5)
    assert qini.auuc > 0
    assert deciles["uplift"].iloc[0] > deciles["uplift"].iloc[-1]
    assert len(deciles) == 5


def test_errors() -> None:
    with pytest.raises(InvalidParameterError, match="exactly one of top_k"):
        recall_audience(_log(), top_k=5, threshold=3)
    with pytest.raises(InvalidParameterError, match="exactly one of top_k"):
        recall_audience(_log())
    with pytest.raises(InvalidParameterError, match=r"holdout must lie in \(0, 1\)"):
        recall_audience(_log(), top_k=5, holdout=1.0)
    with pytest.raises(InvalidParameterError, match="shares no user id"):
        recall_audience(_log(), top_k=5, risk=pd.Series([1.0], index=["nobody"]))
    with pytest.raises(InvalidParameterError, match="'recency'"):
        recall_audience(_log(), top_k=5, risk="model")
    with pytest.raises(InsufficientDataError, match="no user is left"):
        recall_audience(_log(), threshold=1000)
