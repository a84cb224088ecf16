"""Reports: the log summary and the operations review, in English and Chinese."""

from __future__ import annotations

import pathlib

import pandas as pd
import pytest

import useropslib as uo
from useropslib.exceptions import InvalidParameterError
from useropslib.report import log_report, operations_report


@pytest.fixture(scope="module")
def data() -> uo.datasets.SyntheticData:
    return uo.datasets.synthetic(n_users=1500, days=70, seed=11)


def test_log_report_counts_match_the_log(data: uo.datasets.SyntheticData) -> None:
    rep = log_report(data.events, users=data.users)
    overview = rep.sections[0].table
    assert overview is not None
    assert overview.iloc[0, 1] == f"{data.events.n_events:,}"
    by_name = rep.sections[1].table
    assert by_name is not None
    assert by_name["events"].sum() == data.events.n_events
    weekly = rep.sections[2].table
    assert weekly is not None
    assert weekly["new users (first event)"].sum() == data.events.n_users
    titles = [s.title for s in rep.sections]
    assert titles[-1] == "Users by attribute"


def test_operations_report_sections_and_rendering(
    data: uo.datasets.SyntheticData, tmp_path: pathlib.Path
) -> None:
    rep = operations_report(
        data.events, users=data.users, funnel_steps=uo.datasets.ONBOARDING_STEPS
    )
    titles = [s.title for s in rep.sections]
    for expected in (
        "Growth accounting by month (the pool)",
        "Weekly retention of signup cohorts",
        "Onboarding funnel",
        "Churn defined from the data",
        "Recall messages by channel",
        "RFM segments of buyers",
    ):
        assert expected in titles
    funnel = rep.sections[titles.index("Onboarding funnel")].table
    assert funnel is not None
    assert funnel["users"].is_monotonic_decreasing
    md, page = rep.write(tmp_path)
    text = pathlib.Path(md).read_text(encoding="utf-8")
    assert text.startswith("# User operations review")
    assert "| nan |" not in text
    assert "<table" in pathlib.Path(page).read_text(encoding="utf-8")


def test_chinese_report(data: uo.datasets.SyntheticData) -> None:
    rep = operations_report(data.events, lang="zh")
    md = rep.to_markdown()
    assert md.startswith("# 用户运营复盘报告")
    assert "## 月度增长核算（用户池）" in md


def test_sections_without_data_are_left_out() -> None:
    df = pd.DataFrame(
        {
            "user_id": ["a", "b", "a"],
            "event": ["open", "open", "open"],
            "timestamp": ["2024-01-01T10:00Z", "2024-01-02T10:00Z", "2024-01-09T10:00Z"],
        }
    )
    rep = operations_report(uo.EventLog.from_pandas(df), funnel_steps=["signup", "open"])
    titles = [s.title for s in rep.sections]
    assert "Onboarding funnel" not in titles
    assert "RFM segments of buyers" not in titles
    assert "Recall messages by channel" not in titles


def test_unknown_language() -> None:
    df = pd.DataFrame({"user_id": ["a"], "event": ["x"], "timestamp": ["2024-01-01T00:00Z"]})
    with pytest.raises(
        InvalidParameterError, match=r"Unsupported lang='fr'\. Expected 'en' or 'zh'"
    ):
        log_report(uo.EventLog.from_pandas(df), lang="fr")  # type: ignore[arg-type]
