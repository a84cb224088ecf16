"""A report built from an event log: sections of text and tables, rendered as Markdown or HTML."""

from __future__ import annotations

import dataclasses
import html
import os
from typing import Literal

import numpy as np
import pandas as pd

from useropslib.events import EventLog
from useropslib.exceptions import InvalidParameterError

__all__ = ["Report", "Section", "log_report"]

Language = Literal["en", "zh"]

_TEXT: dict[str, dict[str, str]] = {
    "title": {"en": "Event log report", "zh": "事件日志报告"},
    "overview": {"en": "Overview", "zh": "概览"},
    "events": {"en": "Events", "zh": "事件数"},
    "users": {"en": "Users", "zh": "用户数"},
    "event_types": {"en": "Event types", "zh": "事件类型数"},
    "first": {"en": "First event", "zh": "首个事件"},
    "last": {"en": "Last event", "zh": "最后事件"},
    "as_of": {"en": "As of", "zh": "截至"},
    "tz": {"en": "Time zone", "zh": "时区"},
    "top": {"en": "Events by name", "zh": "各事件数量"},
    "name": {"en": "event", "zh": "事件"},
    "count": {"en": "events", "zh": "事件数"},
    "users_col": {"en": "users", "zh": "用户数"},
    "share": {"en": "share of users", "zh": "用户占比"},
    "weekly": {"en": "Weekly activity", "zh": "每周活跃"},
    "week": {"en": "week starting", "zh": "周起始日"},
    "active": {"en": "active users", "zh": "活跃用户"},
    "new": {"en": "new users (first event)", "zh": "新用户（首次事件）"},
    "revenue": {"en": "value", "zh": "金额"},
    "attributes": {"en": "Users by attribute", "zh": "用户属性分布"},
    "metric": {"en": "metric", "zh": "指标"},
    "value": {"en": "value", "zh": "数值"},
}


@dataclasses.dataclass(frozen=True)
class Section:
    """One titled part of a report: optional paragraph text and an optional table."""

    title: str
    text: str = ""
    table: pd.DataFrame | None = None


@dataclasses.dataclass(frozen=True)
class Report:
    """A titled list of sections that renders to Markdown or HTML.

    Attributes
    ----------
    title : str
        The report's title.
    sections : tuple of Section
        Its parts, in order.
    lang : {"en", "zh"}
        Language of the labels.
    """

    title: str
    sections: tuple[Section, ...]
    lang: Language = "en"

    def to_markdown(self) -> str:
        """Render as GitHub-flavoured Markdown.

        Returns
        -------
        str
        """
        out = [f"# {self.title}", ""]
        for s in self.sections:
            out += [f"## {s.title}", ""]
            if s.text:
                out += [s.text, ""]
            if s.table is not None:
                out += [_markdown_table(s.table), ""]
        return "\n".join(out)

    def to_html(self) -> str:
        """Render as a standalone HTML page (no external assets).

        Returns
        -------
        str
        """
        parts = [
            "<!DOCTYPE html>",
            f'<html lang="{self.lang}"><head><meta charset="utf-8">',
            f"<title>{html.escape(self.title)}</title>",
            "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
            "padding:0 1rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
            "padding:.25rem .6rem;text-align:right}th:first-child,td:first-child"
            "{text-align:left}</style></head><body>",
            f"<h1>{html.escape(self.title)}</h1>",
        ]
        for s in self.sections:
            parts.append(f"<h2>{html.escape(s.title)}</h2>")
            if s.text:
                parts.append(f"<p>{html.escape(s.text)}</p>")
            if s.table is not None:
                parts.append(s.table.to_html(index=False, border=0, na_rep=""))
        parts.append("</body></html>")
        return "\n".join(parts)

    def write(self, directory: str | os.PathLike[str], *, stem: str = "report") -> list[str]:
        """Write ``<stem>.md`` and ``<stem>.html`` into ``directory`` (created if needed).

        Parameters
        ----------
        directory : str or path-like
            Output folder.
        stem : str, default "report"
            File name without extension.

        Returns
        -------
        list of str
            The paths written.
        """
        os.makedirs(directory, exist_ok=True)
        md = os.path.join(directory, f"{stem}.md")
        page = os.path.join(directory, f"{stem}.html")
        with open(md, "w", encoding="utf-8") as fh:
            fh.write(self.to_markdown())
        with open(page, "w", encoding="utf-8") as fh:
            fh.write(self.to_html())
        return [md, page]


def _fmt(v: object) -> str:
    if isinstance(v, float | np.floating):
        if not np.isfinite(v):
            return "" if np.isnan(v) else str(v)
        return f"{v:,.3f}" if abs(float(v)) < 10 else f"{v:,.2f}"
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    return "" if v is None else str(v)


def _markdown_table(df: pd.DataFrame) -> str:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines.extend(
        "| " + " | ".join(_fmt(v).replace("|", "\\|") for v in row) + " |"
        for row in df.itertuples(index=False)
    )
    return "\n".join(lines)


def log_report(
    events: EventLog,
    *,
    users: pd.DataFrame | None = None,
    lang: Language = "en",
    attributes: tuple[str, ...] = ("channel", "region", "device"),
) -> Report:
    """Summarise an event log as a report: overview, events by name, weekly activity, user mix.

    Parameters
    ----------
    events : EventLog
        The log.
    users : pandas.DataFrame, optional
        One row per user with a ``user_id`` column; the ``attributes`` columns it has are tabulated.
    lang : {"en", "zh"}, default "en"
        Language of titles and labels.
    attributes : tuple of str
        User columns to break users down by.

    Returns
    -------
    Report

    Raises
    ------
    InvalidParameterError
        For an unsupported language.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"user_id": ["a", "b", "a"], "event": ["open", "open", "buy"],
    ...                    "timestamp": ["2024-01-01T10:00Z", "2024-01-02T10:00Z", "2024-01-09T10:00Z"]})
    >>> rep = log_report(EventLog.from_pandas(df))
    >>> rep.sections[2].table
      week starting  active users  new users (first event)  events
    0    2024-01-01             2                        2       2
    1    2024-01-08             1                        0       1
    """  # noqa: E501
    if not isinstance(lang, str) or lang not in _TEXT["title"]:
        raise InvalidParameterError(f"Unsupported lang={lang!r}. Expected 'en' or 'zh'.")
    if not isinstance(events, EventLog):
        raise InvalidParameterError(
            f"log_report takes an EventLog, got {type(events).__name__}. Hint: build one with "
            "EventLog.from_pandas(df)."
        )
    if users is not None and not isinstance(users, pd.DataFrame):
        raise InvalidParameterError(
            f"Invalid users of type {type(users).__name__}. Expected a DataFrame of user "
            "attributes, or None."
        )

    def t(key: str) -> str:
        return _TEXT[key][lang]

    s = events.summary()
    overview = pd.DataFrame(
        {
            t("metric"): [
                t("events"),
                t("users"),
                t("event_types"),
                t("first"),
                t("last"),
                t("as_of"),
                t("tz"),
            ],
            t("value"): [
                f"{s.n_events:,}",
                f"{s.n_users:,}",
                f"{s.n_event_types:,}",
                str(s.start),
                str(s.end),
                f"{s.as_of} ({s.as_of_source})",
                s.tz,
            ],
        }
    )
    sections = [Section(t("overview"), table=overview)]

    n_users_total = max(s.n_users, 1)
    ev = events.event_codes
    pair = np.unique(ev.astype(np.int64) * len(events.users) + events.user_codes)
    users_per_event = np.bincount(pair // len(events.users), minlength=len(events.event_names))
    counts = s.top_events
    codes = events.event_names.get_indexer(counts.index)
    by_name = pd.DataFrame(
        {
            t("name"): counts.index.astype(str),
            t("count"): counts.to_numpy(),
            t("users_col"): users_per_event[codes],
            t("share"): np.round(users_per_event[codes] / n_users_total, 3),
        }
    )
    sections.append(Section(t("top"), table=by_name))

    if s.n_events:
        wk = events.period_codes("week")
        w0 = int(wk.min())
        n_w = int(wk.max()) - w0 + 1
        active_pairs = np.unique((wk - w0) * len(events.users) + events.user_codes)
        active = np.bincount(active_pairs // len(events.users), minlength=n_w)
        first_week = np.full(len(events.users), np.iinfo(np.int64).max)
        np.minimum.at(first_week, events.user_codes, wk - w0)
        seen = first_week[first_week != np.iinfo(np.int64).max]
        new = np.bincount(seen, minlength=n_w)
        weekly = pd.DataFrame(
            {
                t("week"): events.period_starts(np.arange(w0, w0 + n_w), "week").strftime(
                    "%Y-%m-%d"
                ),
                t("active"): active,
                t("new"): new,
                t("count"): np.bincount(wk - w0, minlength=n_w),
            }
        )
        if events.values is not None:
            weekly[t("revenue")] = np.round(
                np.bincount(wk - w0, weights=np.nan_to_num(events.values), minlength=n_w), 2
            )
        sections.append(Section(t("weekly"), table=weekly))

    if users is not None:
        rows: list[dict[str, object]] = []
        for col in attributes:
            if col in users.columns:
                vc = users[col].value_counts(dropna=False)
                rows.extend(
                    {"attribute": col, "level": str(k), t("users_col"): int(v)}
                    for k, v in vc.items()
                )
        if rows:
            sections.append(Section(t("attributes"), table=pd.DataFrame(rows)))
    return Report(title=t("title"), sections=tuple(sections), lang=lang)
