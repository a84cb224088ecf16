"""Human formatting of report numbers and the Chinese names of columns, segments and states.

The Chinese terms follow docs/glossary.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = ["Language", "count", "date", "days", "header", "now", "pct", "show_table", "term"]

Language = Literal["en", "zh"]

# column headers the report shows, in the glossary's terms
_HEADERS: dict[str, str] = {
    "metric": "指标",
    "value": "数值",
    "event": "事件",
    "events": "事件数",
    "users": "用户数",
    "share of users": "用户占比",
    "week starting": "周起始日",
    "month": "月份",
    "active users": "活跃用户",
    "new users": "新增用户",
    "active": "活跃用户",
    "new": "新增",
    "retained": "留存",
    "returning": "留存",
    "resurrected": "回流",
    "resurrecting": "回流",
    "churned": "流失",
    "dormant": "沉默",
    "net change": "净变化",
    "quick ratio": "快速比率",
    "churn rate": "流失率",
    "cohort": "同期群",
    "cohort size": "同期群人数",
    "step": "步骤",
    "conversion": "转化率",
    "step conversion": "步骤转化率",
    "drop-off": "流失人数",
    "drop-off rate": "流失率",
    "days silent": "沉默天数",
    "silences": "沉默次数",
    "returned": "回流",
    "not returned": "未回流",
    "censored": "删失",
    "return rate": "回流率",
    "channel": "渠道",
    "sent": "发送",
    "delivered": "送达",
    "opened": "打开",
    "clicked": "点击",
    "delivery rate": "送达率",
    "open rate": "打开率",
    "click rate": "点击率",
    "return_rate": "回流率",
    "segment": "分群",
    "customers": "客户数",
    "share": "占比",
    "attribute": "属性",
    "level": "取值",
    "group": "分组",
    "median (days)": "中位数（天）",
    "rule": "规则",
    "setting": "设置",
    "threshold (days)": "阈值（天）",
    "found": "是否找到",
    "chosen": "是否采用",
    "signup cohort": "注册同期群",
    "signups": "注册数",
    "complete": "已完成",
    "natural churn": "自然流失率",
    "convention": "口径",
    "choice": "取值",
    "problem": "问题",
    "rows": "行数",
    "revenue": "收入",
    "mean": "均值",
    "incomplete": "未完成",
    "days": "天数",
    "at risk": "风险集人数",
    "survival": "未流失比例",
    "lower": "下限",
    "upper": "上限",
    "meaning": "说明",
}

# values that appear in cells: segment names, lifecycle states, yes/no
_TERMS: dict[str, str] = {
    "Champions": "冠军客户",
    "Loyal": "忠诚客户",
    "Loyal Customers": "忠诚客户",
    "Loyal Users": "忠诚用户",
    "Potential Loyalist": "潜在忠诚客户",
    "Potential Loyalists": "潜在忠诚客户",
    "New": "新客户",
    "New Customer": "新客户",
    "New Customers": "新客户",
    "Recent Customers": "新近客户",
    "Promising": "有潜力客户",
    "Need Attention": "需要关注",
    "Needing Attention": "需要关注",
    "About To Sleep": "即将沉睡",
    "About to Sleep": "即将沉睡",
    "At Risk": "流失风险",
    "Can't Lose Them": "不能失去的客户",
    "Cannot lose them": "不能失去的客户",
    "Hibernating": "休眠客户",
    "Lost": "已流失",
    "Others": "其他",
    "yes": "是",
    "no": "否",
    "all": "全部",
    "mean": "均值",
    "weighted mean": "加权均值",
    "plateau": "平台",
    "return_probability": "回流概率",
    "gap_percentile": "间隔分位数",
    "(none)": "（无）",
    "channel": "渠道",
    "region": "地区",
    "device": "设备",
    "sent": "发送",
    "delivered": "送达",
    "opened": "打开",
    "clicked": "点击",
    "returned": "回流",
}


def header(name: str, lang: Language) -> str:
    """Return a column header in ``lang`` (unknown headers unchanged).

    Parameters
    ----------
    name : str
        The English header.
    lang : {"en", "zh"}
        Language.

    Returns
    -------
    str

    Examples
    --------
    >>> header("active users", "zh")
    '活跃用户'
    """
    return _HEADERS.get(name, name) if lang == "zh" else name


def term(value: Any, lang: Language) -> str:
    """Return a cell value (segment name, state, yes/no) in ``lang``.

    Parameters
    ----------
    value : object
        The English value.
    lang : {"en", "zh"}
        Language.

    Returns
    -------
    str

    Examples
    --------
    >>> term("Champions", "zh")
    '冠军客户'
    """
    text = str(value)
    return _TERMS.get(text, text) if lang == "zh" else text


def _finite(x: Any) -> bool:
    try:
        return x is not None and x is not pd.NA and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def pct(x: Any, digits: int = 1) -> str:
    """Format a share in [0, 1] as a percentage (``52.3%``); ``–`` when missing.

    Parameters
    ----------
    x : float
        The share.
    digits : int, default 1
        Decimals.

    Returns
    -------
    str

    Examples
    --------
    >>> pct(0.523), pct(float("nan"))
    ('52.3%', '–')
    """
    return f"{float(x) * 100:.{digits}f}%" if _finite(x) else "–"


def count(x: Any) -> str:
    """Format a count with thousands separators (``42,844``); ``–`` when missing.

    Parameters
    ----------
    x : number
        The count.

    Returns
    -------
    str

    Examples
    --------
    >>> count(42844), count(2.5)
    ('42,844', '2.50')
    """
    if not _finite(x):
        return "–"
    v = float(x)
    if v.is_integer():
        return f"{int(v):,}"
    return f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"


def date(ts: Any, *, period: str | None = None) -> str:
    """Format a timestamp without microseconds: a date, or a date and minute when not midnight.

    Parameters
    ----------
    ts : timestamp-like
        The time.
    period : str, optional
        ``"month"`` gives ``2024-01``.

    Returns
    -------
    str

    Examples
    --------
    >>> date(pd.Timestamp("2024-01-08 00:00:00.123456+08:00"))
    '2024-01-08'
    >>> date("2024-03-05 14:07:59.5"), date("2024-03-01", period="month")
    ('2024-03-05 14:07', '2024-03')
    """
    if ts is None or ts is pd.NaT:
        return "–"
    t = pd.Timestamp(ts)
    if period == "month":
        return str(t.strftime("%Y-%m"))
    if t.hour or t.minute or t.second:
        return str(t.strftime("%Y-%m-%d %H:%M"))
    return str(t.strftime("%Y-%m-%d"))


def days(n: Any, lang: Language) -> str:
    """Format a number of days: ``7 days`` / ``7 天``.

    Parameters
    ----------
    n : float
        Days.
    lang : {"en", "zh"}
        Language.

    Returns
    -------
    str

    Examples
    --------
    >>> days(7, "en"), days(1, "en"), days(7.5, "zh")
    ('7 days', '1 day', '7.5 天')
    """
    v = float(n)
    text = f"{v:g}"
    if lang == "zh":
        return f"{text} 天"
    return f"{text} day" if v == 1 else f"{text} days"


def show_table(
    frame: pd.DataFrame,
    lang: Language,
    *,
    percent: Iterable[str] = (),
    dates: Iterable[str] = (),
    terms: Iterable[str] = (),
    money: Iterable[str] = (),
    period: str | None = None,
) -> pd.DataFrame:
    """Return a display copy of ``frame``: formatted strings, headers in ``lang``.

    Parameters
    ----------
    frame : pandas.DataFrame
        English column names.
    lang : {"en", "zh"}
        Language.
    percent : iterable of str
        Columns of shares, shown as percentages.
    dates : iterable of str
        Columns of timestamps.
    terms : iterable of str
        Columns of names to translate (segments, states).
    money : iterable of str
        Columns of amounts, shown with two decimals.
    period : str, optional
        The period of the date columns (``"month"`` shows ``2024-01``).

    Returns
    -------
    pandas.DataFrame
        All cells are strings.

    Examples
    --------
    >>> t = pd.DataFrame({"segment": ["Lost"], "users": [1234], "share": [0.25]})
    >>> show_table(t, "zh", percent=["share"], terms=["segment"])
        分群    用户数    占比
    0  已流失  1,234  25.0%
    """
    percent, dates, terms, money = set(percent), set(dates), set(terms), set(money)
    out = pd.DataFrame(index=range(len(frame)))
    for col in frame.columns:
        values = frame[col].tolist()
        name = str(col)
        if name in percent:
            cells = [pct(v) for v in values]
        elif name in dates:
            cells = [date(v, period=period) for v in values]
        elif name in money:
            cells = [f"{float(v):,.2f}" if _finite(v) else "–" for v in values]
        elif name in terms:
            cells = [term(v, lang) for v in values]
        else:
            cells = [_cell(v, lang) for v in values]
        out[header(name, lang)] = cells
    shown: pd.DataFrame = out
    return shown


def now(events: Any) -> pd.Timestamp:
    """Return the log's ``as_of`` as a Timestamp (the far future for an empty log).

    Parameters
    ----------
    events : EventLog
        The log.

    Returns
    -------
    pandas.Timestamp
    """
    # the header's property: summary() would also scan every event for counts and the span
    as_of = events.as_of
    out: pd.Timestamp = (
        pd.Timestamp(as_of) if as_of is not None else pd.Timestamp("2262-04-11", tz="UTC")
    )
    return out


def _cell(v: Any, lang: Language) -> str:
    if isinstance(v, bool | np.bool_):
        return term("yes" if v else "no", lang)
    if isinstance(v, int | float | np.integer | np.floating):
        return count(v)
    if isinstance(v, pd.Timestamp):
        return date(v)
    if v is None or v is pd.NA:
        return "–"
    return term(v, lang)
