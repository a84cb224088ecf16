"""The one style every chart shares: axes creation, colours, bilingual labels, CJK fonts.

matplotlib is optional (the ``plot`` extra) and imported only when a chart is drawn, so importing
useropslib never loads it.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np

from useropslib._results import axes_or_new, require_matplotlib
from useropslib.exceptions import InvalidParameterError, MissingFontWarning, clip

__all__ = [
    "CJK_FONTS",
    "COLORS",
    "Language",
    "axes_or_new",
    "check_frame",
    "check_labels",
    "check_lang",
    "check_number",
    "check_numbers",
    "check_position",
    "check_sequence",
    "check_series",
    "check_text",
    "cjk_font",
    "date_ticks",
    "finish",
    "label",
    "percent_axis",
    "resolve_lang",
]

Language = Literal["en", "zh"]

#: CJK font families looked for, best first (Noto/Source Han on Linux, the system fonts of macOS
#: and Windows, WenQuanYi and Droid as older Linux fallbacks).
CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "Microsoft YaHei",
    "SimHei",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)

#: One colour per meaning, the same in every chart (matplotlib's tab10 hues).
COLORS: dict[str, str] = {
    "main": "#1f77b4",
    "new": "#1f77b4",
    "returning": "#2ca02c",
    "retained": "#2ca02c",
    "resurrecting": "#ff7f0e",
    "resurrected": "#ff7f0e",
    "dormant": "#d62728",
    "churned": "#d62728",
    "net": "#222222",
    "threshold": "#d62728",
    "reference": "#7f7f7f",
    "muted": "#b0b0b0",
}

# Labels drawn by the charts, in the glossary's terms (docs/glossary.md).
_LABELS: dict[str, dict[str, str]] = {
    "users": {"en": "users", "zh": "用户数"},
    "people": {"en": "people", "zh": "人数"},
    "customers": {"en": "customers", "zh": "客户数"},
    "new": {"en": "new", "zh": "新增"},
    "returning": {"en": "returning", "zh": "留存"},
    "resurrecting": {"en": "resurrecting", "zh": "回流"},
    "resurrected": {"en": "resurrected", "zh": "回流"},
    "dormant": {"en": "dormant", "zh": "沉默"},
    "churned": {"en": "churned", "zh": "流失"},
    "retained": {"en": "retained", "zh": "留存"},
    "net_change": {"en": "net change", "zh": "净变化"},
    "lifecycle": {"en": "Lifecycle", "zh": "用户生命周期"},
    "growth": {"en": "Growth accounting (the pool)", "zh": "增长核算（用户池）"},
    "period_start": {"en": "{period} starting", "zh": "{period}起始日"},
    "day": {"en": "day", "zh": "日"},
    "week": {"en": "week", "zh": "周"},
    "month": {"en": "month", "zh": "月"},
    "hour": {"en": "hour", "zh": "小时"},
    "cohort": {"en": "cohort", "zh": "同期群"},
    "retention": {"en": "Retention", "zh": "留存"},
    "retention_heatmap": {"en": "Retention by cohort", "zh": "各同期群留存"},
    "retained_share": {"en": "retained share", "zh": "留存率"},
    "k_after": {"en": "{period}s after joining (k)", "zh": "加入后第 k {period}"},
    "incomplete": {"en": "incomplete", "zh": "未完成"},
    "funnel": {"en": "Funnel", "zh": "漏斗"},
    "drop_off": {"en": "drop-off", "zh": "流失"},
    "return_curve": {"en": "Chance of returning after a silence", "zh": "沉默后回流的概率"},
    "days_silent": {"en": "days silent (k)", "zh": "沉默天数 (k)"},
    "p_return": {"en": "P(return within {horizon})", "zh": "{horizon} 内回流的概率"},
    "threshold": {"en": "churn threshold: {k} days", "zh": "流失阈值：{k} 天"},
    "no_plateau": {"en": " (no plateau)", "zh": "（未见平台）"},
    "survival": {"en": "Survival (Kaplan–Meier)", "zh": "生存曲线（Kaplan–Meier）"},
    "s_t": {"en": "share not yet churned S(t)", "zh": "未流失比例 S(t)"},
    "days": {"en": "days", "zh": "天"},
    "at_risk": {"en": "at risk", "zh": "风险集人数"},
    "hazard_ratio": {"en": "hazard ratio ({ci} CI)", "zh": "风险比（{ci} 置信区间）"},
    "drivers": {"en": "Churn drivers", "zh": "流失驱动因素"},
    "calibration": {"en": "Calibration", "zh": "校准"},
    "perfect": {"en": "perfect", "zh": "理想"},
    "model": {"en": "model", "zh": "模型"},
    "predicted_p": {"en": "predicted churn probability", "zh": "预测流失概率"},
    "observed_rate": {"en": "observed churn rate", "zh": "实际流失率"},
    "rfm_grid": {"en": "RFM grid: customers", "zh": "RFM 网格：客户数"},
    "r_score": {"en": "recency score (R)", "zh": "最近消费得分 (R)"},
    "f_score": {"en": "frequency score (F)", "zh": "消费频率得分 (F)"},
    "fr_matrix": {
        "en": "Expected purchases in the next {t} (BG/NBD)",
        "zh": "未来 {t} 的预期购买次数（BG/NBD）",
    },
    "frequency": {"en": "frequency (repeat purchases)", "zh": "频次（重复购买次数）"},
    "recency": {"en": "recency (age at last purchase)", "zh": "最近购买时的客户年龄"},
    "purchases_calibration": {
        "en": "Holdout purchases: actual vs model",
        "zh": "验证期购买次数：实际与模型",
    },
    "calibration_purchases": {
        "en": "purchases in the calibration period",
        "zh": "校准期购买次数",
    },
    "holdout_purchases": {"en": "mean purchases in the holdout period", "zh": "验证期平均购买次数"},
    "actual": {"en": "actual", "zh": "实际"},
    "activity": {"en": "Active users", "zh": "活跃用户"},
    "active_users": {"en": "active users", "zh": "活跃用户"},
    "revenue": {"en": "revenue", "zh": "收入"},
    "arpu": {"en": "ARPU", "zh": "ARPU"},
    "revenue_title": {"en": "Revenue and ARPU", "zh": "收入与 ARPU"},
    "ltv": {"en": "cumulative revenue per user", "zh": "人均累计收入"},
    "ltv_title": {"en": "LTV curve", "zh": "LTV 曲线"},
    "since_acq": {"en": "{period}s since acquisition", "zh": "获客后{period}数"},
    "mean": {"en": "mean", "zh": "均值"},
    "payback": {"en": "CAC payback", "zh": "获客成本回收"},
    "entered": {"en": "entered", "zh": "进入"},
    "left": {"en": "left", "zh": "离开"},
    "size": {"en": "size", "zh": "人数"},
}

_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def check_lang(lang: Any) -> Language:
    """Return ``lang`` when it is ``"en"`` or ``"zh"``, else raise.

    Parameters
    ----------
    lang : object
        The requested language.

    Returns
    -------
    {"en", "zh"}

    Raises
    ------
    InvalidParameterError
        For any other value.
    """
    if not (isinstance(lang, str) and lang in ("en", "zh")):
        raise InvalidParameterError(
            f"Unsupported lang={lang!r}. Expected 'en' (English) or 'zh' (Chinese)."
        )
    return "zh" if lang == "zh" else "en"


def _shown(value: Any) -> str:
    return f"{clip(repr(value))} ({type(value).__name__})"


def check_frame(
    frame: Any, name: str, columns: Sequence[str] | None, *, present: Sequence[str] = ()
) -> Any:
    """Return ``frame`` when it is a DataFrame holding numeric ``columns``, else raise.

    The one check the charts drawn from plain frames share, so a wrong frame reads the same
    in every chart.

    Parameters
    ----------
    frame : object
        What the caller gave.
    name : str
        The parameter, for the message.
    columns : sequence of str or None
        The columns the chart draws; each must exist and hold numbers.  None: the chart draws
        every column, so there must be at least one and every one must hold numbers.
    present : sequence of str, default ()
        Columns that must exist, of any type (group labels, step names).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    InvalidParameterError
        For anything but a DataFrame, a missing column (with a did-you-mean hint) or a column
        that does not hold numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> check_frame(pd.DataFrame({"att": [0.1]}), "frame", ["att"]).shape
    (1, 1)
    """
    import pandas as pd

    from useropslib._checks import unknown_name_hint

    if not isinstance(frame, pd.DataFrame):
        cols = f" with columns {list(columns)}" if columns else ""
        raise InvalidParameterError(
            f"Invalid {name}={_shown(frame)}. Expected a pandas DataFrame{cols}. "
            "Hint: pass the table of the result (its .to_frame() or the documented attribute)."
        )
    if columns is None:
        if frame.shape[1] == 0:
            raise InvalidParameterError(
                f"Invalid {name}: the frame has no columns. Expected one numeric column per "
                "series drawn. Hint: pass the table of the result."
            )
        for position in range(frame.shape[1]):
            _numeric_column(frame.iloc[:, position], name, frame.columns[position])
        return frame
    have = [c for c in frame.columns if isinstance(c, str)]
    missing = [c for c in [*columns, *present] if c not in have]
    if missing:
        hint = unknown_name_hint(missing[0], have) or f" It has {clip(repr(list(frame.columns)))}."
        raise InvalidParameterError(
            f"Invalid {name}: missing column(s) {missing}. Expected columns {list(columns)}.{hint}"
        )
    for c in columns:
        col: Any = frame[c]
        if isinstance(col, pd.DataFrame):
            raise InvalidParameterError(
                f"Invalid {name}: the column name {c!r} is repeated. Expected one column of "
                f"that name. Hint: rename the duplicates first."
            )
        _numeric_column(col, name, c)
    return frame


def _numeric_column(col: Any, name: str, c: Any) -> None:
    import pandas as pd

    if not (pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)):
        raise InvalidParameterError(
            f"Invalid {name}: column {clip(repr(c))} holds {col.dtype}. Expected numbers. "
            f"Hint: convert it with pd.to_numeric({name}[{clip(repr(c))}])."
        )


def check_sequence(values: Any, name: str) -> list[Any]:
    """Return ``values`` as a list when it is a flat sequence (of labels, periods ...), else raise.

    Parameters
    ----------
    values : object
        What the caller gave (a list, tuple, range, Index, Series or 1-D array).
    name : str
        The parameter, for the message.

    Returns
    -------
    list

    Raises
    ------
    InvalidParameterError
        For a single string, a mapping, a set, a frame or a non-sequence.

    Examples
    --------
    >>> check_sequence(range(2), "periods")
    [0, 1]
    """
    import pandas as pd

    ok = isinstance(values, (list, tuple, range, pd.Index, pd.Series)) or (
        isinstance(values, np.ndarray) and values.ndim == 1
    )
    if not ok:
        raise InvalidParameterError(
            f"Invalid {name}={_shown(values)}. Expected a sequence (a list, an Index or a "
            f"1-D array). Hint: {name}=['a', 'b']."
        )
    return list(values)


def check_series(values: Any, name: str) -> Any:
    """Return ``values`` when it is a pandas Series of numbers, else raise.

    Parameters
    ----------
    values : object
        What the caller gave.
    name : str
        The parameter, for the message.

    Returns
    -------
    pandas.Series

    Raises
    ------
    InvalidParameterError

    Examples
    --------
    >>> import pandas as pd
    >>> check_series(pd.Series([1, 2]), "values").tolist()
    [1, 2]
    """
    import pandas as pd

    if not isinstance(values, pd.Series) or not (
        pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    ):
        raise InvalidParameterError(
            f"Invalid {name}={_shown(values)}. Expected a pandas Series of numbers indexed by "
            f"label. Hint: {name}=pd.Series([3, 1], index=['a', 'b'])."
        )
    return values


def check_text(value: Any, name: str, *, optional: bool = True) -> str | None:
    """Return a chart text (a title, an axis label) when it is a str (or None), else raise.

    Parameters
    ----------
    value : object
        What the caller gave.
    name : str
        The parameter, for the message.
    optional : bool, default True
        Whether None (the chart's default text) is accepted.

    Returns
    -------
    str or None

    Raises
    ------
    InvalidParameterError

    Examples
    --------
    >>> check_text("Weekly users", "title")
    'Weekly users'
    """
    if isinstance(value, str) or (value is None and optional):
        return value
    raise InvalidParameterError(
        f"Invalid {name}={_shown(value)}. Expected a str{' or None' if optional else ''}. "
        f"Hint: {name}='Weekly users'."
    )


def check_labels(values: Any, name: str) -> list[str]:
    """Return ``values`` as a list of str when it is a sequence of strings, else raise.

    Parameters
    ----------
    values : object
        What the caller gave (a list, tuple, Index, Series or array of str).
    name : str
        The parameter, for the message.

    Returns
    -------
    list of str

    Raises
    ------
    InvalidParameterError
        For a single string, a mapping, a set or anything holding a non-string.

    Examples
    --------
    >>> check_labels(("email", "push"), "labels")
    ['email', 'push']
    """
    import pandas as pd

    if isinstance(values, (str, bytes, dict, set, frozenset)) or not isinstance(
        values, (list, tuple, np.ndarray, pd.Index, pd.Series)
    ):
        raise InvalidParameterError(
            f"Invalid {name}={_shown(values)}. Expected a sequence of str. "
            f"Hint: {name}=['email', 'push']."
        )
    out = list(values)
    bad = [v for v in out if not isinstance(v, str)]
    if bad:
        raise InvalidParameterError(
            f"Invalid {name}: {clip(repr(bad[0]))} ({type(bad[0]).__name__}) is not a str. "
            f"Expected a sequence of str. Hint: {name}=[str(x) for x in {name}]."
        )
    return out


def check_numbers(
    values: Any, name: str, *, length: int | None = None, allow_inf: bool = False
) -> Any:
    """Return ``values`` as a 1-D float array when they are real numbers, else raise.

    NaN is accepted (not drawn); infinities are refused.

    Parameters
    ----------
    values : object
        What the caller gave (a list, tuple, array or Series of numbers).
    name : str
        The parameter, for the message.
    length : int, optional
        The length required (that of the labels or x values drawn with them).
    allow_inf : bool, default False
        Whether infinities are accepted (interval bounds the chart clips).

    Returns
    -------
    numpy.ndarray of float

    Raises
    ------
    InvalidParameterError
        For something that is not a flat sequence of finite numbers or NaN, or of the wrong
        length.

    Examples
    --------
    >>> check_numbers([1, 2.5], "values").tolist()
    [1.0, 2.5]
    """
    import pandas as pd

    ok = isinstance(values, (list, tuple, np.ndarray, pd.Series, pd.Index))
    arr = None
    if ok:
        items = list(values.tolist() if hasattr(values, "tolist") else values)
        ok = all(
            isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            for v in items
        )
        if ok:
            arr = np.asarray(items, dtype=float).reshape(-1)
    if arr is None:
        raise InvalidParameterError(
            f"Invalid {name}={_shown(values)}. Expected a sequence of numbers. "
            f"Hint: {name}=[1.0, 2.0]."
        )
    if not allow_inf and np.isinf(arr).any():
        raise InvalidParameterError(
            f"Invalid {name}: it holds an infinite value. Expected finite numbers or NaN. "
            "Hint: replace infinities with NaN to leave them out of the chart."
        )
    if length is not None and arr.size != length:
        raise InvalidParameterError(
            f"Invalid {name}: {arr.size} value(s). Expected {length}, one per label or x value."
        )
    return arr


def check_number(value: Any, name: str) -> float:
    """Return ``value`` as a float when it is a finite real number, else raise.

    Parameters
    ----------
    value : object
        What the caller gave.
    name : str
        The parameter, for the message.

    Returns
    -------
    float

    Raises
    ------
    InvalidParameterError

    Examples
    --------
    >>> check_number(0.7, "target")
    0.7
    """
    if (
        isinstance(value, (int, float, np.integer, np.floating))
        and not isinstance(value, bool)
        and np.isfinite(float(value))
    ):
        return float(value)
    raise InvalidParameterError(
        f"Invalid {name}={_shown(value)}. Expected a finite number. Hint: {name}=0.5."
    )


def check_position(value: Any, name: str) -> Any:
    """Return an x position (a finite number or a timestamp) when it is one, else raise.

    Parameters
    ----------
    value : object
        What the caller gave.
    name : str
        The parameter, for the message.

    Returns
    -------
    float or pandas.Timestamp

    Raises
    ------
    InvalidParameterError

    Examples
    --------
    >>> check_position("2024-05-01", "launch")
    Timestamp('2024-05-01 00:00:00')
    """
    import datetime as dt

    import pandas as pd

    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return check_number(value, name)
    if isinstance(value, pd.Period):
        return value
    if isinstance(value, (str, dt.date, np.datetime64)):
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError, OverflowError, pd.errors.OutOfBoundsDatetime):
            stamp = pd.NaT
        if stamp is not pd.NaT:
            return stamp
    raise InvalidParameterError(
        f"Invalid {name}={_shown(value)}. Expected a timestamp or a number on the x axis. "
        f"Hint: {name}='2024-05-01'."
    )


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Return the name of an installed font family that draws Chinese, or None.

    Returns
    -------
    str or None
        The first of ``CJK_FONTS`` that matplotlib's font manager knows.

    Raises
    ------
    UseropsError
        When matplotlib is not installed.
    """
    require_matplotlib()
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    found = next((n for n in CJK_FONTS if n in names), None)
    if found is None:
        # matplotlib's font list is cached: fonts installed after it was built are not in it
        hints = ("notosanscjk", "sourcehansans", "wqy", "droidsansfallback", "msyh", "simhei")
        for path in font_manager.findSystemFonts():
            if any(h in path.lower().replace("-", "").replace("_", "") for h in hints):
                font_manager.fontManager.addfont(path)
        names = {f.name for f in font_manager.fontManager.ttflist}
        found = next((n for n in CJK_FONTS if n in names), None)
    return found


def resolve_lang(lang: Any) -> Language:
    """Return the language a chart can be drawn in: ``"zh"`` only when a CJK font exists.

    Parameters
    ----------
    lang : {"en", "zh"}
        The requested language.

    Returns
    -------
    {"en", "zh"}

    Raises
    ------
    InvalidParameterError
        For an unsupported language.

    Warns
    -----
    MissingFontWarning
        When ``"zh"`` was asked for and no CJK font is installed (labels fall back to English
        rather than drawing empty boxes).
    """
    lang = check_lang(lang)
    if lang == "zh" and cjk_font() is None:
        warnings.warn(
            "No font with Chinese characters is installed, so the chart is labelled in English. "
            f"Hint: install one of {list(CJK_FONTS[:3])} (Debian: apt-get install "
            "fonts-noto-cjk) and clear matplotlib's font cache.",
            MissingFontWarning,
            stacklevel=3,
        )
        return "en"
    out: Language = lang
    return out


def label(key: str, lang: Language, **fields: Any) -> str:
    """Return the chart label ``key`` in ``lang``, with ``fields`` filled in.

    Parameters
    ----------
    key : str
        A label key of this module.
    lang : {"en", "zh"}
        Language (already resolved by :func:`resolve_lang`).
    **fields
        Values for the label's placeholders.

    Returns
    -------
    str
    """
    text = _LABELS[key][lang] if key in _LABELS else key
    return text.format(**fields) if fields else text


def _texts_with_cjk(ax: Any) -> bool:
    from matplotlib.text import Text

    texts = [t.get_text() for t in ax.findobj(Text)]
    texts += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    return any(_CJK.search(t) for t in texts)


def finish(ax: Any, lang: Language, *, grid: Literal["x", "y", "both", "none"] = "y") -> Any:
    """Apply the shared style to a drawn chart and give its text a font that can draw it.

    Hides the top and right spines, draws a light grid, and, when a CJK font is installed, makes
    it the fallback of every text on the axes (titles, labels, ticks, legend, annotations), so
    Chinese labels and Chinese names in the data render instead of empty boxes.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The drawn chart.
    lang : {"en", "zh"}
        The language the chart was labelled in.
    grid : {"x", "y", "both", "none"}, default "y"
        Which grid lines to draw.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``.

    Warns
    -----
    MissingFontWarning
        When the data put Chinese text on an English chart and no CJK font is installed.
    """
    from matplotlib.text import Text

    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if grid != "none":
        ax.grid(True, axis=grid, color="#e5e5e5", linewidth=0.8)
        ax.set_axisbelow(True)
    font = cjk_font()
    if font is not None:
        import matplotlib as mpl

        family: Sequence[str] = [*mpl.rcParams["font.sans-serif"][:1], font]
        for t in ax.findobj(Text):
            t.set_fontfamily(family)
        ax.tick_params(labelfontfamily=family)
    elif lang == "en" and _texts_with_cjk(ax):
        warnings.warn(
            "The chart shows names with Chinese characters, but no font with Chinese characters "
            "is installed; they may show as boxes. Hint: apt-get install fonts-noto-cjk.",
            MissingFontWarning,
            stacklevel=3,
        )
    return ax


def period_labels(index: Any, period: str | None = None) -> list[str]:
    """Readable labels of period starts: ``2024-01`` for months, ``2024-01-08`` otherwise.

    Parameters
    ----------
    index : sequence of timestamps or labels
        The period starts.
    period : str, optional
        The period, when known.

    Returns
    -------
    list of str
    """
    import pandas as pd

    if period is not None and not isinstance(period, str):
        raise InvalidParameterError(
            f"Invalid period={_shown(period)}. Expected a period name such as 'week'."
        )
    try:
        idx = pd.DatetimeIndex(index)
    except (TypeError, ValueError):
        return [str(i) for i in index]
    fmt = "%Y-%m" if period == "month" else "%Y-%m-%d %H:00" if period == "hour" else "%Y-%m-%d"
    return [str(s) for s in idx.strftime(fmt)]


def percent_axis(ax: Any, which: str) -> None:
    """Read an axis in percent (values are shares in [0, 1])."""
    from matplotlib.ticker import PercentFormatter

    (ax.xaxis if which == "x" else ax.yaxis).set_major_formatter(PercentFormatter(1.0))


def date_ticks(ax: Any, x: Any, periods: Iterable[Any], period: str | None) -> None:
    """Label at most about 12 of the periods so dates never overlap."""
    labels = period_labels(periods, period)
    step = max(1, int(np.ceil(len(labels) / 12)))
    ax.set_xticks(x[::step], labels[::step], rotation=45, ha="right")
