"""Reports: the log summary and the operations review, in English and Chinese."""

from __future__ import annotations

import pathlib
import re

import pandas as pd
import pytest

import useropslib as uo
from useropslib.exceptions import InvalidParameterError
from useropslib.report import Chart, Report, Section, log_report, operations_report

# English headers the report can show; none may appear untranslated in the Chinese report
KNOWN_HEADERS = (
    "metric", "value", "event", "events", "users", "share of users", "week starting",
    "active users", "new users", "incomplete", "month", "active", "new", "retained",
    "resurrected", "churned", "net change", "quick ratio", "churn rate", "cohort",
    "cohort size", "step", "conversion", "step conversion", "drop-off", "days silent",
    "silences", "returned", "censored", "return rate", "days", "at risk", "survival", "lower",
    "upper", "channel", "sent", "delivered", "opened", "clicked", "delivery rate", "open rate",
    "click rate", "segment", "customers", "share", "attribute", "level", "convention",
    "choice", "meaning", "revenue", "returning", "resurrecting", "dormant",
)  # fmt: skip


def _int(cell: str) -> int:
    return int(cell.replace(",", ""))


@pytest.fixture(scope="module")
def data() -> uo.datasets.SyntheticData:
    return uo.datasets.synthetic(n_users=1500, days=70, seed=11)


@pytest.fixture(scope="module")
def report_en(data: uo.datasets.SyntheticData) -> Report:
    return operations_report(
        data.events, users=data.users, funnel_steps=uo.datasets.ONBOARDING_STEPS, charts=False
    )


def test_log_report_counts_match_the_log(data: uo.datasets.SyntheticData) -> None:
    rep = log_report(data.events, users=data.users)
    overview = rep.sections[0].table
    assert overview is not None
    assert overview.iloc[0, 1] == f"{data.events.n_events:,}"
    by_name = rep.sections[1].table
    assert by_name is not None
    assert sum(map(_int, by_name["events"])) == data.events.n_events
    assert all(re.fullmatch(r"\d+\.\d%", c) for c in by_name["share of users"])
    weekly = rep.sections[2].table
    assert weekly is not None
    assert sum(map(_int, weekly["new users"])) == data.events.n_users
    # the week holding as_of is still running and says so
    assert weekly["incomplete"].tolist()[-1] == "yes"
    assert set(weekly["incomplete"].tolist()[:-1]) == {"no"}
    assert "still running" in rep.sections[2].paragraphs[0]
    # no microseconds anywhere
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", rep.to_markdown())
    assert rep.sections[-1].title == "Users by attribute"


def _hand_log() -> uo.EventLog:
    rows = [
        ("a", "signup", "2024-01-01 10:00"),
        ("a", "open", "2024-01-09 10:00"),  # k=1 for the 01-01 cohort
        ("b", "signup", "2024-01-02 10:00"),
        ("c", "signup", "2024-01-08 10:00"),
        ("c", "open", "2024-01-16 10:00"),  # k=1 for the 01-08 cohort
        ("d", "signup", "2024-01-15 10:00"),
        ("x", "open", "2024-01-24 10:00"),  # as_of: the week of 01-22 is running
    ]
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    return uo.EventLog.from_pandas(df, tz="UTC")


def test_retention_mean_is_over_the_cohorts_shown_and_incomplete_cells_are_marked() -> None:
    rep = operations_report(_hand_log(), charts=False)
    sec = next(s for s in rep.sections if s.key == "retention")
    t = sec.table
    assert t is not None
    assert t["cohort"].tolist() == ["2024-01-01", "2024-01-08", "2024-01-15", "weighted mean"]
    assert t["cohort size"].tolist() == ["2", "1", "1", "4"]
    # 01-15's week 1 (the week of 01-22) has not ended: marked, not shown as a drop
    assert t["k=1"].tolist() == ["50.0%", "100.0%", "…", "66.7%"]  # (1 + 1) / (2 + 1)
    assert t["k=2"].tolist() == ["0.0%", "…", "–", "0.0%"]
    assert "over the 3 cohorts shown" in sec.paragraphs[0]


def test_sections_that_cannot_be_computed_say_why() -> None:
    rep = operations_report(_hand_log(), funnel_steps=["signup", "buy"], charts=False)
    notes = {s.key: s.note for s in rep.sections}
    assert "no event named 'buy'" in notes["funnel"]
    assert "message_sent" in notes["messages"]
    assert "--value-col" in notes["rfm"]
    assert notes["churn"]  # 23 days of data cannot give a 30-day return curve
    assert "churn definition" in notes["survival"]
    md = rep.to_markdown()
    assert md.count("> **Not computed:** ") == 5


def test_operations_report_sections_and_rendering(
    report_en: Report, tmp_path: pathlib.Path
) -> None:
    keys = [s.key for s in report_en.sections]
    for expected in ("lifecycle", "growth", "retention", "funnel", "churn", "survival"):
        assert expected in keys
        assert not report_en.sections[keys.index(expected)].note
    assert keys[-1] == "conventions"
    funnel = report_en.sections[keys.index("funnel")].table
    assert funnel is not None
    users = [_int(u) for u in funnel["users"]]
    assert users == sorted(users, reverse=True)
    text = report_en.sections[keys.index("funnel")].paragraphs[0]
    assert f"{users[-1] / users[0]:.1%}" in text  # the conversion the text quotes is the table's
    md, page = report_en.write(tmp_path)
    assert pathlib.Path(md).name == "report.md"
    body = pathlib.Path(md).read_text(encoding="utf-8")
    assert body.startswith("# User operations review")
    assert "nan" not in body.lower().replace("nanosecond", "")
    html = pathlib.Path(page).read_text(encoding="utf-8")
    assert '<div class="table-wrap"><table>' in html
    assert "Noto Sans CJK SC" in html


def test_churn_text_follows_the_threshold_result(report_en: Report) -> None:
    sec = next(s for s in report_en.sections if s.key == "churn")
    first = sec.paragraphs[0]
    assert ("levels off" in first) or ("no plateau was found" in first)
    assert "stops falling" not in first
    assert re.search(r"\d+ days", first)


def test_charts_are_embedded(data: uo.datasets.SyntheticData) -> None:
    pytest.importorskip("matplotlib")
    rep = operations_report(data.events, funnel_steps=uo.datasets.ONBOARDING_STEPS)
    charts = {s.key: len(s.charts) for s in rep.sections}
    assert charts["lifecycle"] == 1
    assert charts["retention"] == 2
    assert charts["funnel"] == 1
    html = rep.to_html()
    assert html.count('<img src="data:image/png;base64,') == sum(charts.values())


def test_chinese_report_translates_every_known_header(data: uo.datasets.SyntheticData) -> None:
    rep = operations_report(
        data.events,
        users=data.users,
        funnel_steps=uo.datasets.ONBOARDING_STEPS,
        lang="zh",
        charts=False,
    )
    assert rep.to_markdown().startswith("# 用户运营复盘报告")
    headers = set(re.findall(r"<th[^>]*>([^<]*)</th>", rep.to_html()))
    assert headers
    assert not headers & set(KNOWN_HEADERS)
    rfm = next(s for s in rep.sections if s.key == "rfm").table
    assert rfm is not None
    assert "已流失" in set(rfm["分群"]) | {"已流失"}
    assert not set(rfm["分群"]) & {"Champions", "Lost", "Hibernating", "At Risk"}


def test_report_save_and_sections(tmp_path: pathlib.Path) -> None:
    rep = Report("R", (Section("A", text=("one", "two")),), lang="zh")
    rep = rep.with_sections(Section("B", note="no data"))
    assert rep.save(tmp_path / "r.html").endswith("r.html")
    assert "<p>two</p>" in (tmp_path / "r.html").read_text(encoding="utf-8")
    rep.save(tmp_path / "r.md")
    assert "**未计算：** no data" in (tmp_path / "r.md").read_text(encoding="utf-8")
    assert rep.write(tmp_path)[1].endswith("report.zh.html")
    with pytest.raises(InvalidParameterError, match=r"Expected a path ending in \.html"):
        rep.save(tmp_path / "r.pdf")
    with pytest.raises(InvalidParameterError, match="Expected Section objects, got str"):
        rep.with_sections("text")  # type: ignore[arg-type]


def test_chart_from_axes_and_section_from_result() -> None:
    pytest.importorskip("matplotlib")
    from useropslib import plotting

    chart = Chart.from_axes(plotting.bars(["a"], [1.0], title="t"))
    assert chart.png.startswith(b"\x89PNG")
    assert chart.alt == "t"
    res = uo.metrics.lifecycle(_hand_log(), period="week")
    sec = Section.from_result("Lifecycle", res)
    assert sec.table is not None
    assert len(sec.charts) == 1


def test_unknown_language() -> None:
    df = pd.DataFrame({"user_id": ["a"], "event": ["x"], "timestamp": ["2024-01-01T00:00Z"]})
    with pytest.raises(
        InvalidParameterError, match=r"Unsupported lang='fr'\. Expected 'en' \(English\) or 'zh'"
    ):
        log_report(uo.EventLog.from_pandas(df), lang="fr")  # type: ignore[arg-type]
