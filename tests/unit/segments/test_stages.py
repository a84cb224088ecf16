"""Unit tests of lifecycle_stages() and value_tiers(): hand-computed stages, tiers and errors."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from useropslib.events import EventLog, strict_events
from useropslib.exceptions import InvalidParameterError
from useropslib.models import ChurnDefinition
from useropslib.segments._stages import LIFECYCLE_STAGES, lifecycle_stages, value_tiers


@pytest.fixture(autouse=True)
def _strict_event_names() -> Iterator[None]:
    """These cases pin the errors for unknown event names (the warning is tested elsewhere)."""
    with strict_events():
        yield


AS_OF = "2024-03-31"


def _log(rows: list[tuple[str, str, str]], **kw: object) -> EventLog:
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    return EventLog.from_pandas(df, tz="UTC", **kw)  # type: ignore[arg-type]


@pytest.fixture
def log() -> EventLog:
    return _log(
        [
            ("new", "open", "2024-03-29"),
            ("never", "open", "2024-02-01"),  # one visit long ago, never came back
            ("dormant", "open", "2024-01-01"),
            ("dormant", "open", "2024-01-05"),
            ("declining", "open", "2024-03-01"),
            ("declining", "open", "2024-03-20"),  # silent 11 days: lapsed
            ("back", "open", "2024-01-01"),
            ("back", "open", "2024-01-03"),
            ("back", "open", "2024-03-30"),  # 87-day gap before this return
            ("active", "open", "2024-03-01"),
            ("active", "open", "2024-03-29"),
            ("active", "open", "2024-03-30"),
            ("dropping", "open", "2024-03-01"),
            *[("dropping", "open", f"2024-03-{d:02d}") for d in (18, 19, 20, 21, 22, 23)],
            ("dropping", "open", "2024-03-30"),
        ]
    )


def test_hand_computed_stages(log: EventLog) -> None:
    res = lifecycle_stages(log, as_of=AS_OF)
    stages = res.table["stage"].astype(str).to_dict()
    assert stages == {
        "new": "new",
        "never": "never_activated",
        "dormant": "dormant",
        "declining": "declining",
        "back": "resurrected",
        "active": "active",
        "dropping": "declining",
    }
    assert res.counts.sum() == len(res.table)
    assert list(res.counts.index) == list(LIFECYCLE_STAGES)
    assert not res.table.loc["never", "activated"]


def test_churn_definition_and_activation_event(log: EventLog) -> None:
    res = lifecycle_stages(log, as_of=AS_OF, churn_definition=ChurnDefinition(threshold="60D"))
    assert res.table.loc["dormant", "stage"] == "churned"
    assert res.table.loc["declining", "stage"] == "declining"
    res2 = lifecycle_stages(log, as_of=AS_OF, activation_event="open")
    assert res2.table.loc["never", "stage"] == "dormant"  # any open activates


def test_tags_and_as_of_equals_until(log: EventLog) -> None:
    res = lifecycle_stages(log, as_of=AS_OF)
    assert res.to_tags().select("stage:resurrected").tolist() == ["back"]
    cut = pd.Timestamp("2024-03-21", tz="UTC")
    pd.testing.assert_frame_equal(
        lifecycle_stages(log, as_of=cut).table, lifecycle_stages(log.until(cut)).table
    )
    assert "new" not in lifecycle_stages(log, as_of=cut).table.index


def test_stages_partition_random_users() -> None:
    rng = np.random.default_rng(5)
    n = 2000
    users = rng.integers(0, 300, n).astype(str)
    ts = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 120 * 24, n), "h")
    log = EventLog.from_pandas(pd.DataFrame({"user_id": users, "event": "e", "timestamp": ts}))
    res = lifecycle_stages(log, churn_definition=ChurnDefinition(threshold="45D"))
    assert res.table.index.is_unique
    assert len(res.table) == log.n_users
    assert res.counts.sum() == log.n_users


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"new_within": "-1D"}, r"Invalid new_within='-1D'"),
        ({"active_within": "soon"}, r"Invalid active_within='soon'"),
        ({"active_within": "40D"}, r"dormant_after='30D' is shorter than active_within='40D'"),
        ({"declining_drop": 1.5}, r"Invalid declining_drop=1\.5"),
        ({"churn_definition": "30D"}, r"Expected a ChurnDefinition"),
        ({"activation_event": "signup"}, r"Unknown event name\(s\) \['signup'\]"),
        ({"activation_event": []}, r"activation_event=\[\] names no event"),
        ({"as_of": "2020-01-01"}, r"is before the first event"),
    ],
)
def test_stage_errors(log: EventLog, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        lifecycle_stages(log, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def tier_log() -> EventLog:
    rows = [(f"u{i}", "open", f"2024-03-{d:02d}") for i in range(10) for d in range(1, 2 + i)]
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    extra = pd.DataFrame(
        {
            "user_id": ["u0", "u1", "u2", "u2", "u3"],
            "event": ["purchase", "purchase", "invite", "invite", "open"],
            "timestamp": ["2024-03-20", "2023-10-01", "2024-03-02", "2024-03-03", "2024-03-05"],
        }
    )
    df = pd.concat([df, extra], ignore_index=True)
    df["is_kol"] = np.where(df["user_id"] == "u3", True, None)
    df.loc[df.index[-1], "is_kol"] = False  # u3's latest value is False
    df.loc[(df["user_id"] == "u4").to_numpy(), "is_kol"] = 1
    return EventLog.from_pandas(df, tz="UTC", as_of="2024-03-31")


def test_value_tiers(tier_log: EventLog) -> None:
    res = value_tiers(tier_log, kol="is_kol", referral_event="invite", min_referrals=2)
    t = res.table
    assert t.loc["u0", "tier"] == "paying"
    assert not t.loc["u1", "paying"]  # purchase older than 90 days
    assert t.loc["u2", "tier"] == "kol"
    assert t.loc["u3", "tier"] == "ordinary"  # latest flag is False
    assert t.loc["u4", "tier"] == "kol"
    # the 30D window holds 03-01T00:00 < t <= 03-31 (03-01 itself is 30 days back, outside):
    # active days are [1, 1, 2, 4, 4, 5, 6, 7, 8, 9]; the 0.9 quantile is 8.1, only u9 is core
    assert res.core_threshold == pytest.approx(8.1)
    assert t.index[t["core"]].tolist() == ["u9"]
    assert res.counts.sum() == len(t) == 10
    tags = res.to_tags()
    assert tags.select("tier:core").tolist() == ["u9"]
    assert set(tags.select("tier:ordinary")) == {"u1", "u3", "u5", "u6", "u7", "u8"}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"core_quantile": 1.0}, r"Invalid core_quantile=1\.0"),
        ({"min_referrals": 0}, r"Invalid min_referrals=0"),
        ({"purchase_event": "buy"}, r"Unknown event name\(s\) \['buy'\]"),
        ({"kol": "is_kl"}, r"no property 'is_kl'.*'is_kol'"),
        ({"paying_within": 90}, r"Invalid paying_within=90"),
    ],
)
def test_tier_errors(tier_log: EventLog, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        value_tiers(tier_log, **kwargs)  # type: ignore[arg-type]


def test_non_boolean_kol_column() -> None:
    df = pd.DataFrame(
        {"user_id": ["a"], "event": ["open"], "timestamp": ["2024-01-01"], "kol": ["yes"]}
    )
    with pytest.raises(InvalidParameterError, match=r"kol='kol' must be a boolean"):
        value_tiers(EventLog.from_pandas(df, tz="UTC"), purchase_event="open", kol="kol")
