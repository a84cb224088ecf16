"""The operations review: activity, lifecycle, growth, retention, funnel, churn, messages, RFM.

Every sentence of the text is computed from the numbers in the section's table or chart; a
section that cannot be computed stays in the report with a note saying why.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from useropslib import plotting
from useropslib._checks import check_bool
from useropslib.churn import (
    infer_inactivity_threshold,
    kaplan_meier,
    natural_churn_rate,
    survival_frame,
)
from useropslib.events import EventLog
from useropslib.exceptions import (
    InvalidParameterError,
    UseropsError,
    UseropsWarning,
    clip,
)
from useropslib.metrics import funnel, growth_accounting, lifecycle, message_funnel, retention
from useropslib.plotting._style import check_lang, resolve_lang
from useropslib.report._format import (
    Language,
    count,
    days,
    header,
    now,
    pct,
    show_table,
    term,
)
from useropslib.report._paths import paths_sections
from useropslib.report._report import Chart, Report, Section, log_report
from useropslib.segments import rfm

__all__ = ["SECTION_KEYS", "operations_report"]

#: The sections :func:`operations_report` computes, in order (after the log summary).
SECTION_KEYS: tuple[str, ...] = (
    "lifecycle",
    "growth",
    "retention",
    "funnel",
    "churn",
    "survival",
    "messages",
    "rfm",
    "paths",
    "conventions",
)

_T: dict[str, dict[str, str]] = {
    "title": {"en": "User operations review", "zh": "用户运营复盘报告"},
    "lifecycle": {"en": "Lifecycle by week", "zh": "每周用户生命周期"},
    "lifecycle_text": {
        "en": "In the last complete week ({week}) {active} users were active: {new} new, "
        "{returning} returning and {resurrecting} resurrected; {dormant} users active the "
        "week before went dormant.",
        "zh": "最近一个完整周（{week}）共有 {active} 名活跃用户：新增 {new}，留存 {returning}，"
        "回流 {resurrecting}；上周活跃的 {dormant} 名用户本周沉默。",
    },
    "growth": {"en": "Growth accounting by month (the pool)", "zh": "月度增长核算（用户池）"},
    "growth_text": {
        "en": "New and resurrected users fill the pool, churned users drain it. In {month} the "
        "quick ratio was {qr} ({state}).",
        "zh": "新增与回流用户注入用户池，流失用户流出。{month} 的快速比率为 {qr}（{state}）。",
    },
    "filling": {"en": "above 1: the pool is filling", "zh": "大于 1：用户池在增长"},
    "draining": {"en": "below 1: the pool is draining", "zh": "小于 1：用户池在缩小"},
    "retention": {"en": "Weekly retention of signup cohorts", "zh": "注册用户周留存"},
    "retention_text": {
        "en": "Share of each signup week's users active again k weeks later (first-time "
        "cohorts, calendar weeks). The mean row is weighted by cohort size over the {n} cohorts "
        "shown, complete cells only; cells whose week has not ended are marked “…” and left out.",
        "zh": "各注册周用户在第 k 周再次活跃的比例（首次同期群，自然周）。均值行按同期群人数加权，"
        "只计所示 {n} 个同期群中已完成的格子；尚未结束的周标为“…”，不计入均值。",
    },
    "flat": {
        "en": "On the mean row the curve flattens from week {k} (the next week loses at most "
        "one percentage point): {rate} of a cohort is still active.",
        "zh": "按均值行，留存曲线从第 {k} 周起趋于平稳（下一周下降不超过 1 个百分点），"
        "此时仍有 {rate} 的用户活跃。",
    },
    "not_flat": {
        "en": "On the mean row the curve is still falling by more than one percentage point a "
        "week at the last complete week shown.",
        "zh": "按均值行，到所示最后一个完整周，留存曲线每周仍下降超过 1 个百分点，尚未平稳。",
    },
    "no_signup": {
        "en": "The log has no signup event; pass --signup-event (or signup_event=) to name the "
        "event that starts a cohort.",
        "zh": "日志中没有注册事件；请用 signup_event= 指定开始同期群的事件。",
    },
    "no_cohorts": {
        "en": "No signup cohort has a week after its first one yet: retention needs data from at "
        "least two calendar weeks.",
        "zh": "还没有哪个注册同期群经历了第二周：留存至少需要两个自然周的数据。",
    },
    "no_survival": {
        "en": "Survival to churn needs the churn definition of the section above, which could "
        "not be computed.",
        "zh": "流失生存分析需要上一节的流失定义，而它未能计算。",
    },
    "funnel": {"en": "Funnel", "zh": "漏斗"},
    "funnel_text": {
        "en": "People reaching each step within {window} of the first step: {conv} of those who "
        "started reached the last step; the biggest loss is at “{bottleneck}” ({lost} of the "
        "people who reached the step before).",
        "zh": "在首步后 {window}内到达各步骤的人数：开始者中 {conv} 到达最后一步；"
        "流失最多的是“{bottleneck}”（上一步人数的 {lost}）。",
    },
    "no_steps": {
        "en": "No funnel steps were given. Pass --steps a,b,c (or funnel_steps=) with event "
        "names in order.",
        "zh": "未指定漏斗步骤。请用 --steps a,b,c（或 funnel_steps=）按顺序给出事件名。",
    },
    "missing_steps": {
        "en": "The log has no event named {names}. Events in the log include: {known}.",
        "zh": "日志中没有名为 {names} 的事件。日志中的事件有：{known}。",
    },
    "churn": {"en": "Churn defined from the data", "zh": "基于数据的流失定义"},
    "churn_flat": {
        "en": "After {k} of silence the chance of coming back within {horizon} is {rate}, and "
        "the curve levels off there (rule: {rule}), so {k} without activity counts as churn.",
        "zh": "沉默 {k} 后，{horizon}内回流的概率为 {rate}，曲线在此趋于平稳（规则：{rule}），"
        "因此以连续 {k} 无活跃作为流失标准。",
    },
    "churn_not_flat": {
        "en": "The chance of coming back within {horizon} keeps falling over the whole range "
        "the data covers: no plateau was found. The threshold of {k} (return chance {rate}) "
        "was chosen by the {rule} rule without a flat stretch to stand on, so it depends on "
        "how long the data runs; treat it as a working definition.",
        "zh": "{horizon}内回流的概率在数据覆盖的范围内一直下降，未找到平台。{k} 的阈值"
        "（回流概率 {rate}）由“{rule}”规则选出，但曲线没有平稳段可依，"
        "阈值会随数据时长而变，只宜作为暂定定义。",
    },
    "natural": {
        "en": "Natural churn (signups never active again within {k}) of the {n} complete signup "
        "cohorts: {rate}.",
        "zh": "{n} 个完整注册同期群的自然流失率（注册后 {k} 内再无活跃）：{rate}。",
    },
    "natural_none": {
        "en": "No signup cohort is old enough yet to measure natural churn.",
        "zh": "尚无足够久的注册同期群可计算自然流失率。",
    },
    "survival": {"en": "Survival: time to churn", "zh": "生存分析：距流失的时间"},
    "survival_text": {
        "en": "Share of users not yet churned by days since their first activity (Kaplan–Meier, "
        "95% band); half of the users have churned by day {median}. Churn is dated when the "
        "silence reaches the threshold, so the curve cannot fall before day {k}.",
        "zh": "按首次活跃后的天数计，尚未流失的用户比例（Kaplan–Meier，95% 置信带）；"
        "第 {median} 天时已有一半用户流失。流失在沉默达到阈值时才计，"
        "因此曲线在第 {k} 天前不会下降。",
    },
    "survival_text_no_median": {
        "en": "Share of users not yet churned by days since their first activity (Kaplan–Meier, "
        "95% band); fewer than half have churned within the data. Churn is dated when the "
        "silence reaches the threshold, so the curve cannot fall before day {k}.",
        "zh": "按首次活跃后的天数计，尚未流失的用户比例（Kaplan–Meier，95% 置信带）；"
        "数据范围内流失的用户不到一半。流失在沉默达到阈值时才计，"
        "因此曲线在第 {k} 天前不会下降。",
    },
    "messages": {"en": "Recall messages by channel", "zh": "各渠道召回消息效果"},
    "no_messages": {
        "en": "The log has no message_sent / message_delivered / message_opened / "
        "message_clicked events.",
        "zh": "日志中没有 message_sent / message_delivered / message_opened / "
        "message_clicked 事件。",
    },
    "rfm": {"en": "RFM segments of buyers", "zh": "购买用户 RFM 分群"},
    "paths": {"en": "Paths and sessions", "zh": "路径与会话"},
    "rfm_text": {
        "en": "{n} {buyers} scored on recency, frequency and monetary value; the largest "
        "segment is “{top}” ({share}).",
        "zh": "共 {n} 名购买用户按最近消费、消费频率和消费金额打分；"
        "最大的分群是“{top}”（{share}）。",
    },
    "no_values": {
        "en": "The log has no values (pass --value-col) or no purchase event.",
        "zh": "日志中没有金额（请指定 --value-col）或没有 purchase 事件。",
    },
    "conventions": {"en": "Conventions used", "zh": "所用口径"},
    "error_lead": {"en": "", "zh": "数据不足或参数不适用（原文）："},
}

_CONVENTIONS: dict[str, list[tuple[str, str, str]]] = {
    "en": [
        ("time zone", "{tz}", "calendar days, weeks (Monday) and months are cut in this zone"),
        ("as of", "{as_of}", "events after it are ignored; later periods are incomplete"),
        (
            "retention",
            "first-time cohorts, on",
            "a user counts in the cohort of their first "
            "signup week, and in cell k when active exactly k weeks later (PostHog)",
        ),
        ("lifecycle", "first-ever event", "new = first event in the week (Amplitude)"),
        ("funnel", "ordered, furthest step", "each person once, their furthest attempt (PostHog)"),
        ("churn", "inferred silence", "the silence after which the return curve levels off"),
        ("survival", "Kaplan–Meier, log-log band", "lifelines' default interval"),
    ],
    "zh": [
        ("时区", "{tz}", "自然日、自然周（周一起）和自然月按此时区划分"),
        ("统计截止时间", "{as_of}", "之后的事件不计；未结束的周期标为未完成"),
        (
            "留存",
            "首次同期群，当期",
            "用户归入首次注册所在周的同期群，在恰好 k 周后活跃时计入第 k 格（PostHog）",
        ),
        ("生命周期", "首次事件", "新增 = 本周首次出现（Amplitude）"),
        ("漏斗", "有序，最远步骤", "每人计一次，取最远的一次尝试（PostHog）"),
        ("流失", "数据推断的沉默期", "回流曲线趋于平稳处的沉默天数"),
        ("生存分析", "Kaplan–Meier，log-log 置信带", "lifelines 的默认区间"),
    ],
}

_Tr = Callable[[str], str]
Progress = Callable[[str], None]


def operations_report(
    events: EventLog,
    *,
    users: pd.DataFrame | None = None,
    funnel_steps: Sequence[str] | None = None,
    funnel_window: str = "1D",
    signup_event: str | None = None,
    activity_events: Sequence[str] | None = None,
    lang: Language = "en",
    charts: bool = True,
    extra_sections: Sequence[Section] = (),
    progress: Progress | None = None,
) -> Report:
    """Build the operations review (复盘) of an event log, with charts.

    It starts with :func:`log_report` and adds: weekly lifecycle, monthly growth accounting,
    weekly retention of signup cohorts, the funnel of ``funnel_steps``, churn defined from the
    data with the natural churn rate, survival to churn, recall messages by channel, RFM
    segments, paths and sessions (sessions per user, session length, bounce rate, top
    transitions with their flow, top session paths to the funnel's last step),
    ``extra_sections`` (e.g. a campaign review) and the conventions used.  A section
    whose data is missing stays, with a note saying why.

    Parameters
    ----------
    events : EventLog
        The log.
    users : pandas.DataFrame, optional
        One row per user, for the attribute breakdown.
    funnel_steps : sequence of str, optional
        Funnel steps in order.
    funnel_window : str, default "1D"
        Conversion window of the funnel.
    signup_event : str, optional
        Event that starts a retention cohort; default ``"signup"`` when the log has it, else
        the first event of each user.
    activity_events : sequence of str, optional
        Events that count as activity for the churn definition; default all events.
    lang : {"en", "zh"}, default "en"
        Language of titles, text, tables and charts.
    charts : bool, default True
        Draw the charts (needs matplotlib); False gives tables and text only.
    extra_sections : sequence of Section
        Sections appended before the conventions (see :class:`Section`).
    progress : callable, optional
        Called with each section's key before it is computed (the command line draws a
        progress bar with it).

    Returns
    -------
    Report

    Raises
    ------
    InvalidParameterError
        For an unsupported language.

    Examples
    --------
    >>> import useropslib as uo
    >>> data = uo.datasets.synthetic(n_users=500, days=60, seed=3)
    >>> rep = operations_report(data.events, funnel_steps=uo.datasets.ONBOARDING_STEPS,
    ...                         charts=False)
    >>> [s.key for s in rep.sections][3:8]
    ['lifecycle', 'growth', 'retention', 'funnel', 'churn']
    """
    lang = check_lang(lang)
    charts = check_bool(charts, "charts")
    if progress is not None and not callable(progress):
        raise InvalidParameterError(
            f"Invalid progress={type(progress).__name__}. Expected a callable taking the "
            "section key, or None. Hint: progress=print."
        )
    if not isinstance(extra_sections, list | tuple) or not all(
        isinstance(s, Section) for s in extra_sections
    ):
        raise InvalidParameterError(
            f"Invalid extra_sections={type(extra_sections).__name__}. Expected a list of "
            "Section. Hint: extra_sections=campaign_sections(review)."
        )
    if charts and lang == "zh":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UseropsWarning)
            chart_lang = resolve_lang(lang)
        if chart_lang != lang:
            resolve_lang(lang)  # warn once, from here
    else:
        chart_lang = lang
    for param, value in (("funnel_steps", funnel_steps), ("activity_events", activity_events)):
        if value is not None and (
            not isinstance(value, (list, tuple))
            or not value
            or not all(isinstance(v, str) and v for v in value)
        ):
            raise InvalidParameterError(
                f"Invalid {param}={clip(repr(value))}. Expected a non-empty list of event names, "
                "or None."
            )
    if signup_event is not None and not isinstance(signup_event, str):
        raise InvalidParameterError(
            f"Invalid signup_event={clip(repr(signup_event))}. Expected an event name or None."
        )

    def t(key: str) -> str:
        return _T[key][lang]

    def step(key: str) -> None:
        if progress is not None:
            progress(key)

    base = log_report(events, users=users, lang=lang)
    sections = list(base.sections)
    names = [str(n) for n in events.event_names]
    start = signup_event or ("signup" if "signup" in names else None)
    ctx = _Ctx(events=events, lang=lang, chart_lang=chart_lang, charts=charts, t=t)
    builders: list[tuple[str, Callable[[], list[Section]]]] = [
        ("lifecycle", lambda: _lifecycle(ctx)),
        ("growth", lambda: _growth(ctx)),
        ("retention", lambda: _retention(ctx, start)),
        ("funnel", lambda: _funnel(ctx, funnel_steps, funnel_window, names)),
        ("churn", lambda: _churn(ctx, activity_events, start)),
        ("messages", lambda: _messages(ctx, names)),
        ("rfm", lambda: _rfm(ctx, names)),
        ("paths", lambda: paths_sections(events, **ctx.paths_args(funnel_steps))),
    ]
    with warnings.catch_warnings():
        # thin data still shows; its warnings belong to interactive use, the text says it
        warnings.simplefilter("ignore", UseropsWarning)
        for key, build in builders:
            step(key)
            try:
                sections.extend(build())
            except UseropsError as exc:
                sections.append(Section(t(key), note=t("error_lead") + str(exc), key=key))
                if key == "churn":
                    sections.append(Section(t("survival"), note=t("no_survival"), key="survival"))
    sections.extend(extra_sections)
    step("conventions")
    sections.append(_conventions(ctx))
    return Report(title=t("title"), sections=tuple(sections), lang=lang)


class _Ctx:
    def __init__(
        self, *, events: EventLog, lang: Language, chart_lang: Language, charts: bool, t: _Tr
    ) -> None:
        self.events, self.lang, self.chart_lang, self.charts, self.t = (
            events,
            lang,
            chart_lang,
            charts,
            t,
        )

    def paths_args(self, funnel_steps: Sequence[str] | None) -> dict[str, Any]:
        """Return the arguments of the paths section (its own module, report/_paths.py)."""
        return {
            "lang": self.lang,
            "chart_lang": self.chart_lang,
            "charts": self.charts,
            "funnel_steps": funnel_steps,
        }

    def chart(self, draw: Callable[[], Any]) -> tuple[Chart, ...]:
        if not self.charts:
            return ()
        return (Chart.from_axes(draw()),)


def _lifecycle(c: _Ctx) -> list[Section]:
    lc = lifecycle(c.events, period="week")
    counts = lc.counts
    as_of = now(c.events)
    ends = pd.DatetimeIndex(counts.index) + pd.Timedelta(days=7)
    complete = counts[np.asarray(ends <= as_of)]
    text = ""
    if len(complete):
        row = complete.iloc[-1]
        active = int(row["new"] + row["returning"] + row["resurrecting"])
        text = c.t("lifecycle_text").format(
            week=pd.Timestamp(complete.index[-1]).strftime("%Y-%m-%d"),
            active=count(active),
            new=count(row["new"]),
            returning=count(row["returning"]),
            resurrecting=count(row["resurrecting"]),
            dormant=count(abs(row["dormant"])),
        )
    table = counts.reset_index().rename(columns={counts.index.name or "index": "week starting"})
    table["incomplete"] = np.asarray(ends > as_of)
    shown = show_table(table.tail(12), c.lang, dates=["week starting"])
    charts = c.chart(
        lambda: plotting.lifecycle_bars(
            counts, incomplete=np.asarray(ends > as_of), period="week", lang=c.chart_lang
        )
    )
    return [Section(c.t("lifecycle"), text=text, table=shown, charts=charts, key="lifecycle")]


def _growth(c: _Ctx) -> list[Section]:
    g = growth_accounting(c.events, period="month")
    table = pd.concat([g.counts, g.rates], axis=1)
    table.index.name = "month"
    table = table.reset_index()
    keep = ["month", "active", "new", "retained", "resurrected", "churned", "net_change"]
    keep += ["quick_ratio", "churn_rate"]
    table = table[keep].rename(
        columns={
            "net_change": "net change",
            "quick_ratio": "quick ratio",
            "churn_rate": "churn rate",
        }
    )
    as_of = now(c.events)
    month_ends = (pd.DatetimeIndex(g.counts.index) + pd.offsets.MonthBegin(1)).to_numpy()
    incomplete = np.asarray(pd.DatetimeIndex(month_ends) > as_of)
    table["incomplete"] = incomplete
    text = ""
    qr = table["quick ratio"].to_numpy(dtype=np.float64)
    known = np.flatnonzero(np.isfinite(qr) & ~incomplete)
    if known.size:
        i = int(known[-1])
        text = c.t("growth_text").format(
            month=pd.Timestamp(table["month"].iloc[i]).strftime("%Y-%m"),
            qr=f"{qr[i]:.2f}",
            state=c.t("filling") if qr[i] >= 1 else c.t("draining"),
        )
    shown = show_table(table, c.lang, dates=["month"], percent=["churn rate"], period="month")
    charts = c.chart(
        lambda: plotting.growth_accounting_bars(
            g.counts, incomplete=incomplete, period="month", lang=c.chart_lang
        )
    )
    return [Section(c.t("growth"), text=text, table=shown, charts=charts, key="growth")]


def _flattening(curve: np.ndarray[Any, Any], tolerance: float = 0.01) -> int | None:
    """First k >= 1 where curve[k] and curve[k+1] are known and the drop is at most tolerance."""
    for k in range(1, len(curve) - 1):
        a, b = curve[k], curve[k + 1]
        if np.isfinite(a) and np.isfinite(b) and a - b <= tolerance + 1e-12:
            return k
    return None


def _retention(c: _Ctx, start: str | None, n_cohorts: int = 8) -> list[Section]:
    r = retention(c.events, period="week", periods=9, cohort="first_time", start_event=start)
    # cohorts and offsets with something to show: a count, or a cell still running
    seen = r.counts.notna().to_numpy() | r.incomplete.to_numpy(dtype=bool)
    seen[:, 0] = False
    sizes_all = r.counts[0].to_numpy(dtype="float64", na_value=0.0)
    rows = np.flatnonzero(seen.any(axis=1) & (sizes_all > 0))[-n_cohorts:]
    if rows.size == 0:
        return [Section(c.t("retention"), note=c.t("no_cohorts"), key="retention")]
    cols = [0, *np.flatnonzero(seen[rows].any(axis=0)).tolist()]
    counts = r.counts.iloc[rows, cols]
    rates = r.rates.iloc[rows, cols]
    inc = r.incomplete.iloc[rows, cols].to_numpy(dtype=bool)
    cnt = counts.to_numpy(dtype="float64", na_value=np.nan)
    size = cnt[:, 0]
    ok = ~inc & np.isfinite(cnt) & (size[:, None] > 0)
    num = np.where(ok, cnt, 0.0).sum(axis=0)
    den = np.where(ok, size[:, None], 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(den > 0, num / den, np.nan)
    k_flat = _flattening(mean)
    paragraphs = [c.t("retention_text").format(n=len(counts))]
    if start is None:
        paragraphs.insert(0, c.t("no_signup"))
    if k_flat is not None:
        paragraphs.append(c.t("flat").format(k=k_flat, rate=pct(mean[k_flat])))
    elif np.isfinite(mean[1:]).sum() >= 2:
        paragraphs.append(c.t("not_flat"))
    table = pd.DataFrame(
        {
            "cohort": [pd.Timestamp(x).strftime("%Y-%m-%d") for x in counts.index],
            "cohort size": [count(x) for x in size],
        }
    )
    for j, k in enumerate(rates.columns[1:], start=1):
        table[f"k={k}"] = ["…" if inc[i, j] else pct(rates.iloc[i, j]) for i in range(len(rates))]
    mean_row = {"cohort": term("weighted mean", c.lang), "cohort size": count(size.sum())}
    mean_row.update({f"k={k}": pct(mean[j]) for j, k in enumerate(rates.columns) if j})
    table = pd.concat([table, pd.DataFrame([mean_row])], ignore_index=True)
    shown = show_table(table, c.lang)
    charts: tuple[Chart, ...] = ()
    if c.charts:
        heat = rates.drop(columns=[0])
        incomplete = pd.DataFrame(inc[:, 1:], index=heat.index, columns=heat.columns)
        curve = pd.DataFrame({term("weighted mean", c.chart_lang): mean}, index=rates.columns)
        charts = (
            Chart.from_axes(
                plotting.retention_heatmap(
                    heat, incomplete=incomplete, sizes=size.astype(int), lang=c.chart_lang
                )
            ),
            Chart.from_axes(plotting.retention_curves(curve, lang=c.chart_lang)),
        )
    return [
        Section(
            c.t("retention"), text=tuple(paragraphs), table=shown, charts=charts, key="retention"
        )
    ]


def _funnel(c: _Ctx, steps: Sequence[str] | None, window: str, names: list[str]) -> list[Section]:
    if not steps:
        return [Section(c.t("funnel"), note=c.t("no_steps"), key="funnel")]
    missing = [s for s in steps if s not in names]
    if missing:
        note = c.t("missing_steps").format(
            names=", ".join(repr(m) for m in missing), known=", ".join(names[:12])
        )
        return [Section(c.t("funnel"), note=note, key="funnel")]
    f = funnel(c.events, list(steps), window=window)
    tab = f.table
    users = tab["users"].to_numpy(dtype=np.float64)
    prev = np.concatenate([users[:1], users[:-1]])
    table = pd.DataFrame(
        {
            "step": tab["name"].astype(str),
            "users": tab["users"],
            "conversion": tab["conversion_rate"],
            "step conversion": tab["step_conversion_rate"],
            "drop-off": (prev - users).astype(np.int64),
        }
    )
    text = ""
    if f.bottleneck is not None and users[0] > 0:
        b = int(f.bottleneck)
        text = c.t("funnel_text").format(
            window=days(pd.Timedelta(window).total_seconds() / 86400, c.lang),
            conv=pct(users[-1] / users[0]),
            bottleneck=str(tab["name"].iloc[b]),
            lost=pct((prev[b] - users[b]) / prev[b]) if prev[b] else "–",
        )
    shown = show_table(table, c.lang, percent=["conversion", "step conversion"])
    charts = c.chart(
        lambda: plotting.funnel_bars(
            list(table["step"]), users, lang=c.chart_lang, title=c.t("funnel")
        )
    )
    return [Section(c.t("funnel"), text=text, table=shown, charts=charts, key="funnel")]


def _churn(c: _Ctx, activity: Sequence[str] | None, start: str | None) -> list[Section]:
    th = infer_inactivity_threshold(c.events, activity_events=activity)
    k = days(th.threshold_days, c.lang)
    horizon_days = pd.Timedelta(str(th.params["horizon"])).total_seconds() / 86400
    plateau_found = getattr(th, "plateau_found", None)
    rule = term(getattr(th, "rule", "plateau"), c.lang)
    fields = {
        "k": k,
        "horizon": days(horizon_days, c.lang),
        "rate": pct(th.return_rate),
        "rule": rule,
    }
    paragraphs = [
        c.t("churn_flat" if plateau_found is not False else "churn_not_flat").format(**fields)
    ]
    nc = natural_churn_rate(c.events, silence=th.definition, signup_event=start)
    done = nc[nc["complete"]]
    if len(done) and done["signups"].sum() > 0:
        paragraphs.append(
            c.t("natural").format(
                k=k, n=len(done), rate=pct(done["churned"].sum() / done["signups"].sum())
            )
        )
    else:
        paragraphs.append(c.t("natural_none"))
    curve = th.curve[th.curve["usable"]]
    grid = curve.reset_index()
    pick = np.unique(np.linspace(0, len(grid) - 1, min(len(grid), 10)).astype(int))
    table = pd.DataFrame(
        {
            "days silent": grid["silent_days"].iloc[pick].to_numpy(),
            "silences": grid["silent"].iloc[pick].to_numpy(),
            "returned": grid["returned"].iloc[pick].to_numpy(),
            "censored": grid["censored"].iloc[pick].to_numpy(),
            "return rate": grid["return_rate"].iloc[pick].to_numpy(),
        }
    )
    shown = show_table(table, c.lang, percent=["return rate"])
    rules = getattr(th, "rules", None)
    if rules is not None:
        rules = rules.rename(index=lambda name: term(name, c.chart_lang))
    charts = c.chart(
        lambda: plotting.return_curve(
            curve.index,
            curve["return_rate"],
            threshold=th.threshold_days,
            plateau_found=plateau_found,
            rules=rules,
            horizon=days(horizon_days, c.chart_lang),
            lang=c.chart_lang,
        )
    )
    out = [Section(c.t("churn"), text=tuple(paragraphs), table=shown, charts=charts, key="churn")]
    out.extend(_survival(c, th.definition, th.threshold_days))
    return out


def _survival(c: _Ctx, definition: Any, threshold: float) -> list[Section]:
    try:
        frame = survival_frame(c.events, definition)
        km = kaplan_meier(frame)
    except UseropsError as exc:
        return [Section(c.t("survival"), note=str(exc), key="survival")]
    median = float(km.table["median"].iloc[0])
    text = (
        c.t("survival_text").format(median=f"{median:g}", k=f"{threshold:g}")
        if np.isfinite(median)
        else c.t("survival_text_no_median").format(k=f"{threshold:g}")
    )
    t = km.at_times[km.at_times["at_risk"] > 0] if len(km.at_times) else None
    table = None
    if t is not None:
        table = show_table(
            t[["time", "at_risk", "survival", "lower", "upper"]].rename(
                columns={"time": "days", "at_risk": "at risk"}
            ),
            c.lang,
            percent=["survival", "lower", "upper"],
        )
    charts = c.chart(lambda: plotting.survival_curves(km.survival, lang=c.chart_lang))
    return [Section(c.t("survival"), text=text, table=table, charts=charts, key="survival")]


def _messages(c: _Ctx, names: list[str]) -> list[Section]:
    needed = {"message_sent", "message_delivered", "message_opened", "message_clicked"}
    if not needed <= set(names):
        return [Section(c.t("messages"), note=c.t("no_messages"), key="messages")]
    mf = message_funnel(c.events)
    stages = [s for s in ("sent", "delivered", "opened", "clicked", "returned") if s in mf.table]
    rates = [
        r for r in ("delivery_rate", "open_rate", "click_rate", "return_rate") if r in mf.table
    ]
    tab = mf.table[stages + rates].reset_index()
    tab.columns = ["channel", *stages, *(r.replace("_", " ") for r in rates)]
    shown = show_table(tab, c.lang, percent=[r.replace("_", " ") for r in rates])
    drawn = mf.table[stages].rename(columns=lambda col: term(col, c.chart_lang))
    drawn.index.name = header("channel", c.chart_lang)
    charts = c.chart(
        lambda: plotting.grouped_bars(
            drawn, ylabel=plotting_label("users", c.chart_lang), lang=c.chart_lang
        )
    )
    return [Section(c.t("messages"), table=shown, charts=charts, key="messages")]


def plotting_label(key: str, lang: Language) -> str:
    """Return a chart label of the plotting layer in ``lang``."""
    from useropslib.plotting._style import label

    return label(key, lang)


def _rfm(c: _Ctx, names: list[str]) -> list[Section]:
    if c.events.values is None or "purchase" not in names:
        return [Section(c.t("rfm"), note=c.t("no_values"), key="rfm")]
    res = rfm(c.events)
    counts = res.counts[res.counts > 0]
    n = int(counts.sum())
    table = pd.DataFrame(
        {"segment": counts.index.astype(str), "customers": counts.to_numpy(), "share": counts / n}
    )
    text = ""
    if n:
        top = counts.idxmax()
        text = c.t("rfm_text").format(
            n=count(n),
            buyers="buyer" if n == 1 else "buyers",
            top=term(top, c.lang),
            share=pct(counts.max() / n),
        )
    shown = show_table(table, c.lang, percent=["share"], terms=["segment"])
    charts: tuple[Chart, ...] = ()
    if c.charts:
        grid = pd.crosstab(res.table["f_score"], res.table["r_score"])
        # every score on both axes, so a score nobody has shows as 0 instead of a missing row
        top_score = int(max(5, grid.index.max(), grid.columns.max()))
        scores = range(1, top_score + 1)
        grid = grid.reindex(index=scores, columns=scores, fill_value=0)
        charts = (
            Chart.from_axes(
                plotting.bars(
                    [term(s, c.chart_lang) for s in counts.index],
                    counts.to_numpy(),
                    horizontal=True,
                    xlabel=plotting_label("customers", c.chart_lang),
                    title=c.t("rfm") if c.chart_lang == c.lang else "RFM segments",
                    lang=c.chart_lang,
                )
            ),
            Chart.from_axes(plotting.rfm_grid(grid, lang=c.chart_lang)),
        )
    return [Section(c.t("rfm"), text=text, table=shown, charts=charts, key="rfm")]


def _conventions(c: _Ctx) -> Section:
    s = c.events.summary()
    from useropslib.report._format import date

    rows = [(a, b.format(tz=s.tz, as_of=date(s.as_of)), d) for a, b, d in _CONVENTIONS[c.lang]]
    cols = ["convention", "choice", "value"] if c.lang == "en" else ["口径", "取值", "说明"]
    if c.lang == "en":
        cols = ["convention", "choice", "meaning"]
    table = pd.DataFrame(rows, columns=cols)
    return Section(c.t("conventions"), table=table, key="conventions")
