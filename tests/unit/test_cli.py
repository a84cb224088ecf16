"""The command line: `useropslib report FILE`, `useropslib demo` and `python -m useropslib`."""

from __future__ import annotations

import io
import json
import pathlib
import subprocess
import sys

import pandas as pd
import pytest

from useropslib.cli import EXIT_CODES, _Progress, main


@pytest.fixture
def events_csv(tmp_path: pathlib.Path) -> pathlib.Path:
    rows = [
        ("a", "signup", "2024-01-01 10:00", None),
        ("a", "purchase", "2024-01-03 10:00", 9.5),
        ("b", "signup", "2024-01-02 11:00", None),
        (None, "open", "2024-01-04 10:00", None),
        ("c", "open", "notadate", None),
    ]
    path = tmp_path / "ev.csv"
    pd.DataFrame(rows, columns=["uid", "name", "ts", "amount"]).to_csv(path, index=False)
    return path


COLS = ["--user-col", "uid", "--event-col", "name", "--time-col", "ts", "--value-col", "amount"]


def test_demo_writes_the_report(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rep"
    args = ["demo", "--out", str(out), "--users", "600", "--days", "40", "--seed", "1"]
    assert main([*args, "--no-charts"]) == 0
    printed = capsys.readouterr()
    assert "EventLog:" in printed.out
    assert "Report written to:" in printed.out
    assert "\r[" not in printed.err  # no progress bar when stderr is not a terminal
    assert (out / "report.md").read_text(encoding="utf-8").startswith("# User operations review")
    assert (out / "report.html").stat().st_size > 0


def test_both_languages_do_not_overwrite_each_other(tmp_path: pathlib.Path) -> None:
    args = ["demo", "--out", str(tmp_path), "--users", "300", "--days", "30", "--no-charts"]
    assert main([*args, "--lang", "both"]) == 0
    assert "用户运营复盘报告" in (tmp_path / "report.zh.md").read_text(encoding="utf-8")
    assert "User operations review" in (tmp_path / "report.md").read_text(encoding="utf-8")
    assert (tmp_path / "report.zh.html").exists()
    assert (tmp_path / "report.html").exists()


def test_report_on_a_user_file_with_bad_rows(
    events_csv: pathlib.Path, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    base = ["report", str(events_csv), *COLS, "--tz", "Asia/Shanghai", "--out", str(out)]
    assert main([*base, "--no-charts"]) == 3
    err = capsys.readouterr().err
    assert "Rows that failed validation:" in err
    assert "uid: null_user_id: 1 of 5 rows" in err
    assert "ts: unparseable_timestamp: 1 of 5 rows (e.g. row 4=notadate)" in err
    assert "--drop-invalid" in err
    assert "Traceback" not in err
    assert main([*base, "--no-charts", "--drop-invalid", "--steps", "signup,purchase"]) == 0
    err = capsys.readouterr().err
    assert "Dropping 2 invalid row(s) (--drop-invalid)." in err
    assert (out / "report.html").exists()


def test_missing_column_names_the_option(
    events_csv: pathlib.Path, capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    out = tmp_path / "never"
    assert main(["report", str(events_csv), "--quiet", "--out", str(out)]) == 3
    assert not out.exists()  # a failed run leaves no empty folder behind
    err = capsys.readouterr().err
    assert "did you mean 'uid'? pass user_col='uid'" in err
    assert "--drop-invalid" not in err


def test_naive_times_need_tz(events_csv: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(events_csv), *COLS, "--out", str(events_csv.parent / "o")]) == 3
    assert "naive_timestamp" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("nope.csv", None, "No such file"),
        ("ev.xlsx", b"x", "Cannot tell the format"),
        ("bad.jsonl", b"{not json\n", "Cannot read"),
    ],
)
def test_unreadable_files_exit_3(
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: bytes | None,
    message: str,
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    assert main(["report", str(path), "--out", str(tmp_path / "o")]) == 3
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_json_lines_and_parquet_inputs(tmp_path: pathlib.Path) -> None:
    df = pd.DataFrame(
        {
            "user_id": ["a", "a", "b"],
            "event": ["signup", "open", "signup"],
            "timestamp": ["2024-01-01T10:00Z", "2024-01-09T10:00Z", "2024-01-02T10:00Z"],
        }
    )
    jl = tmp_path / "ev.jsonl"
    jl.write_text("\n".join(json.dumps(r) for r in df.to_dict("records")), encoding="utf-8")
    assert main(["report", str(jl), "--out", str(tmp_path / "j"), "--no-charts"]) == 0
    pytest.importorskip("pyarrow")
    pq = tmp_path / "ev.parquet"
    df.to_parquet(pq)
    assert main(["report", str(pq), "--out", str(tmp_path / "p"), "--no-charts"]) == 0


def test_unwritable_out_exits_4(
    events_csv: pathlib.Path, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    assert main(["report", str(events_csv), "--out", str(blocker / "sub")]) == 4
    err = capsys.readouterr().err
    assert "Cannot create the output folder" in err
    assert "Traceback" not in err


def test_campaign_review_section(tmp_path: pathlib.Path) -> None:
    pytest.importorskip("pyarrow")
    import useropslib as uo

    data = uo.datasets.synthetic_campaign(n_users=2000, lift=0.5, seed=1)
    events = tmp_path / "events.parquet"
    data.log.to_pandas().to_parquet(events)
    plan = tmp_path / "plan.json"
    plan.write_text(data.campaign.model_dump_json(), encoding="utf-8")
    out = tmp_path / "out"
    argv = ["report", str(events), "--campaign", str(plan), "--out", str(out), "--no-charts"]
    assert main([*argv, "--lang", "both"]) == 0
    assert "## Campaign review: " in (out / "report.md").read_text(encoding="utf-8")
    zh = (out / "report.zh.md").read_text(encoding="utf-8")
    assert "## 活动复盘：" in zh
    assert "| 目标 | 角色 | 提升 | 区间下限 | 区间上限 | p 值 | 校正后 p 值 | 胜出概率 |" in zh
    assert "**" not in zh.split("## 活动复盘", 1)[1]  # Markdown emphasis is not shown raw


def test_bad_campaign_file_exits_3(
    events_csv: pathlib.Path, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text('{"name": 1}', encoding="utf-8")
    argv = [
        "report", str(events_csv), *COLS, "--tz", "UTC", "--drop-invalid",
        "--campaign", str(plan), "--out", str(tmp_path / "o"),
    ]  # fmt: skip
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert "is not a valid campaign" in err
    assert "Traceback" not in err
    missing = [*argv[:-4], "--campaign", str(tmp_path / "none.json"), "--out", str(tmp_path)]
    assert main(missing) == 3
    assert "Cannot read the campaign file" in capsys.readouterr().err


def test_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--users", "0"]) == 2
    assert "--users: expected at least 1, got 0" in capsys.readouterr().err
    assert main(["report", "x.csv", "--lang", "fr"]) == 2
    assert main([]) == 2
    assert set(EXIT_CODES) == {0, 1, 2, 3, 4, 5, 130}


def test_a_tiny_log_still_reports(tmp_path: pathlib.Path) -> None:
    argv = ["demo", "--days", "3", "--users", "50", "--out", str(tmp_path), "--no-charts"]
    assert main(argv) == 0
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "flattens at week -" not in md
    assert "> **Not computed:** " in md


def test_progress_bar_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    bar = _Progress(stream, 4, enabled=True)
    bar("read")
    bar("summary")
    bar.close()
    text = stream.getvalue()
    assert "\r[############------------] 2/4 summary" in text
    quiet = io.StringIO()
    _Progress(quiet, 4, enabled=False)("read")
    assert quiet.getvalue() == ""


def test_python_dash_m() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "useropslib", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.startswith("useropslib ")


def test_campaign_file_with_broken_json_exits_3(
    events_csv: pathlib.Path, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text('{"id": "x", "name": ', encoding="utf-8")
    argv = [
        "report", str(events_csv), *COLS, "--tz", "UTC", "--drop-invalid",
        "--campaign", str(plan), "--out", str(tmp_path / "o"),
    ]  # fmt: skip
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert (
        f"The campaign file {str(plan)!r} is not a valid campaign: it is not valid JSON "
        "(EOF while parsing a value at line 1 column 20)." in err
    )
    assert "Traceback" not in err
    assert "errors.pydantic.dev" not in err
    plan.write_text('{"name": 1}', encoding="utf-8")
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert "is not a valid campaign: 4 problem(s):\n  - id: Field required\n" in err
    assert "Hint: Campaign.model_json_schema() gives the expected fields" in err
    plan.write_bytes(b"\xff\xfe{")
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert "Hint: save the file as UTF-8 JSON." in err
    assert "Traceback" not in err


def test_campaign_review_before_launch_exits_1(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import useropslib as uo

    data = uo.datasets.synthetic_campaign(n_users=600, lift=0.5, seed=1)
    events = tmp_path / "events.csv"
    data.log.to_pandas().to_csv(events, index=False)
    plan = tmp_path / "plan.json"
    plan.write_text(data.campaign.model_dump_json(), encoding="utf-8")
    argv = [
        "report", str(events), "--campaign", str(plan), "--as-of", "2024-03-10",
        "--drop-invalid", "--out", str(tmp_path / "o"), "--no-charts", "--quiet",
    ]  # fmt: skip
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "is before the campaign's launch" in err
    assert "Traceback" not in err


# the demo: reading and its campaign review once, then 11 report steps per language
@pytest.mark.parametrize(("lang", "total"), [("en", 13), ("both", 24)])
def test_progress_bar_ends_full(
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    lang: str,
    total: int,
) -> None:
    monkeypatch.setattr("useropslib.cli._tty", lambda stream, args: not args.quiet)
    args = ["demo", "--users", "300", "--days", "30", "--no-charts", "--lang", lang]
    assert main([*args, "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert f"] {total}/{total} write" in err
    assert f"{total + 1}/" not in err


def test_timings_lists_every_step(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["demo", "--users", "300", "--days", "30", "--no-charts", "--quiet", "--timings"]
    assert main([*args, "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert "\r[" not in err  # timings without the bar
    lines = err.split("step timings (seconds):\n", 1)[1].splitlines()
    names = [line.split()[0] for line in lines[1:]]
    assert names == [
        "read",
        "campaign",
        "summary",
        "lifecycle",
        "growth",
        "retention",
        "funnel",
        "churn",
        "messages",
        "rfm",
        "paths",
        "conventions",
        "write",
        "total",
    ]
    walls = [float(line.split()[1]) for line in lines[1:]]
    assert walls[-1] == pytest.approx(sum(walls[:-1]), abs=0.06)


def test_parquet_ids_read_as_arrow_strings_give_the_same_report(tmp_path: pathlib.Path) -> None:
    from useropslib import EventLog
    from useropslib.cli import _read_frame
    from useropslib.datasets import ONBOARDING_STEPS, synthetic_frame
    from useropslib.report import operations_report

    path = tmp_path / "ev.parquet"
    synthetic_frame(n_users=400, days=40, seed=2).to_parquet(path, index=False)
    fast = _read_frame(str(path), ("user_id", "event"))
    assert str(fast["user_id"].dtype) == "string"
    plain = pd.read_parquet(path)
    assert list(fast.columns) == list(plain.columns)
    assert fast["channel"].dtype == plain["channel"].dtype  # other columns as pandas reads them
    a = EventLog.from_pandas(plain, value_col="value")
    b = EventLog.from_pandas(fast, value_col="value")
    assert a.equals(b)
    for lang in ("en", "zh"):
        reports = [
            operations_report(
                log, funnel_steps=list(ONBOARDING_STEPS), charts=False, lang=lang
            ).to_markdown()
            for log in (a, b)
        ]
        assert reports[0] == reports[1]


def test_demo_says_why_its_campaign_review_is_missing() -> None:
    from useropslib.cli import _demo_sections

    (en,) = _demo_sections("the log ends before the launch.", "en")
    assert (
        en.text
        == "The synthetic message campaign cannot be reviewed: the log ends before the launch."
    )
    (zh,) = _demo_sections("the log ends before the launch.", "zh")
    assert zh.title == "活动复盘"
    assert zh.text.startswith("无法复盘合成数据中的消息活动：")
