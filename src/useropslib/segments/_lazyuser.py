"""Segments on a :class:`~useropslib.events.LazyEventLog`: per-user reductions in its engine.

The public functions dispatch here when given a lazy log; each answer comes from one grouped
query that returns one row per user (:meth:`LazyEventLog.user_spans`), never the event rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.events import LazyEventLog
from useropslib.events._query import EventSelector, named_events

__all__ = ["lazy_rfm_totals"]


def lazy_rfm_totals(
    lazy: LazyEventLog, purchase_event: Any, as_of_ns: int
) -> tuple[pd.Index, npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Purchases, their value and the last one per customer at or before ``as_of``.

    Unknown names warn (or raise, when strict) as in memory and count as no purchase.

    Returns
    -------
    customers, frequency, monetary, last purchase (UTC ns)
        In the log's user order; customers have at least one purchase.
    """
    names = named_events(purchase_event, param="purchase_event")
    codes = EventSelector.parse(names, param="purchase_event").term_codes(lazy)  # type: ignore[arg-type]
    known = [n for n, c in zip(names, codes, strict=True) if c >= 0]
    if not known:
        index = pd.Index([], dtype=object, name="user_id")
        return index, np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64)
    spans = lazy.user_spans(known, until=pd.Timestamp(as_of_ns, tz="UTC"), totals=True)
    last = pd.DatetimeIndex(spans["last"]).asi8
    rows = spans["rows"].to_numpy(dtype=np.int64)
    value = spans["value"].to_numpy(dtype=np.float64)
    return spans.index, rows, value, last
