"""A report: sections of text, charts and tables, rendered as Markdown or self-contained HTML.

The section API is small on purpose, so any analysis can add a part to a report:

- :class:`Chart` holds one rendered figure (PNG); :meth:`Chart.from_axes` renders any matplotlib
  axes (for example what a result's ``.plot()`` or a :mod:`useropslib.plotting` function returns).
- :class:`Section` is a title, paragraphs, charts, a table (strings, already formatted) and an
  optional ``note`` (shown when the section could not be computed, saying why).
- :meth:`Report.with_sections` returns a copy of a report with more sections appended.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import io
import os
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from useropslib.events import EventLog
from useropslib.exceptions import InvalidParameterError
from useropslib.plotting._style import check_lang
from useropslib.report._format import Language, count, date, now, show_table

__all__ = ["Chart", "Report", "Section", "log_report"]

_TEXT: dict[str, dict[str, str]] = {
    "title": {"en": "Event log report", "zh": "事件日志报告"},
    "overview": {"en": "Overview", "zh": "概览"},
    "events": {"en": "Events", "zh": "事件数"},
    "users": {"en": "Users", "zh": "用户数"},
    "event_types": {"en": "Event types", "zh": "事件类型数"},
    "first": {"en": "First event", "zh": "首个事件"},
    "last": {"en": "Last event", "zh": "最后事件"},
    "as_of": {"en": "As of", "zh": "统计截止时间"},
    "as_of_source": {"en": "({source})", "zh": "（{source}）"},
    "tz": {"en": "Time zone", "zh": "时区"},
    "top": {"en": "Events by name", "zh": "各事件数量"},
    "weekly": {"en": "Weekly activity", "zh": "每周活跃"},
    "weekly_text": {
        "en": "Active users per calendar week ({tz}); the last week ({last}) is still running "
        "on {as_of} and is marked incomplete.",
        "zh": "每个自然周（{tz}）的活跃用户；最后一周（{last}）截至 {as_of} 尚未结束，"
        "标记为未完成。",
    },
    "attributes": {"en": "Users by attribute", "zh": "用户属性分布"},
    "contents": {"en": "Contents", "zh": "目录"},
    "not_computed": {"en": "Not computed: ", "zh": "未计算："},
    "footer": {
        "en": "Written by useropslib {version}. Every number in the text is computed from the "
        "tables shown.",
        "zh": "由 useropslib {version} 生成。文中每个数字都由所示表格计算得出。",
    },
}

_CSS = """
:root{color-scheme:light}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,
"Noto Sans","Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Hiragino Sans GB",
"Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;line-height:1.5;color:#1a1a1a;
max-width:62rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.8rem;margin-bottom:.2rem}h2{font-size:1.3rem;margin-top:2.2rem;
border-bottom:1px solid #e5e5e5;padding-bottom:.2rem}
nav ol{columns:2;font-size:.95rem}
.table-wrap{max-width:100%;overflow-x:auto;margin:.6rem 0 1rem}
table{border-collapse:collapse;font-size:.9rem;font-variant-numeric:tabular-nums}
td,th{border:1px solid #d9d9d9;padding:.25rem .6rem;white-space:nowrap}
.num{text-align:right}.text{text-align:left}th{background:#f5f5f5}
td.long{white-space:normal;min-width:24rem}
figure{margin:1rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.5rem .8rem}
footer{margin-top:3rem;color:#666;font-size:.85rem}
"""


@dataclasses.dataclass(frozen=True)
class Chart:
    """One figure of a report, rendered as PNG.

    Attributes
    ----------
    png : bytes
        The image.
    alt : str
        Text alternative (what the chart shows).
    """

    png: bytes
    alt: str = ""

    @classmethod
    def from_axes(cls, ax: Any, *, alt: str = "", dpi: int = 110) -> Chart:
        r"""Render the figure holding ``ax`` to PNG and close it.

        Parameters
        ----------
        ax : matplotlib.axes.Axes
            Any axes of the figure.
        alt : str, optional
            Text alternative; default the axes' title.
        dpi : int, default 110
            Resolution.

        Returns
        -------
        Chart

        Examples
        --------
        >>> from useropslib import plotting
        >>> chart = Chart.from_axes(plotting.bars(["a"], [1], title="one bar"))
        >>> chart.png[:4], chart.alt
        (b'\x89PNG', 'one bar')
        """
        import matplotlib.pyplot as plt
        from matplotlib.layout_engine import ConstrainedLayoutEngine

        fig = ax.figure
        buf = io.BytesIO()
        # a constrained layout already fits every label and legend inside the figure: one
        # drawing pass; other figures are cropped to their contents (a second, measuring pass)
        fitted = isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches=None if fitted else "tight")
        plt.close(fig)
        return cls(png=buf.getvalue(), alt=alt or str(ax.get_title()))

    def data_uri(self) -> str:
        """Return the image as a ``data:`` URI for an ``<img>`` tag.

        Returns
        -------
        str
        """
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclasses.dataclass(frozen=True)
class Section:
    """One titled part of a report.

    Attributes
    ----------
    title : str
        Heading.
    text : str or tuple of str
        Paragraphs.
    table : pandas.DataFrame, optional
        Shown as is (format numbers first, e.g. with percentages and separators).
    charts : tuple of Chart
        Figures, shown before the table.
    note : str
        Why the section could not be computed (shown highlighted); empty when it was.
    key : str
        A stable identifier (the HTML anchor), e.g. ``"retention"``.
    """

    title: str
    text: str | tuple[str, ...] = ""
    table: pd.DataFrame | None = None
    charts: tuple[Chart, ...] = ()
    note: str = ""
    key: str = ""

    @classmethod
    def from_result(
        cls, title: str, result: Any, *, text: str = "", key: str = "", max_rows: int = 50
    ) -> Section:
        """Make a section from any useropslib result: its ``to_frame()`` and its ``plot()``.

        This is how analyses outside the operations review (a campaign review, a segment
        comparison ...) join a report: ``report.with_sections(Section.from_result(...))``.

        Parameters
        ----------
        title : str
            Heading.
        result : object
            Anything with ``to_frame()``; ``plot()`` is drawn when it exists and matplotlib is
            installed; ``to_markdown()`` or ``summary()`` text is used when ``text`` is empty.
        text : str, optional
            The section's paragraph.
        key : str, optional
            Identifier (HTML anchor).
        max_rows : int, default 50
            Rows of the table shown.

        Returns
        -------
        Section

        Examples
        --------
        >>> import useropslib as uo
        >>> data = uo.datasets.synthetic(n_users=200, days=30, seed=1)
        >>> res = uo.metrics.lifecycle(data.events, period="week")
        >>> s = Section.from_result("Lifecycle", res, key="lifecycle")
        >>> s.title, len(s.charts), list(s.table.columns)[:2]
        ('Lifecycle', 1, ['period_start', 'status'])
        """
        frame = result.to_frame() if hasattr(result, "to_frame") else None
        table = None
        if isinstance(frame, pd.DataFrame):
            table = show_table(frame.head(max_rows).reset_index(drop=True), "en")
        if not text:
            for attr in ("to_markdown", "summary"):
                fn = getattr(result, attr, None)
                if callable(fn):
                    value = fn()
                    if isinstance(value, str):
                        text = value
                        break
        charts: tuple[Chart, ...] = ()
        if callable(getattr(result, "plot", None)):
            try:
                import matplotlib  # noqa: F401
            except ImportError:
                pass
            else:
                charts = (Chart.from_axes(result.plot()),)
        return cls(title=title, text=text, table=table, charts=charts, key=key)

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """The text as a tuple of paragraphs."""
        if isinstance(self.text, str):
            return (self.text,) if self.text else ()
        return tuple(t for t in self.text if t)


@dataclasses.dataclass(frozen=True)
class Report:
    """A titled list of sections that renders to Markdown or self-contained HTML.

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

    def with_sections(self, *sections: Section) -> Report:
        """Return a copy with ``sections`` appended.

        Parameters
        ----------
        *sections : Section
            The parts to add.

        Returns
        -------
        Report

        Raises
        ------
        InvalidParameterError
            When an item is not a :class:`Section`.

        Examples
        --------
        >>> rep = Report("R", ()).with_sections(Section("Notes", text="Launched on May 1."))
        >>> [s.title for s in rep.sections]
        ['Notes']
        """
        for s in sections:
            if not isinstance(s, Section):
                raise InvalidParameterError(
                    f"Expected Section objects, got {type(s).__name__}. Hint: wrap your text, "
                    "table and charts in useropslib.report.Section(title, ...)."
                )
        return dataclasses.replace(self, sections=self.sections + tuple(sections))

    def _anchor(self, i: int, s: Section) -> str:
        return s.key or f"section-{i + 1}"

    def to_markdown(self, *, image_dir: str | None = None) -> str:
        """Render as GitHub-flavoured Markdown.

        Parameters
        ----------
        image_dir : str, optional
            A folder (relative to the Markdown file) whose ``NN-key-M.png`` files the chart links
            point to; :meth:`write` writes them.  Default: charts are left out, their alt text
            kept in italics.

        Returns
        -------
        str
        """
        out = [f"# {self.title}", ""]
        for i, s in enumerate(self.sections):
            out += [f"## {s.title}", ""]
            if s.note:
                out += [f"> **{_TEXT['not_computed'][self.lang].strip()}** {s.note}", ""]
            for p in s.paragraphs:
                out += [p, ""]
            for j, c in enumerate(s.charts):
                if image_dir is None:
                    out += [f"*{c.alt}*", ""]
                else:
                    out += [f"![{c.alt}]({image_dir}/{_image_name(i, s, j)})", ""]
            if s.table is not None:
                out += [_markdown_table(s.table), ""]
        return "\n".join(out)

    def to_html(self) -> str:
        """Render as a standalone HTML page: charts embedded as base64 PNG, no external assets.

        Returns
        -------
        str
        """
        from useropslib._version import __version__

        esc = html.escape
        parts = [
            "<!DOCTYPE html>",
            f'<html lang="{"zh-CN" if self.lang == "zh" else "en"}"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{esc(self.title)}</title>",
            f"<style>{_CSS}</style></head><body>",
            f"<h1>{esc(self.title)}</h1>",
        ]
        if len(self.sections) > 3:
            items = "".join(
                f'<li><a href="#{esc(self._anchor(i, s))}">{esc(s.title)}</a></li>'
                for i, s in enumerate(self.sections)
            )
            parts.append(f"<nav><h2>{_TEXT['contents'][self.lang]}</h2><ol>{items}</ol></nav>")
        for i, s in enumerate(self.sections):
            parts.append(
                f'<section id="{esc(self._anchor(i, s))}" data-key="{esc(s.key)}">'
                f"<h2>{esc(s.title)}</h2>"
            )
            if s.note:
                parts.append(
                    f'<p class="note"><strong>{_TEXT["not_computed"][self.lang]}</strong>'
                    f"{esc(s.note)}</p>"
                )
            parts.extend(f"<p>{esc(p)}</p>" for p in s.paragraphs)
            parts.extend(
                f'<figure><img src="{c.data_uri()}" alt="{esc(c.alt)}"></figure>' for c in s.charts
            )
            if s.table is not None:
                parts.append(f'<div class="table-wrap">{_html_table(s.table)}</div>')
            parts.append("</section>")
        footer = _TEXT["footer"][self.lang].format(version=__version__)
        parts.append(f"<footer>{esc(footer)}</footer></body></html>")
        return "\n".join(parts)

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write the report to one file: HTML for ``.html``/``.htm``, Markdown for ``.md``.

        Markdown saved this way leaves the charts out (their alt text stays); :meth:`write`
        saves them as PNG files next to it.

        Parameters
        ----------
        path : str or path-like
            The file; its folder must exist.

        Returns
        -------
        str
            The path written.

        Raises
        ------
        InvalidParameterError
            For another extension.
        OSError
            When the file cannot be written.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> rep = Report("R", (Section("Notes", text="hello"),))
        >>> path = rep.save(pathlib.Path(tempfile.mkdtemp()) / "r.html")
        >>> pathlib.Path(path).read_text(encoding="utf-8").count("hello")
        1
        """
        p = os.fspath(path)
        ext = os.path.splitext(p)[1].lower()
        if ext in (".html", ".htm"):
            text = self.to_html()
        elif ext == ".md":
            text = self.to_markdown()
        else:
            raise InvalidParameterError(
                f"Cannot tell the format of {p!r}. Expected a path ending in .html, .htm or .md."
            )
        with open(p, "w", encoding="utf-8") as fh:
            fh.write(text)
        return p

    def write(self, directory: str | os.PathLike[str], *, stem: str | None = None) -> list[str]:
        """Write ``<stem>.md``, ``<stem>.html`` and the Markdown's chart images.

        Parameters
        ----------
        directory : str or path-like
            Output folder (created if needed).
        stem : str, optional
            File name without extension; default ``"report"`` in English and ``"report.zh"``
            in Chinese, so the two languages never overwrite each other.

        Returns
        -------
        list of str
            The Markdown and HTML paths written.

        Raises
        ------
        OSError
            When the folder or a file cannot be written.
        """
        stem = stem or ("report" if self.lang == "en" else f"report.{self.lang}")
        directory = os.fspath(directory)
        os.makedirs(directory, exist_ok=True)
        image_dir = f"{stem}_files"
        if any(s.charts for s in self.sections):
            os.makedirs(os.path.join(directory, image_dir), exist_ok=True)
            for i, s in enumerate(self.sections):
                for j, c in enumerate(s.charts):
                    with open(os.path.join(directory, image_dir, _image_name(i, s, j)), "wb") as f:
                        f.write(c.png)
        md = os.path.join(directory, f"{stem}.md")
        page = os.path.join(directory, f"{stem}.html")
        with open(md, "w", encoding="utf-8") as fh:
            fh.write(self.to_markdown(image_dir=image_dir))
        with open(page, "w", encoding="utf-8") as fh:
            fh.write(self.to_html())
        return [md, page]


_NUMERIC = re.compile(r"^[\s\d,.%+\-–…]*$")


def _html_table(df: pd.DataFrame) -> str:
    """Render an HTML table: numeric-looking columns right-aligned, text columns left-aligned."""
    esc = html.escape
    cells = [[("–" if v is None else str(v)) for v in row] for row in df.itertuples(index=False)]
    numeric = [
        all(_NUMERIC.match(r[j]) for r in cells) and len(cells) > 0 for j in range(df.shape[1])
    ]
    head = "".join(
        f'<th class="{"num" if numeric[j] else "text"}">{esc(str(c))}</th>'
        for j, c in enumerate(df.columns)
    )

    def kind(j: int, v: str) -> str:
        # long text (a convention's definition) wraps inside its cell instead of widening the table
        return "num" if numeric[j] else ("text long" if len(v) > 60 else "text")

    body = "".join(
        "<tr>"
        + "".join(f'<td class="{kind(j, v)}">{esc(v)}</td>' for j, v in enumerate(r))
        + "</tr>"
        for r in cells
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


#: Largest (group x user) table of flags :func:`_seen` builds (bytes); beyond it, sort.
_SEEN_LIMIT = 256_000_000


def _seen(
    group: np.ndarray[Any, Any], n_groups: int, user: np.ndarray[Any, Any], n_users: int
) -> np.ndarray[Any, Any] | None:
    """Flag ``[g, u]`` when user ``u`` has an event in group ``g`` (None: table too big).

    One scatter into a (groups x users) boolean table: no sort of the events.
    """
    if n_groups * n_users > _SEEN_LIMIT:
        return None
    flags = np.zeros((n_groups, n_users), dtype=bool)
    flags[group, user] = True
    return flags


def _distinct(keys: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Sorted distinct values (a sort and a diff: faster than np.unique's hash on 10M keys)."""
    if keys.size == 0:
        return keys
    k = np.sort(keys)
    out: np.ndarray[Any, Any] = k[np.r_[True, k[1:] != k[:-1]]]
    return out


def _image_name(i: int, s: Section, j: int) -> str:
    return f"{i + 1:02d}-{s.key or 'section'}-{j + 1}.png"


def _markdown_table(df: pd.DataFrame) -> str:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines.extend(
        "| " + " | ".join(("–" if v is None else str(v)).replace("|", "\\|") for v in row) + " |"
        for row in df.itertuples(index=False)
    )
    return "\n".join(lines)


def log_report(
    events: EventLog,
    *,
    users: pd.DataFrame | None = None,
    lang: Language = "en",
    attributes: Sequence[str] = ("channel", "region", "device"),
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
    attributes : sequence of str
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
      week starting active users new users events incomplete
    0    2024-01-01            2         2      2         no
    1    2024-01-08            1         0      1        yes
    """  # noqa: E501
    lang = check_lang(lang)
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
    source = {"zh": {"last event": "最后事件", "given": "指定"}}.get(lang, {})
    overview = pd.DataFrame(
        {
            "metric": [
                t("events"),
                t("users"),
                t("event_types"),
                t("first"),
                t("last"),
                t("as_of"),
                t("tz"),
            ],
            "value": [
                count(s.n_events),
                count(s.n_users),
                count(s.n_event_types),
                date(s.start),
                date(s.end),
                f"{date(s.as_of)} "
                + t("as_of_source").format(source=source.get(s.as_of_source, s.as_of_source)),
                str(s.tz),
            ],
        }
    )
    sections = [Section(t("overview"), table=show_table(overview, lang), key="overview")]

    n_users_total = max(s.n_users, 1)
    n_u = max(len(events.users), 1)
    ev = events.event_codes
    seen_by_event = _seen(ev, len(events.event_names), events.user_codes, n_u)
    if seen_by_event is not None:
        users_per_event = seen_by_event.sum(axis=1)
    else:
        pair = _distinct(ev.astype(np.int64) * n_u + events.user_codes)
        users_per_event = np.bincount(pair // n_u, minlength=len(events.event_names))
    counts = s.top_events
    codes = events.event_names.get_indexer(counts.index)
    by_name = pd.DataFrame(
        {
            "event": counts.index.astype(str),
            "events": counts.to_numpy(),
            "users": users_per_event[codes],
            "share of users": users_per_event[codes] / n_users_total,
        }
    )
    sections.append(
        Section(t("top"), table=show_table(by_name, lang, percent=["share of users"]), key="events")
    )

    if s.n_events:
        wk = events.period_codes("week")
        w0 = int(wk.min())
        n_w = int(wk.max()) - w0 + 1
        wk = wk - w0  # week positions 0 .. n_w - 1 (one array for every count below)
        seen_in_week = _seen(wk, n_w, events.user_codes, n_u)
        if seen_in_week is not None:
            active = seen_in_week.sum(axis=1)
            # each user's first active week: the first True down their column
            ever = seen_in_week.any(axis=0)
            new = np.bincount(seen_in_week.argmax(axis=0)[ever], minlength=n_w)
        else:
            active_pairs = _distinct(wk * n_u + events.user_codes)
            active = np.bincount(active_pairs // n_u, minlength=n_w)
            # each user's first active week is the week of their smallest (week, user) pair
            pair_week, pair_user = active_pairs // n_u, active_pairs % n_u
            order = np.argsort(pair_user, kind="stable")  # week order kept within a user
            starts_at = np.flatnonzero(np.r_[True, np.diff(pair_user[order]) != 0])
            new = np.bincount(pair_week[order][starts_at], minlength=n_w)
        starts = events.period_starts(np.arange(w0, w0 + n_w), "week")
        ends = events.period_starts(np.arange(w0 + 1, w0 + n_w + 1), "week")
        as_of = now(events)
        weekly = pd.DataFrame(
            {
                "week starting": starts,
                "active users": active,
                "new users": new,
                "events": np.bincount(wk, minlength=n_w),
            }
        )
        money = ["revenue"]
        if events.values is not None:
            vals = events.values
            paid = np.isfinite(vals)  # events without a value count nothing
            if paid.all():
                weekly["revenue"] = np.bincount(wk, weights=vals, minlength=n_w)
            else:  # only the rows with a value: no full-length copy of the values
                weekly["revenue"] = np.bincount(wk[paid], weights=vals[paid], minlength=n_w)
        weekly["incomplete"] = np.asarray(ends > as_of, dtype=bool)
        text = ""
        if bool(weekly["incomplete"].iloc[-1]):
            text = t("weekly_text").format(tz=s.tz, last=date(starts[-1]), as_of=date(as_of))
        sections.append(
            Section(
                t("weekly"),
                text=text,
                table=show_table(weekly, lang, dates=["week starting"], money=money),
                key="weekly",
            )
        )

    if users is not None:
        rows: list[dict[str, object]] = []
        for col in attributes:
            if col in users.columns:
                vc = users[col].value_counts(dropna=False)
                rows.extend(
                    {"attribute": col, "level": str(k), "users": int(v), "share": v / len(users)}
                    for k, v in vc.items()
                )
        if rows:
            sections.append(
                Section(
                    t("attributes"),
                    table=show_table(
                        pd.DataFrame(rows), lang, percent=["share"], terms=["attribute"]
                    ),
                    key="attributes",
                )
            )
    return Report(title=t("title"), sections=tuple(sections), lang=lang)
