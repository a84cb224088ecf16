"""Per-user reductions of a :class:`~useropslib.events.LazyEventLog`, computed in its engine.

Each query here groups the rows by user id in the engine (DuckDB, Polars, pyarrow or PySpark,
through narwhals) and collects one row per user and nothing else.  The ids come back as the
engine holds them, sorted by the engine as the user vocabulary is (so the rows are in the log's
user order), and the user vocabulary is not read: a per-user answer costs one grouped query.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.events._engine import collect_native
from useropslib.models import DateLike

if TYPE_CHECKING:
    from useropslib.events._lazy import LazyEventLog

__all__ = ["user_spans"]


def _ids(column: Any) -> pd.Index:
    """Return the collected ids as the user vocabulary holds them (same values and dtype)."""
    out: pd.Index = pd.Index(column.to_numpy(), name="user_id")
    return out


def _int64(column: Any) -> npt.NDArray[np.int64]:
    out: npt.NDArray[np.int64] = np.ascontiguousarray(column.to_numpy(), dtype=np.int64)
    return out


def user_spans(
    lazy: LazyEventLog,
    events: Sequence[str] | str | None = None,
    *,
    until: DateLike | None = None,
) -> pd.DataFrame:
    """First and last time of each user's rows of ``events`` at or before ``until``.

    One ``GROUP BY`` user with ``min`` and ``max`` of the time in the engine, the groups sorted
    by id there; one row per user with such a row is collected (see
    :meth:`LazyEventLog.user_spans`).
    """
    import narwhals.stable.v2 as nw

    nf = nw.from_native(lazy._raw)
    codes = lazy._codes(events)
    if codes is not None:
        nf = nf.filter(nw.col("ename").is_in(lazy._raw_events[codes].tolist()))
    until_ns = lazy._until(until)
    if until_ns is not None:
        nf = nf.filter(nw.col("t") <= until_ns)
    query = (
        nf.group_by("uid")
        .agg(nw.col("t").min().alias("first"), nw.col("t").max().alias("last"))
        .sort("uid")
    )
    got = collect_native(query)
    out: pd.DataFrame = pd.DataFrame(
        {name: _stamps(_int64(got[name]), lazy.tz) for name in ("first", "last")},
        index=_ids(got["uid"]),
    )
    return out


def _stamps(ns: npt.NDArray[np.int64], tz: str) -> pd.DatetimeIndex:
    out: pd.DatetimeIndex = pd.DatetimeIndex(ns.view("datetime64[ns]"), tz="UTC").tz_convert(tz)
    return out
