"""The report's paths section on a small hand-checked log, in English and Chinese."""

from __future__ import annotations

import pandas as pd
import pytest

from useropslib.events import EventLog
from useropslib.report._paths import paths_sections


def frame(rows: list[tuple[str, str, str]]) -> EventLog:
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    df["timestamp"] = pd.to_datetime(df["timestamp"], format="ISO8601").dt.tz_localize("UTC")
    return EventLog.from_pandas(df)


# a: two sessions (open view buy | open), b: one (open view), c: one bounce (open)
LOG = frame(
    [
        ("a", "open", "2024-01-01 10:00"),
        ("a", "view", "2024-01-01 10:05"),
        ("a", "buy", "2024-01-01 10:06"),
        ("a", "open", "2024-01-01 12:00"),
        ("b", "open", "2024-01-01 11:00"),
        ("b", "view", "2024-01-01 11:01"),
        ("c", "open", "2024-01-02 09:00"),
    ]
)


def test_english_section_numbers() -> None:
    got = paths_sections(LOG, lang="en", chart_lang="en", charts=False)
    assert [s.key for s in got] == ["paths", "paths-lengths", "paths-transitions", "paths-top"]
    summary = got[0].text
    # 4 sessions of 3 users, 7 events; 2 of 4 sessions have one event; open -> view twice
    assert "users had 1.33 sessions each and 1.75 events per session" in summary
    assert "50.0% of sessions were bounces" in summary
    assert "open → view (2)" in summary
    assert "the median session lasted 30 s" in summary  # 0, 0, 60 s and 6 min
    flow = got[2].table
    assert flow is not None
    assert flow.iloc[0][["event", "next event", "transitions"]].tolist() == ["open", "view", "2"]
    top = got[3]  # no funnel and no key event (purchase, order ...): paths from session starts
    assert top.table is not None
    assert top.table["path"].tolist() == ["open", "open → view", "open → view → buy"]
    assert top.table["paths"].tolist() == ["2", "1", "1"]
    to_buy = paths_sections(
        LOG, lang="en", chart_lang="en", charts=False, funnel_steps=["open", "buy"]
    )[3]
    assert to_buy.table is not None
    assert to_buy.table["path"].tolist() == ["open → view → buy"]
    assert "1 of 4 sessions reach buy" in to_buy.text


def test_chinese_section_uses_the_glossary_terms() -> None:
    got = paths_sections(LOG, lang="zh", chart_lang="zh", charts=False)
    assert got[0].title == "路径与会话"
    assert got[0].table is not None
    assert list(got[0].table.columns) == [
        "周起始日", "会话数", "用户数", "人均会话数", "每会话事件数", "会话时长中位数", "跳出率",
    ]  # fmt: skip
    assert "跳出率（只有一个事件的会话占比）50.0%" in got[0].text
    assert got[1].table is not None
    assert got[1].table["会话时长"].iloc[0] == "0 秒（单一时刻）"


def test_target_is_the_funnels_last_step_else_none() -> None:
    with_funnel = paths_sections(
        LOG, lang="en", chart_lang="en", charts=False, funnel_steps=["open", "view"]
    )
    assert "How sessions reach view" in with_funnel[3].text
    no_key = frame([("a", "open", "2024-01-01 10:00"), ("a", "view", "2024-01-01 10:01")])
    plain = paths_sections(no_key, lang="en", chart_lang="en", charts=False)
    assert "the paths have no end event" in plain[3].text


def test_charts_are_drawn() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    got = paths_sections(LOG, lang="en", chart_lang="en", charts=True)
    assert len(got[1].charts) == 1
    assert len(got[2].charts) == 1
