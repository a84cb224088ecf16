"""The operations review: log summary, growth, retention, funnel, churn, messages and RFM."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from useropslib.churn import infer_inactivity_threshold, natural_churn_rate
from useropslib.events import EventLog
from useropslib.exceptions import (
    InsufficientDataWarning,
    InvalidParameterError,
    UseropsError,
    clip,
)
from useropslib.metrics import funnel, growth_accounting, message_funnel, retention
from useropslib.report._report import Language, Report, Section, log_report
from useropslib.segments import rfm

__all__ = ["operations_report"]

_T: dict[str, dict[str, str]] = {
    "title": {"en": "User operations review", "zh": "用户运营复盘报告"},
    "growth": {"en": "Growth accounting by month (the pool)", "zh": "月度增长核算（用户池）"},
    "growth_text": {
        "en": "New and resurrected users fill the pool, churned users drain it; a quick ratio "
        "above 1 means it is filling.",
        "zh": "新增与回流用户注入用户池，流失用户流出；快速比率大于 1 表示用户池在增长。",
    },
    "retention": {"en": "Weekly retention of signup cohorts", "zh": "注册用户周留存"},
    "retention_text": {
        "en": "Share of each signup week's users active again k weeks later (first-time cohorts, "
        "calendar weeks; incomplete cells left out of the mean). The curve flattens at week {k}.",
        "zh": "各注册周用户在 k 周后再次活跃的比例（首次同期群，自然周；未完成的格子不计入均值）。"
        "留存曲线在第 {k} 周趋于平稳。",
    },
    "funnel": {"en": "Onboarding funnel", "zh": "新手引导漏斗"},
    "funnel_text": {
        "en": "Users reaching each step within {window} of the first; the biggest loss is at "
        "'{bottleneck}'.",
        "zh": "在首步后 {window} 内到达各步骤的用户；流失最多的步骤是“{bottleneck}”。",
    },
    "churn": {"en": "Churn defined from the data", "zh": "基于数据的流失定义"},
    "churn_text": {
        "en": "{k} days without activity counts as churn, chosen by the {rule} rule ({setting}); "
        "{flat}. Natural churn of complete signup cohorts: {rate}.",
        "zh": "以连续 {k} 天无活跃作为流失标准，由 {rule} 规则（{setting}）选出；{flat}。"
        "完整注册同期群的自然流失率：{rate}。",
    },
    "churn_flat": {
        "en": "beyond it the chance of coming back stops falling (the return curve flattens)",
        "zh": "沉默超过该天数后回流概率不再下降（回流曲线趋于平稳）",
    },
    "churn_not_flat": {
        "en": "the return curve does not flatten within the data, so the threshold depends on "
        "the rule",
        "zh": "回流曲线在数据范围内没有趋于平稳，因此阈值取决于所选规则",
    },
    "messages": {"en": "Recall messages by channel", "zh": "各渠道召回消息效果"},
    "rfm": {"en": "RFM segments of buyers", "zh": "购买用户 RFM 分群"},
    "users": {"en": "users", "zh": "用户数"},
}


_Tr = Callable[[str], str]


def operations_report(
    events: EventLog,
    *,
    users: pd.DataFrame | None = None,
    funnel_steps: Sequence[str] | None = None,
    funnel_window: str = "1D",
    signup_event: str | None = None,
    activity_events: Sequence[str] | None = None,
    lang: Language = "en",
) -> Report:
    """Build the operations review (复盘) of an event log.

    It starts with :func:`log_report` and adds, where the log has the data: monthly growth
    accounting, weekly retention of signup cohorts with the week where the curve flattens, an
    onboarding funnel, churn defined from the data with the natural churn rate, recall messages by
    channel, and RFM segments.  A section whose data is missing is left out, never guessed.

    Parameters
    ----------
    events : EventLog
        The log.
    users : pandas.DataFrame, optional
        One row per user, for the attribute breakdown.
    funnel_steps : sequence of str, optional
        Onboarding steps in order; the funnel section needs them.
    funnel_window : str, default "1D"
        Conversion window of the funnel.
    signup_event : str, optional
        Event that starts a retention cohort; default ``"signup"`` when the log has it.
    activity_events : sequence of str, optional
        Events that count as activity for the churn definition; default all events.
    lang : {"en", "zh"}, default "en"
        Language of titles and text.

    Returns
    -------
    Report

    Examples
    --------
    >>> import useropslib as uo
    >>> data = uo.datasets.synthetic(n_users=500, days=60, seed=3)
    >>> rep = operations_report(data.events, funnel_steps=uo.datasets.ONBOARDING_STEPS)
    >>> [s.title for s in rep.sections][:4]
    ['Overview', 'Events by name', 'Weekly activity', 'Growth accounting by month (the pool)']
    """
    base = log_report(events, users=users, lang=lang)
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

    sections = list(base.sections)
    names = set(map(str, events.event_names))
    with warnings.catch_warnings():
        # sections computed on thin data still show; the warnings belong to interactive use
        warnings.simplefilter("ignore", InsufficientDataWarning)
        sections.extend(_growth(events, t))
        start = signup_event or ("signup" if "signup" in names else None)
        sections.extend(_retention(events, start, t))
        if funnel_steps and set(funnel_steps) <= names:
            sections.extend(_funnel(events, list(funnel_steps), funnel_window, t))
        sections.extend(_churn(events, activity_events, start, t))
        if {"message_sent", "message_delivered", "message_opened", "message_clicked"} <= names:
            sections.extend(_messages(events, t))
        if events.values is not None and "purchase" in names:
            sections.extend(_rfm(events, t))
    return Report(title=t("title"), sections=tuple(sections), lang=lang)


def _growth(events: EventLog, t: _Tr) -> list[Section]:
    g = growth_accounting(events, period="month")
    table = pd.concat([g.counts, g.rates], axis=1).reset_index()
    table["period_start"] = pd.DatetimeIndex(table["period_start"]).strftime("%Y-%m")
    keep = ["period_start", "active", "new", "retained", "resurrected", "churned", "net_change"]
    keep += ["quick_ratio", "churn_rate"]
    return [Section(t("growth"), text=t("growth_text"), table=table[keep].round(3))]


def _retention(events: EventLog, start: str | None, t: _Tr) -> list[Section]:
    if start is None:
        return []
    r = retention(events, period="week", periods=8, cohort="first_time", start_event=start)
    k = r.flattening_period(tolerance=0.01)
    rates = r.rates.tail(6).copy()
    rates.index = pd.DatetimeIndex(rates.index).strftime("%Y-%m-%d")
    mean = r.mean.loc[["weighted"]].rename(index={"weighted": "mean"})
    table = pd.concat([rates, mean]).round(3)
    table.columns = [f"k={c}" for c in table.columns]
    table = table.reset_index(names="cohort")
    text = t("retention_text").format(k="-" if k is None else k)
    return [Section(t("retention"), text=text, table=table)]


def _funnel(events: EventLog, steps: list[str], window: str, t: _Tr) -> list[Section]:
    f = funnel(events, steps, window=window)
    cols = ["name", "users", "conversion_rate", "step_conversion_rate", "drop_off"]
    table = f.table[cols].round(3)
    bottleneck = "-" if f.bottleneck is None else str(f.table["name"].iloc[int(f.bottleneck)])
    text = t("funnel_text").format(window=window, bottleneck=bottleneck)
    return [Section(t("funnel"), text=text, table=table)]


def _churn(
    events: EventLog, activity: Sequence[str] | None, start: str | None, t: _Tr
) -> list[Section]:
    tol = 0.01
    try:
        th = infer_inactivity_threshold(events, activity_events=activity, tolerance=tol)
    except UseropsError:
        return []
    curve = th.curve
    with warnings.catch_warnings():  # all signups pending: the table shows "-" instead
        warnings.simplefilter("ignore", InsufficientDataWarning)
        nc = natural_churn_rate(events, silence=th.definition, signup_event=start)
    done = nc[nc["complete"]]
    rate = (
        f"{float(done['churned'].sum() / done['signups'].sum()):.1%}"
        if len(done) and done["signups"].sum() > 0
        else "-"
    )
    flat = t("churn_flat" if th.plateau_found else "churn_not_flat")
    setting = str(th.rules.loc[th.rule, "setting"])
    text = t("churn_text").format(
        k=f"{th.threshold_days:g}", rule=th.rule, setting=setting, flat=flat, rate=rate
    )
    grid = curve.reset_index() if "silent_days" not in curve.columns else curve
    cols = [
        c for c in ("silent_days", "silent", "returned", "censored", "return_rate") if c in grid
    ]
    shown = grid.iloc[np.unique(np.linspace(0, len(grid) - 1, 10).astype(int))][cols].copy()
    if "silent_days" in shown:
        shown["silent_days"] = shown["silent_days"].astype(int)
    return [Section(t("churn"), text=text, table=shown.round(4))]


def _messages(events: EventLog, t: _Tr) -> list[Section]:
    mf = message_funnel(events)
    return [Section(t("messages"), table=mf.table.reset_index().round(3))]


def _rfm(events: EventLog, t: _Tr) -> list[Section]:
    res = rfm(events)
    counts = res.counts.rename(t("users")).reset_index()
    return [Section(t("rfm"), table=counts[counts[t("users")] > 0])]
