"""The shared shape of metric results: small frozen objects holding frames and the parameters."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from useropslib.exceptions import UseropsError

__all__ = ["MetricResult", "axes_or_new", "jsonable", "require_matplotlib"]


def require_matplotlib() -> Any:
    """Import matplotlib (with pyplot) and return it, or raise one clear error without it.

    Raises
    ------
    UseropsError
        When matplotlib is not installed.
    """
    try:
        import matplotlib
        import matplotlib.pyplot
    except ImportError:
        raise UseropsError(
            "Plotting needs matplotlib, which is not installed. Hint: pip install "
            '"useropslib[plot]".'
        ) from None
    return matplotlib


def axes_or_new(ax: Any, *, figsize: tuple[float, float] | None = None) -> Any:
    """Return ``ax``, or the axes of a new matplotlib figure when it is None.

    Every chart and every ``plot(ax=None)`` method of the library draws through this one
    function, so new figures look alike (7 x 4 inches, constrained layout) and a missing
    matplotlib gives one clear error.

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
        Where to draw.
    figsize : tuple of float, optional
        Size of a new figure in inches; default ``(7, 4)``.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    UseropsError
        When matplotlib is not installed.
    """
    if ax is not None:
        return ax
    require_matplotlib()
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize or (7.0, 4.0), layout="constrained")
    return fig.add_subplot()


def jsonable(obj: Any) -> Any:
    """Convert frames, series, numpy and pandas scalars and timestamps to JSON-ready values.

    Frames become lists of row dicts (``orient="records"``), series become dicts, timestamps ISO
    8601 strings, NaN and NaT ``None``, infinities the strings ``"inf"`` and ``"-inf"`` (strict
    JSON has no infinity).

    Parameters
    ----------
    obj : object
        What to convert.

    Returns
    -------
    object
        Built only from dict, list, str, int, float, bool and None.

    Examples
    --------
    >>> import pandas as pd, numpy as np
    >>> jsonable({"n": np.int64(3), "t": pd.Timestamp("2024-01-01", tz="UTC"), "x": np.nan})
    {'n': 3, 't': '2024-01-01T00:00:00+00:00', 'x': None}
    """
    if isinstance(obj, pd.DataFrame):
        frame = obj.reset_index() if not isinstance(obj.index, pd.RangeIndex) else obj
        return [
            {str(k): jsonable(v) for k, v in row.items()} for row in frame.to_dict(orient="records")
        ]
    if isinstance(obj, pd.Series):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset | pd.Index | np.ndarray):
        return [jsonable(v) for v in obj]
    if obj is None or obj is pd.NaT:
        return None
    if isinstance(obj, pd.Timestamp | dt.datetime | dt.date):
        return obj.isoformat()
    if isinstance(obj, pd.Timedelta | dt.timedelta):
        return pd.Timedelta(obj).isoformat()
    if isinstance(obj, np.bool_ | bool):
        return bool(obj)
    if isinstance(obj, np.integer | int):
        return int(obj)
    if isinstance(obj, np.floating | float):
        f = float(obj)
        if math.isnan(f):
            return None
        # strict JSON has no Infinity: "inf" keeps the meaning (e.g. a median never reached)
        return f if math.isfinite(f) else ("inf" if f > 0 else "-inf")
    if isinstance(obj, str):
        return obj
    try:
        if pd.isna(obj):
            return None
    except (TypeError, ValueError):
        pass
    return str(obj)


@dataclasses.dataclass(frozen=True, repr=False)
class MetricResult:
    """Base of every metric result.

    Subclasses are frozen dataclasses whose fields are pandas objects and scalars; they share the
    attribute names ``params`` (the arguments that produced the result, so it can say which
    convention it follows) and ``as_of``.  ``to_dict()`` is JSON-ready for services.

    Attributes
    ----------
    params : dict
        The parameters the result was computed with.
    as_of : pandas.Timestamp or None
        The "now" the result was computed at.
    """

    params: Mapping[str, Any]
    as_of: pd.Timestamp | None

    def to_dict(self) -> dict[str, Any]:
        """Return every field as JSON-ready values (frames as lists of records).

        Returns
        -------
        dict
        """
        return {
            f.name: jsonable(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if not f.name.startswith("_")
        }

    def _title(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"

    def __repr__(self) -> str:
        lines = [self._title(), f"as_of: {self.as_of}"]
        for f in dataclasses.fields(self):
            if f.name in ("params", "as_of") or f.name.startswith("_"):
                continue
            value = getattr(self, f.name)
            if isinstance(value, pd.DataFrame | pd.Series):
                lines.append(f"{f.name}:")
                text = (
                    value.to_string(max_rows=20, max_cols=14)
                    if isinstance(value, pd.DataFrame)
                    else value.to_string(max_rows=20)
                )
                lines.append(text)
            else:
                lines.append(f"{f.name}: {value}")
        return "\n".join(lines)
