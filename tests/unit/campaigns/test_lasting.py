"""lasting_effect(): retention by arm after the window by hand, the hazard ratio, errors."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from useropslib.campaigns import lasting_effect
from useropslib.datasets import synthetic_campaign
from useropslib.events import EventLog
from useropslib.exceptions import InsufficientDataError, InvalidParameterError
from useropslib.models import BudgetLine, Campaign, ExposureControl, Goal, PayingUsersSpec, Phase

LAUNCH = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
END = dt.datetime(2024, 5, 8, tzinfo=dt.timezone.utc)


def _campaign(**kw: object) -> Campaign:
    base: dict[str, object] = {
        "id": "c1",
        "name": "test",
        "type": "conversion",
        "primary_goal": Goal(
            kind="conversion", metric=PayingUsersSpec(), target=10, start=LAUNCH, deadline=END
        ),
        "phases": (Phase(name="launch", start=LAUNCH, end=END),),
        "control": ExposureControl(event="exposure"),
        "budget": (BudgetLine(item="push", amount=100.0),),
    }
    base.update(kw)
    return Campaign(**base)  # type: ignore[arg-type]


def _log(conv_c: int = 1, conv_t: int = 3, n: int = 4, both: int = 0) -> EventLog:
    rows = []
    t_exp = pd.Timestamp("2024-05-01 01:00", tz="UTC")
    t_buy = pd.Timestamp("2024-05-03", tz="UTC")
    for arm, conv in (("control", conv_c), ("treatment", conv_t)):
        for i in range(n):
            u = f"{arm[0]}{i}"
            rows.append((u, "seen", pd.Timestamp("2024-04-01", tz="UTC"), np.nan, None))
            rows.append((u, "exposure", t_exp, np.nan, arm))
            if i < conv:
                rows.append((u, "purchase", t_buy, 50.0, None))
    for i in range(both):
        rows.append((f"c{i}", "exposure", t_exp + pd.Timedelta(hours=1), np.nan, "treatment"))
    frame = pd.DataFrame(rows, columns=["user_id", "event", "timestamp", "value", "variant"])
    return EventLog.from_pandas(frame, value_col="value")


def test_retention_by_hand() -> None:
    # campaign window ends 2024-05-08; control c0 and treatment t0, t1 come back in week 1
    base = _log().to_pandas()
    extra = pd.DataFrame(
        {
            "user_id": ["c0", "t0", "t1", "t1"],
            "event": "seen",
            "timestamp": pd.to_datetime(
                ["2024-05-09", "2024-05-10", "2024-05-10", "2024-05-16"], utc=True
            ),
        }
    )
    log = EventLog.from_pandas(pd.concat([base, extra], ignore_index=True), value_col="value")
    le = lasting_effect(_campaign(), log, as_of="2024-05-20", periods=2, definition="5D")
    assert le.retention.loc[1, "control"] == pytest.approx(1 / 4)
    assert le.retention.loc[1, "treatment"] == pytest.approx(2 / 4)
    assert le.retention.loc[2, "treatment"] == pytest.approx(1 / 4)
    assert le.retention.loc[1, "complete"]
    assert not le.retention.loc[2, "complete"]
    assert "hazard_ratio" in le.hazard.columns


def test_synthetic_hazard_ratio_near_one_without_lasting_effect() -> None:
    data = synthetic_campaign(n_users=3000, lift=0.5, after_days=28, seed=2)
    le = lasting_effect(data.campaign, data.log, periods=3)
    hr = le.hazard.loc["treated"]
    assert hr["hazard_ratio_lower"] < 1 < hr["hazard_ratio_upper"]


def test_errors() -> None:
    with pytest.raises(InsufficientDataError, match="has not ended by as_of"):
        lasting_effect(_campaign(), _log(), as_of="2024-05-05")
    with pytest.raises(InvalidParameterError, match="period_days must be"):
        lasting_effect(_campaign(), _log(), period_days=0)
