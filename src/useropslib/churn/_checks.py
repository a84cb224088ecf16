"""The one check of survival input, shared by every churn function that takes a survival frame.

A survival frame has one row per subject: a duration (time from the start of observation to churn
or censoring) and an event flag (1 = churn observed, 0 = censored).  :func:`survival_column`
finds a named column (with a did-you-mean hint) and :func:`survival_target` turns the two columns
into float durations and boolean events, refusing empty, non-numeric, missing, infinite or
negative durations and event flags other than 0/1 or booleans, each with one message.
:func:`~useropslib.churn.kaplan_meier`, :func:`~useropslib.churn.logrank_test` and
:class:`~useropslib.churn.ChurnDrivers` all go through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib._checks import NS_PER_DAY
from useropslib.exceptions import InsufficientDataError, InvalidParameterError, did_you_mean

__all__ = ["survival_column", "survival_target", "unknown_column"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def unknown_column(
    where: str, param: str, name: Any, columns: Sequence[Any]
) -> InvalidParameterError:
    """Return the error for a ``param=name`` that is not a column of the data.

    Examples
    --------
    >>> print(unknown_column("kaplan_meier", "duration_col", "durations", ["duration", "observed"]))
    kaplan_meier: Unknown duration_col='durations': no such column in the data. Expected one of the columns ['duration', 'observed']. Hint: did you mean 'duration'? pass duration_col='duration'.
    """  # noqa: E501
    cols = [str(c) for c in columns]
    close = did_you_mean(str(name), cols)
    hint = (
        f"did you mean {close[0]!r}? pass {param}={close[0]!r}"
        if close
        else f"pass {param}= naming your column"
    )
    return InvalidParameterError(
        f"{where}: Unknown {param}={name!r}: no such column in the data. Expected one of the "
        f"columns {cols}. Hint: {hint}."
    )


def survival_column(where: str, frame: pd.DataFrame, name: Any, param: str) -> pd.Series:
    """Return ``frame[name]``, or raise :func:`unknown_column`'s error.

    Examples
    --------
    >>> import pandas as pd
    >>> survival_column("f", pd.DataFrame({"duration": [1.0]}), "duration", "duration_col").tolist()
    [1.0]
    """
    if not isinstance(name, str | int) or name not in frame.columns:
        raise unknown_column(where, param, name, list(frame.columns))
    col: pd.Series = frame[name]
    return col


def _durations(where: str, name: Any, values: Any) -> FloatArray:
    dtype = getattr(values, "dtype", None)
    if dtype is not None and pd.api.types.is_timedelta64_dtype(dtype):
        td = pd.to_timedelta(pd.Series(values))
        days = td.to_numpy(dtype="timedelta64[ns]").astype(np.int64) / NS_PER_DAY
        return np.where(td.isna().to_numpy(), np.nan, days)
    numeric = dtype is not None and (
        pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)
    )
    if not numeric:
        raise InvalidParameterError(
            f"{where}: the duration column {name!r} is not numeric (dtype {dtype}). Expected "
            "durations as numbers (e.g. days) or timedeltas. Hint: convert it with "
            "pd.to_numeric(...), or timedeltas with .dt.days."
        )
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.asarray(values, dtype=np.float64)


def survival_target(
    where: str, durations: Any, events: Any, *, duration_col: Any, event_col: Any
) -> tuple[FloatArray, BoolArray]:
    """Check a survival target and return ``(durations as float, events as bool)``.

    Parameters
    ----------
    where : str
        The function or method, for the messages.
    durations, events : Series or array
        The two columns (same length).
    duration_col, event_col : str
        Their names, for the messages.

    Returns
    -------
    tuple of ndarray
        Durations (timedeltas in days) and events.

    Raises
    ------
    InsufficientDataError
        For zero rows.
    InvalidParameterError
        For non-numeric, missing, infinite or negative durations, or event flags that are not
        0/1 or booleans (missing ones included).

    Examples
    --------
    >>> survival_target("f", [3, 0.5], [True, 0], duration_col="d", event_col="e")
    (array([3. , 0.5]), array([ True, False]))
    """
    dur_values = durations if hasattr(durations, "dtype") else np.asarray(durations)
    n = len(dur_values)
    if n == 0:
        raise InsufficientDataError(
            f"{where} got an empty frame (0 rows). Expected at least one subject. Hint: check "
            "the filters that built the frame."
        )
    dur = _durations(where, duration_col, dur_values)
    missing = ~np.isfinite(dur)
    if missing.any():
        raise InvalidParameterError(
            f"{where}: the duration column {duration_col!r} has {int(missing.sum()):,} missing or "
            f"infinite value(s) among {n:,} rows. Expected a finite duration for every row. Hint: "
            f"drop those rows (frame.dropna(subset=[{duration_col!r}])) or fill them first."
        )
    negative = dur < 0
    if negative.any():
        raise InvalidParameterError(
            f"{where}: {int(negative.sum()):,} negative duration(s) in {duration_col!r} (smallest "
            f"{dur.min():g}). Expected time from the start of observation to churn or "
            "censoring, >= 0. Hint: check that start and end times are not swapped."
        )
    ev_series = pd.Series(events) if not isinstance(events, pd.Series) else events
    if pd.api.types.is_bool_dtype(ev_series.dtype) and not ev_series.isna().any():
        return dur, ev_series.to_numpy(dtype=bool)
    ev_num = pd.to_numeric(ev_series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isin(ev_num, (0.0, 1.0))
    if bad.any():
        original = ev_series.to_numpy()[bad]
        n_missing = int(pd.isna(original).sum())
        seen = pd.unique(pd.Series(original[~pd.isna(original)]))[:5].tolist()
        seen_text = f" such as {seen}" if seen else ""
        missing_text = f" and {n_missing:,} missing value(s)" if n_missing else ""
        raise InvalidParameterError(
            f"{where}: the event column {event_col!r} must hold 0/1 or True/False (1 = churned, "
            f"0 = censored), got other values{seen_text}{missing_text}. Hint: build it as a "
            "boolean, e.g. frame['churned'] = frame['status'] == 'churned'."
        )
    return dur, ev_num == 1.0
