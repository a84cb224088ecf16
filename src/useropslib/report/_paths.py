"""The report's paths section (路径与会话): sessions, top transitions with their flow, top paths.

Computed in the report pipeline from the log with :mod:`useropslib.paths`:

- sessions (30-minute inactivity timeout): sessions per user, events per session, the median
  session length and the bounce rate (one-event sessions), per week, and the distribution of
  session lengths;
- the most frequent transitions between consecutive events inside a session, with a flow chart;
- the most common session paths (first five events, repeats collapsed, PostHog's counting) and
  their conversion to a target: the funnel's last step, else a key event (``purchase``) when the
  log has one.

Every label is English or Chinese (the glossary's terms, docs/glossary.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from useropslib.events import EventLog
from useropslib.paths import session_metrics, sessions, top_paths, transitions
from useropslib.paths._query import sharing_order
from useropslib.plotting._style import Language, finish
from useropslib.report._format import count, pct, show_table
from useropslib.report._report import Chart, Section

__all__ = ["KEY_EVENTS", "paths_sections"]

#: Events tried, in order, as the target of the top paths when there is no funnel.
KEY_EVENTS = ("purchase", "order", "pay", "checkout", "subscribe", "convert")

_T: dict[str, dict[str, str]] = {
    "title": {"en": "Paths and sessions", "zh": "路径与会话"},
    "sessions": {"en": "Sessions per week", "zh": "每周会话"},
    "lengths": {"en": "Session length", "zh": "会话时长分布"},
    "flow": {"en": "Top transitions within sessions", "zh": "会话内主要转移"},
    "paths_title": {"en": "Top session paths", "zh": "主要会话路径"},
    "from": {"en": "event", "zh": "事件"},
    "to": {"en": "next event", "zh": "下一事件"},
    "summary": {
        "en": (
            "A session ends after {timeout} without an event. Over the log, users had "
            "{per_user} sessions each and {events} events per session; the median session "
            "lasted {median}, and {bounce} of sessions were bounces (a single event). The most "
            "frequent transition is {top}."
        ),
        "zh": (
            "会话在 {timeout}无事件后结束。整个日志中，人均会话数 {per_user}，每会话事件数 "
            "{events}；会话时长中位数 {median}，跳出率（只有一个事件的会话占比）{bounce}。"
            "最常见的转移是 {top}。"
        ),
    },
    "paths_text": {
        "en": (
            "How sessions reach {target}: up to {steps} events ending at the session's first "
            "{target}, repeats collapsed; a path counts once per session (PostHog's paths to an "
            "end event). {reached} of {total} sessions reach {target}."
        ),
        "zh": (
            "会话如何到达 {target}：每个会话以首次 {target} 结束的最多 {steps} 个事件，"
            "连续重复的事件合并；每条路径每个会话计一次（PostHog 的“到终点事件的路径”口径）。"
            "{total} 个会话中有 {reached} 个到达 {target}。"
        ),
    },
    "paths_no_target": {
        "en": (
            "Each session's first {steps} events, repeats collapsed; a path counts once per "
            "session (PostHog). The report has no funnel and the log no key event (purchase, "
            "order ...), so the paths have no end event."
        ),
        "zh": (
            "每个会话的前 {steps} 个事件，连续重复的事件合并；每条路径每个会话计一次"
            "（PostHog 口径）。报告没有漏斗，日志中也没有关键事件（purchase、order 等），"
            "因此路径没有终点事件。"
        ),
    },
    "no_events": {"en": "The log has no events.", "zh": "日志中没有事件。"},
}

_LENGTH_ZH = {
    "0s (one instant)": "0 秒（单一时刻）",
    "< 1 min": "不到 1 分钟",
    "1-5 min": "1-5 分钟",
    "5-15 min": "5-15 分钟",
    "15-30 min": "15-30 分钟",
    "30-60 min": "30-60 分钟",
    "1 h or more": "1 小时及以上",
}

_HEADERS_ZH = {
    "week starting": "周起始日",
    "sessions": "会话数",
    "users": "用户数",
    "sessions per user": "人均会话数",
    "events per session": "每会话事件数",
    "median length": "会话时长中位数",
    "bounce rate": "跳出率",
    "length": "会话时长",
    "share": "占比",
    "event": "事件",
    "next event": "下一事件",
    "transitions": "转移次数",
    "share of transitions": "转移占比",
    "mean time": "平均间隔",
    "path": "路径",
    "paths": "路径数",
    "conversion": "转化率",
}


def _duration(td: Any, lang: Language) -> str:
    """Write a session length in words: seconds under a minute, else minutes, else hours."""
    if td is None or pd.isna(td):
        return "–"
    s = float(pd.Timedelta(td).total_seconds())
    value, unit = (s, ("秒", "s")) if s < 60 else (s / 60, ("分钟", "min"))
    if s >= 3600:
        value, unit = s / 3600, ("小时", "h")
    shown = f"{value:.0f}" if s < 60 or float(value).is_integer() else f"{value:.1f}"
    return f"{shown} {unit[0] if lang == 'zh' else unit[1]}"


def _headers(frame: pd.DataFrame, lang: Language) -> pd.DataFrame:
    if lang != "zh":
        return frame
    out: pd.DataFrame = frame.rename(columns=lambda c: _HEADERS_ZH.get(str(c), str(c)))
    return out


def _target(events: EventLog, funnel_steps: Sequence[str] | None) -> str | None:
    names = {str(n) for n in events.event_names}
    if funnel_steps and str(funnel_steps[-1]) in names:
        return str(funnel_steps[-1])
    return next((k for k in KEY_EVENTS if k in names), None)


def paths_sections(
    events: EventLog,
    *,
    lang: Language,
    chart_lang: Language,
    charts: bool,
    funnel_steps: Sequence[str] | None = None,
    timeout: str = "30min",
    n: int = 10,
    steps: int = 5,
) -> list[Section]:
    """Return the report's paths sections: sessions, session length, transitions, top paths.

    Parameters
    ----------
    events : EventLog
        The log.
    lang : {"en", "zh"}
        Language of the text and tables.
    chart_lang : {"en", "zh"}
        Language of the charts (English when no CJK font is installed).
    charts : bool
        Draw the length bars and the transition flow.
    funnel_steps : sequence of str, optional
        The report's funnel: its last step is the target of the top paths.
    timeout : str, default "30min"
        Session timeout.
    n : int, default 10
        Rows of the transition and path tables.
    steps : int, default 5
        Events per path.

    Returns
    -------
    list of Section
        Keys ``"paths"`` (summary and weekly sessions), ``"paths-lengths"``,
        ``"paths-transitions"`` (table and flow chart) and ``"paths-top"``.

    Examples
    --------
    >>> import useropslib as uo
    >>> log, _ = uo.datasets.synthetic(n_users=200, days=30, seed=2)
    >>> [s.key for s in paths_sections(log, lang="en", chart_lang="en", charts=False)]
    ['paths', 'paths-lengths', 'paths-transitions', 'paths-top']
    """
    title = _T["title"][lang]
    if events.n_events == 0:
        return [Section(title, note=_T["no_events"][lang], key="paths")]
    split = sessions(events, timeout=timeout)  # split once: the weekly and overall figures
    sm = session_metrics(events, period="week", timeout=timeout, sessions=split)
    weekly = sm.table.reset_index()
    week_table = pd.DataFrame(
        {
            "week starting": weekly["period"],
            "sessions": weekly["sessions"],
            "users": weekly["users"],
            "sessions per user": weekly["sessions_per_user"].round(2),
            "events per session": weekly["events_per_session"].round(2),
            "median length": [_duration(v, lang) for v in weekly["median_duration"]],
            "bounce rate": weekly["bounce_rate"],
        }
    ).tail(8)
    lengths = sm.lengths.assign(
        length=[_LENGTH_ZH.get(x, x) if lang == "zh" else x for x in sm.lengths["length"]]
    )

    target = _target(events, funnel_steps)
    with sharing_order():  # one ordering and one session split for both
        tr = transitions(events, within="session", timeout=timeout)
        tp = top_paths(events, steps=steps, n=n, end=target, timeout=timeout)
    top = tr.table.head(n)
    total = int(tr.table["count"].sum())
    flow = pd.DataFrame(
        {
            "event": top["source"].astype(str),
            "next event": top["target"].astype(str),
            "transitions": top["count"],
            "share of transitions": top["count"] / max(total, 1),
            "mean time": [_duration(v, lang) for v in top["mean_time"]],
        }
    )

    paths_table = pd.DataFrame(
        {
            "path": tp.table["path"],
            "paths": tp.table["paths"],
            "users": tp.table["users"],
            "share": tp.table["share"],
        }
    )

    overall = split.summary()
    n_all = int(overall["sessions"])
    arrow = f"{top['source'].iloc[0]} → {top['target'].iloc[0]}" if len(top) else "–"
    text = _T["summary"][lang].format(
        timeout=_duration(pd.Timedelta(timeout), lang),
        per_user=f"{overall['sessions_per_user'] if n_all else 0.0:.2f}",
        events=f"{overall['events_per_session'] if n_all else 0.0:.2f}",
        median=_duration(overall["median_duration"] if n_all else None, lang),
        bounce=pct(overall["bounce_rate"] if n_all else 0.0),
        top=f"{arrow} ({count(int(top['count'].iloc[0])) if len(top) else 0})",
    )
    paths_text = (
        _T["paths_text"][lang].format(
            steps=steps, target=target, reached=count(tp.n_paths), total=count(n_all)
        )
        if target is not None
        else _T["paths_no_target"][lang].format(steps=steps)
    )

    shown_weeks = _headers(
        show_table(week_table, lang, percent=["bounce rate"], dates=["week starting"]), lang
    )
    shown_lengths = _headers(show_table(lengths, lang, percent=["share"]), lang)
    shown_flow = _headers(show_table(flow, lang, percent=["share of transitions"]), lang)
    shown_paths = _headers(show_table(paths_table, lang, percent=["share"]), lang)
    bars: tuple[Chart, ...] = ()
    drawn: tuple[Chart, ...] = ()
    if charts:
        bars = (Chart.from_axes(_length_bars(lengths, chart_lang), alt=_T["lengths"][lang]),)
        drawn = (Chart.from_axes(_flow(top, chart_lang), alt=_T["flow"][lang]),)
    sections = [
        Section(title, text=text, table=shown_weeks, key="paths"),
        Section(_T["lengths"][lang], table=shown_lengths, charts=bars, key="paths-lengths"),
        Section(_T["flow"][lang], table=shown_flow, charts=drawn, key="paths-transitions"),
    ]
    sections.append(
        Section(_T["paths_title"][lang], text=paths_text, table=shown_paths, key="paths-top")
    )
    return sections


def _length_bars(lengths: pd.DataFrame, lang: Language) -> Any:
    from useropslib.plotting import bar_chart

    s = pd.Series(lengths["share"].to_numpy(), index=lengths["length"].astype(str))
    ax = bar_chart(
        s,
        title=_T["lengths"][lang],
        ylabel=_HEADERS_ZH["share"] if lang == "zh" else "share of sessions",
    )
    ax.tick_params(axis="x", labelrotation=25)
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    return finish(ax, lang)


def _flow(top: pd.DataFrame, lang: Language) -> Any:
    from useropslib.plotting import flow_diagram

    edges = pd.DataFrame({"source": top["source"], "target": top["target"], "value": top["count"]})
    ax = flow_diagram(edges, top=len(edges), title=_T["flow"][lang])
    ax.set_xticks([0, 1], [_T["from"][lang], _T["to"][lang]])
    ax.set_xlim(-0.45, 1.45)  # room for the node labels at both ends
    out = finish(ax, lang, grid="none")
    for side in ("left", "bottom"):
        out.spines[side].set_visible(False)
    out.tick_params(axis="x", length=0)
    return out
