"""Checks and shapes shared by the counterfactual methods: series, windows, comparison series.

Every method of ``campaigns`` that estimates an effect without a control group reads its input
through :func:`prepare_series`, so the bad inputs of the issue (gaps, duplicated dates, windows in
the wrong order, constant series, a pre-period too short for the model, comparison series that
move at the launch) get one message each, whatever the method.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from useropslib.exceptions import (
    CounterfactualWarning,
    InsufficientDataError,
    InvalidParameterError,
)

__all__ = ["Frequency", "PreparedSeries", "parse_window", "period_positions", "prepare_series"]

Frequency = Literal["day", "week", "month"]

_STEP_DAYS = {"day": 1, "week": 7}


def parse_window(value: Any, name: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Read a ``(start, end)`` pair of dates, both inclusive, as timestamps.

    Parameters
    ----------
    value : tuple of two date-likes
        The window.
    name : str
        The parameter's name, for the message.

    Returns
    -------
    tuple of pandas.Timestamp

    Raises
    ------
    InvalidParameterError
        When the value is not a pair of dates or the end comes before the start.
    """
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) != 2:
        raise InvalidParameterError(
            f"{name} must be a (start, end) pair of dates, both inclusive; got {value!r}. "
            f"Hint: {name}=('2024-01-01', '2024-03-31')."
        )
    try:
        start, end = pd.Timestamp(value[0]), pd.Timestamp(value[1])
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"{name} holds a value that is not a date: {value!r} ({exc}). "
            f"Hint: {name}=('2024-01-01', '2024-03-31')."
        ) from None
    if pd.isna(start) or pd.isna(end):
        raise InvalidParameterError(f"{name} holds a missing date: {value!r}.")
    if end < start:
        raise InvalidParameterError(
            f"{name} ends before it starts: {start.date()} > {end.date()}. "
            "Hint: give (start, end) with start <= end."
        )
    return start, end


def _align_tz(ts: pd.Timestamp, index: pd.DatetimeIndex) -> pd.Timestamp:
    if index.tz is not None and ts.tz is None:
        out: pd.Timestamp = ts.tz_localize(index.tz)
        return out
    if index.tz is None and ts.tz is not None:
        raise InvalidParameterError(
            f"The window date {ts} has a time zone but the series' dates have none. "
            "Hint: give naive dates, or localise the series' index."
        )
    return ts


def _frequency(index: pd.DatetimeIndex, name: str) -> Frequency:
    if len(index) < 2:
        raise InsufficientDataError(f"{name} has {len(index)} point(s); a series needs many more.")
    days = np.diff(index.as_unit("ns").asi8) / 86_400e9  # pandas 3 may hold microseconds
    step = float(np.median(days))
    if abs(step - 1) < 1e-9:
        return "day"
    if abs(step - 7) < 1e-9:
        return "week"
    if 28 <= step <= 31:
        return "month"
    raise InvalidParameterError(
        f"{name} is neither daily, weekly nor monthly: its dates are {step:g} days apart "
        "(median). Hint: aggregate it with series.resample('D'|'W-MON'|'MS').sum() first."
    )


def _expected_index(index: pd.DatetimeIndex, freq: Frequency) -> pd.DatetimeIndex:
    if freq == "month":
        per = (
            index.tz_localize(None).to_period("M") if index.tz is not None else index.to_period("M")
        )
        full = pd.period_range(per.min(), per.max(), freq="M").to_timestamp()
        return full.tz_localize(index.tz) if index.tz is not None else full
    return pd.date_range(index[0], index[-1], freq=f"{_STEP_DAYS[freq]}D")


def check_index(index: pd.Index, name: str) -> tuple[pd.DatetimeIndex, Frequency]:
    """Check a series' dates: datetimes, sorted, no duplicates, no gaps; return the frequency.

    Parameters
    ----------
    index : pandas.Index
        The dates.
    name : str
        What the series is called in messages.

    Returns
    -------
    tuple of (pandas.DatetimeIndex, str)

    Raises
    ------
    InvalidParameterError
        For an index that is not dates, duplicated dates or gaps (each named).
    """
    if not isinstance(index, pd.DatetimeIndex):
        raise InvalidParameterError(
            f"{name} must be indexed by dates (a DatetimeIndex); got {type(index).__name__}. "
            "Hint: series.index = pd.to_datetime(series.index)."
        )
    if index.hasnans:
        raise InvalidParameterError(f"{name} has missing dates (NaT) in its index.")
    dup = index[index.duplicated()].unique()
    if len(dup):
        shown = ", ".join(str(d.date()) for d in dup[:5])
        raise InvalidParameterError(
            f"{name} has {len(dup)} duplicated date(s): {shown}"
            f"{' ...' if len(dup) > 5 else ''}. Expected one value per date. "
            "Hint: aggregate with series.groupby(level=0).sum()."
        )
    if not index.is_monotonic_increasing:
        raise InvalidParameterError(f"{name}'s dates are not in order. Hint: series.sort_index().")
    freq = _frequency(index, name)
    expected = _expected_index(index, freq)
    missing = expected.difference(index)
    if len(missing) or len(expected) != len(index):
        shown = ", ".join(str(d.date()) for d in missing[:5])
        raise InvalidParameterError(
            f"{name} has {len(missing)} gap(s) in its {freq}ly dates: {shown}"
            f"{' ...' if len(missing) > 5 else ''}. Expected one value for every {freq}. "
            "Hint: fill the dates with the value that holds there (0 for counts: "
            f"series.asfreq(...).fillna(0)) or shorten the windows."
        )
    return index, freq


@dataclasses.dataclass(frozen=True)
class PreparedSeries:
    """A checked series with its comparison series, cut into pre, post and after windows.

    Attributes
    ----------
    index : pandas.DatetimeIndex
        Dates from the start of the pre-period to the end of the last window.
    y : numpy.ndarray
        The outcome over ``index``.
    x : numpy.ndarray
        Comparison series over ``index``, one column each (shape ``(n, 0)`` when none).
    control_names : list of str
        Their names.
    pre, post, after : numpy.ndarray of bool
        Masks of the windows over ``index`` (``after`` all false when not asked).
    freq : str
        ``"day"``, ``"week"`` or ``"month"``.
    name : str
        The outcome's name.
    """

    index: pd.DatetimeIndex
    y: np.ndarray
    x: np.ndarray
    control_names: list[str]
    pre: np.ndarray
    post: np.ndarray
    after: np.ndarray
    freq: Frequency
    name: str


def _as_series(data: Any) -> pd.Series:
    if isinstance(data, pd.DataFrame):
        if data.shape[1] != 1:
            raise InvalidParameterError(
                f"The outcome must be one series; got a frame with {data.shape[1]} columns "
                f"{list(data.columns)[:5]}. Hint: pass the outcome as a Series and the others "
                "as controls=."
            )
        data = data.iloc[:, 0]
    if not isinstance(data, pd.Series):
        raise InvalidParameterError(
            "The outcome must be a pandas Series indexed by date (or a MetricSpec with an "
            f"event log); got {type(data).__name__}."
        )
    if not (pd.api.types.is_numeric_dtype(data.dtype) and not pd.api.types.is_bool_dtype(data)):
        raise InvalidParameterError(
            f"The outcome must be numeric; got dtype {data.dtype}. Hint: series.astype(float)."
        )
    return data


def _as_controls(controls: Any, index: pd.DatetimeIndex) -> pd.DataFrame:
    if controls is None:
        empty: pd.DataFrame = pd.DataFrame(index=index)
        return empty
    if isinstance(controls, pd.Series):
        controls = controls.to_frame(name=controls.name if controls.name is not None else "x1")
    if not isinstance(controls, pd.DataFrame):
        raise InvalidParameterError(
            "controls must be a DataFrame of comparison series indexed by date (one column "
            f"each) or None; got {type(controls).__name__}."
        )
    cols = [str(c) for c in controls.columns]
    dup = sorted({c for c in cols if cols.count(c) > 1})
    if dup:
        raise InvalidParameterError(f"controls has duplicated column names {dup}; rename them.")
    bad = [c for c in controls.columns if not pd.api.types.is_numeric_dtype(controls[c].dtype)]
    if bad:
        raise InvalidParameterError(
            f"controls column(s) {[str(b) for b in bad]} are not numeric. "
            "Hint: convert them with .astype(float) or drop them."
        )
    cidx, _ = check_index(controls.index, "controls")
    if str(cidx.tz) != str(index.tz):
        raise InvalidParameterError(
            f"The outcome's dates are in time zone {index.tz} but the controls' in {cidx.tz}: "
            "their days do not line up. Expected both naive, or both in the same zone. Hint: "
            "controls.index = controls.index.tz_localize(...) (naive dates) or build both "
            "series on the calendar days of one place."
        )
    missing = index.difference(controls.index)
    if len(missing):
        shown = ", ".join(str(d.date()) for d in missing[:5])
        raise InvalidParameterError(
            f"controls lack {len(missing)} date(s) of the outcome: {shown}. "
            "Hint: comparison series must cover every date of the pre- and post-periods."
        )
    out: pd.DataFrame = pd.DataFrame(
        controls.loc[index].to_numpy(), index=index, columns=pd.Index(cols)
    )
    return out


def _check_scale(values: np.ndarray, what: str) -> None:
    # standardising squares the values: beyond about 1e100 (or spreads below 1e-100) the
    # arithmetic overflows or underflows and the answer would be silently wrong
    big = float(np.max(np.abs(values))) if values.size else 0.0
    spread = float(np.ptp(values)) if values.size else 0.0
    if big > 1e100 or 0 < spread < 1e-100:
        raise InvalidParameterError(
            f"{what} has values too large or too finely spread to standardise (largest "
            f"magnitude {big:.3g}, range {spread:.3g}); expected magnitudes below 1e100 and a "
            "range above 1e-100. Hint: rescale it (e.g. in thousands, or divide by 1e6)."
        )


def period_positions(index: pd.DatetimeIndex, freq: Frequency) -> np.ndarray:
    """Return each date's position in periods since the first date (days, weeks or months).

    The windows may leave dates out between them (a gap between ``pre`` and ``post``), so a
    model's clock is read from the dates, not from the row numbers.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Dates in order.
    freq : {"day", "week", "month"}
        Their frequency.

    Returns
    -------
    numpy.ndarray of float
    """
    if len(index) == 0:
        return np.zeros(0)
    if freq == "month":
        months = index.year.to_numpy() * 12 + index.month.to_numpy()
        return np.asarray(months - months[0], dtype=float)
    days = (index - index[0]) / pd.Timedelta(days=1)
    return np.round(np.asarray(days, dtype=float) / _STEP_DAYS[freq])


def prepare_series(
    data: Any,
    *,
    controls: Any,
    pre: Any,
    post: Any,
    after: Any = None,
    min_pre: int = 3,
    why: str = "",
) -> PreparedSeries:
    """Check the outcome, the comparison series and the windows; cut the arrays.

    Parameters
    ----------
    data : pandas.Series
        The outcome, indexed by date (daily, weekly or monthly), numeric.
    controls : pandas.DataFrame or None
        Comparison series over the same dates.
    pre, post : tuple of two dates
        Inclusive windows; ``pre`` must end before ``post`` starts.
    after : tuple of two dates, optional
        An inclusive window after ``post`` (the pull-forward window).
    min_pre : int, default 3
        The fewest pre-period points the caller's model needs.
    why : str
        Why that many, for the message.

    Returns
    -------
    PreparedSeries

    Raises
    ------
    InvalidParameterError
        Windows out of order or overlapping, gaps, duplicated dates, NaN values, a constant
        outcome or comparison series.
    InsufficientDataError
        Fewer than ``min_pre`` pre-period points, or an empty post window.
    """
    series = _as_series(data)
    idx, freq = check_index(series.index, "The outcome series")
    pre_s, pre_e = (_align_tz(t, idx) for t in parse_window(pre, "pre"))
    post_s, post_e = (_align_tz(t, idx) for t in parse_window(post, "post"))
    if post_s <= pre_e:
        raise InvalidParameterError(
            f"post must start after pre ends: pre ends {pre_e.date()}, post starts "
            f"{post_s.date()}. Expected pre = (start, end) entirely before post. "
            "Hint: the campaign's launch date is the first day of post; pre ends the day before."
        )
    end = post_e
    after_s = after_e = None
    if after is not None:
        after_s, after_e = (_align_tz(t, idx) for t in parse_window(after, "after"))
        if after_s <= post_e:
            raise InvalidParameterError(
                f"after must start after post ends: post ends {post_e.date()}, after starts "
                f"{after_s.date()}. Hint: after is the window that follows the campaign."
            )
        end = after_e
    keep = (idx >= pre_s) & (idx <= end)
    sub = series[keep]
    sidx = pd.DatetimeIndex(sub.index)
    # the series must reach back to pre's start (within one of its periods: a weekly or
    # monthly series is dated by its period's first day)
    slack = pd.Timedelta(days=_STEP_DAYS.get(freq, 31))
    if len(sidx) == 0 or sidx[0] - pre_s >= slack or sidx[-1] < end:
        have = f"{idx[0].date()} to {idx[-1].date()}" if len(idx) else "no dates"
        raise InsufficientDataError(
            f"The outcome series covers {have}, but the windows span {pre_s.date()} to "
            f"{end.date()}. Hint: measure the series over the whole of pre and post."
        )
    if sub.isna().any():
        bad = sidx[sub.isna().to_numpy()]
        shown = ", ".join(str(d.date()) for d in bad[:5])
        raise InvalidParameterError(
            f"The outcome has {len(bad)} missing value(s) (NaN) on {shown}. "
            "Hint: fill them (0 for counts) or shorten the windows."
        )
    pre_m = np.asarray((sidx >= pre_s) & (sidx <= pre_e))
    post_m = np.asarray((sidx >= post_s) & (sidx <= post_e))
    after_m = (
        np.asarray((sidx >= after_s) & (sidx <= after_e))
        if after_s is not None
        else np.zeros(len(sidx), dtype=bool)
    )
    inside = pre_m | post_m | after_m
    sidx = sidx[inside]
    y = sub.to_numpy(dtype=float)[inside]
    pre_m, post_m, after_m = pre_m[inside], post_m[inside], after_m[inside]
    n_pre = int(pre_m.sum())
    if not post_m.any():
        raise InsufficientDataError(
            f"The post window {post_s.date()} to {post_e.date()} holds no date of the series."
        )
    if after_s is not None and after_e is not None and not after_m.any():
        raise InsufficientDataError(
            f"The after window {after_s.date()} to {after_e.date()} holds no date of the series."
        )
    if n_pre < min_pre:
        raise InsufficientDataError(
            f"The pre-period has {n_pre} {freq}ly point(s); this model needs at least "
            f"{min_pre}{(': ' + why) if why else ''}. Hint: start pre earlier, or use a "
            "simpler model (fewer comparison series, no seasonality)."
        )
    if not np.all(np.isfinite(y)):
        raise InvalidParameterError("The outcome holds infinite values; expected finite numbers.")
    _check_scale(y, "The outcome")
    if np.ptp(y[pre_m]) == 0:
        raise InvalidParameterError(
            f"The outcome is constant ({y[pre_m][0]:g}) over the pre-period: there is no "
            "variation to learn a counterfactual from. Hint: check that the metric is measured "
            "(a constant 0 often means the event name is wrong)."
        )
    ctrl = _as_controls(controls, pd.DatetimeIndex(sub.index))
    ctrl = ctrl.loc[sidx]
    x = ctrl.to_numpy(dtype=float)
    if x.size and not np.all(np.isfinite(x)):
        cols = [c for c, ok in zip(ctrl.columns, np.isfinite(x).all(axis=0), strict=True) if not ok]
        raise InvalidParameterError(
            f"Comparison series {cols} hold missing or infinite values. Hint: fill or drop them."
        )
    for j, c in enumerate(ctrl.columns):
        _check_scale(x[:, j], f"Comparison series {c!r}")
    if x.size:
        flat = [c for c, r in zip(ctrl.columns, np.ptp(x[pre_m], axis=0), strict=True) if r == 0]
        if flat:
            raise InvalidParameterError(
                f"Comparison series {flat} are constant over the pre-period, so they carry no "
                "information about the outcome. Hint: drop them from controls."
            )
    name = str(series.name) if series.name is not None else "y"
    return PreparedSeries(
        index=sidx,
        y=y,
        x=x,
        control_names=list(ctrl.columns),
        pre=pre_m,
        post=post_m,
        after=after_m,
        freq=freq,
        name=name,
    )


def warn_moving_controls(prep: PreparedSeries, *, stacklevel: int = 3) -> list[str]:
    """Warn when a comparison series shifts at the launch more than it ever did before.

    The shift is the difference between the means of the ``w`` points just after and just before
    the launch (``w = min(14, n_post, n_pre // 3)``), in units of the series' pre-period
    standard deviation.  The same statistic is computed at every earlier split point of the
    pre-period; a launch shift beyond twice all of them means the series may be treated too.

    Parameters
    ----------
    prep : PreparedSeries
        The checked input.
    stacklevel : int
        For :func:`warnings.warn`.

    Returns
    -------
    list of str
        The names of the suspect series (empty when none).
    """
    n_pre = int(prep.pre.sum())
    n_post = int(prep.post.sum())
    w = min(14, n_post, n_pre // 3)
    if w < 2 or prep.x.shape[1] == 0:
        return []
    suspects = []
    x_pre = prep.x[prep.pre]
    x_post = prep.x[prep.post]
    for j, name in enumerate(prep.control_names):
        col = x_pre[:, j]
        cs = np.concatenate([[0.0], np.cumsum(col)])
        # split at k: mean of col[k:k+w] minus mean of col[k-w:k], for k = w .. n_pre - w
        k = np.arange(w, n_pre - w + 1)
        hist = np.abs((cs[k + w] - cs[k]) - (cs[k] - cs[k - w])) / w
        launch = abs(x_post[:w, j].mean() - col[-w:].mean())
        if hist.size and launch > 2.0 * hist.max() and launch > 0:
            suspects.append(name)
    if suspects:
        warnings.warn(
            f"Comparison series {suspects} shift at the launch by more than twice the largest "
            f"shift seen in the pre-period (means of the {w} {prep.freq}s after vs before): they "
            "may be "
            "touched by the campaign themselves, which biases the counterfactual. Hint: drop "
            "them from controls, or check that the campaign did not reach them.",
            CounterfactualWarning,
            stacklevel=stacklevel,
        )
    return suspects
