"""Per-user goal outcomes of a lazy log computed in its engine, for :func:`evaluate`.

The engine runs one ``GROUP BY`` user (:meth:`LazyEventLog.user_totals`) giving, per user, every
goal's count or value sum over the evaluation window and over the CUPED pre-period, the revenue
for a purchase goal's value, and the number of events before launch (who existed at launch).
Only users-sized rows come back; no event row is collected for a hash holdout.  Exposure arms
collect the exposure events alone (the variant of each user's first exposure).  The per-arm
count, sum and sums of squares are then one ``bincount`` pass over those users.

A salted SipHash of the user id (:func:`holdout_bucket`) is not a function SQL engines share, so
the hash holdout is drawn here over the distinct users the engine returns.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.campaigns._assign import holdout_bucket
from useropslib.events import EventLog, LazyEventLog
from useropslib.events._query import AsOf, check_instant
from useropslib.exceptions import InvalidParameterError
from useropslib.models import Campaign, ExposureControl, HoldoutControl

__all__ = ["EngineOutcomes", "engine_plan"]

_COUNT_BINARY = ("paying_users", "active_users", "reactivated_users")
_ENGINE_KINDS = (*_COUNT_BINARY, "orders", "revenue", "arpu")


def _column(spec: Any) -> tuple[tuple[str, ...] | None, str, bool] | None:
    """Events, how and whether the outcome is 0/1 of a goal metric, or None if not engine-made."""
    kind = getattr(spec, "kind", None)
    if kind in ("paying_users", "orders"):
        return tuple(spec.purchase_event), "count", kind == "paying_users"
    if kind in ("revenue", "arpu"):
        if spec.value_col is not None:
            return None
        return tuple(spec.purchase_event), "sum", False
    if kind in ("active_users", "reactivated_users"):
        return (None if spec.event is None else tuple(spec.event)), "count", True
    return None


def engine_plan(campaign: Campaign, events: Any, assignment: Any) -> EngineOutcomes | None:
    """Return the engine route for ``events``, or None when the in-memory route is needed.

    The engine route is taken for a :class:`LazyEventLog` whose arms come from the campaign
    (a hash holdout or exposure events) and whose every goal metric is a count or value sum of
    named events (paying / active / reactivated users, orders, revenue, ARPU).
    """
    if not isinstance(events, LazyEventLog) or assignment is not None:
        return None
    if not isinstance(campaign.control, HoldoutControl | ExposureControl):
        return None
    for goal in campaign.goals:
        if goal.metric is None or _column(goal.metric) is None:
            return None
        if getattr(goal.metric, "value_col", None) is not None:
            return None
        if _column(goal.metric)[1] == "sum" and not events.has_values:  # type: ignore[index]
            return None
    return EngineOutcomes(events, campaign)


class EngineOutcomes:
    """Goal outcomes of a lazy log's users, from one engine ``GROUP BY`` user."""

    def __init__(self, events: LazyEventLog, campaign: Campaign) -> None:
        self.events = events
        self.campaign = campaign
        self.has_values = events.has_values
        self.totals = pd.DataFrame()
        self._names: dict[tuple[Any, ...], str] = {}
        self._start_ns = 0
        self._pos = np.zeros(0, dtype=np.intp)

    def arm_log(self) -> EventLog:
        """Collect the rows the arms need: the exposure events, or none (vocabularies only)."""
        control = self.campaign.control
        if isinstance(control, ExposureControl) and control.event in set(
            map(str, self.events.event_names)
        ):
            return self.events.collect([control.event])
        return self.events.collect([])

    def as_of(self, as_of: Any) -> AsOf | None:
        """Resolve the as_of under the log's policy (the log's own when none is given)."""
        ev = self.events
        if ev.start is None:
            return None
        if as_of is None:
            ns = ev.as_of_ns
            assert ns is not None
            return AsOf(ns, ev.as_of_source == "given", ev.tz)
        ns = check_instant(as_of, tz=ev.tz, name="as_of")
        assert ns is not None
        if ns < int(ev.start.value):
            raise InvalidParameterError(
                f"as_of={pd.Timestamp(ns, tz='UTC')} is before the first event of the log "
                f"({ev.start}). Hint: pass an as_of at or after the log's first event."
            )
        return AsOf(ns, True, ev.tz)

    def compute(self, *, start_ns: int, end_ns: int, pre_start: int) -> None:
        """Run the one ``GROUP BY``: every goal in the window and the pre-period, and more."""
        stamp = _stamp
        cols: dict[str, tuple[Any, Any, Any, Any]] = {
            "__before__": (None, None, stamp(start_ns - 1), "count")
        }
        specs = [g.metric for g in self.campaign.goals]
        purchase = getattr(specs[0], "purchase_event", None)
        windows = ((start_ns, end_ns), (pre_start, start_ns - 1))
        for spec in specs:
            col = _column(spec)
            assert col is not None
            for lo, hi in windows:
                self._add(cols, col[0], col[1], lo, hi)
        if purchase is not None and self.has_values:
            for lo, hi in windows:
                self._add(cols, tuple(purchase), "sum", lo, hi)
        self._start_ns = start_ns
        self.totals = self.events.user_totals(cols)
        self._pos = self.events.users.get_indexer(self.totals.index)

    def _add(self, cols: dict[str, Any], names: Any, how: str, lo: int, hi: int) -> None:
        key = (names, how, lo, hi)
        if key not in self._names:
            name = f"c{len(self._names)}"
            self._names[key] = name
            cols[name] = (None if names is None else list(names), _stamp(lo), _stamp(hi), how)

    def outcomes(
        self, spec: Any, *, codes: npt.NDArray[np.int64], start_ns: int, end_ns: int
    ) -> tuple[npt.NDArray[np.float64], bool]:
        """Each unit's outcome of ``spec`` over ``[start_ns, end_ns]`` and whether it is 0/1."""
        col = _column(spec)
        if col is None and getattr(spec, "kind", None) == "revenue":
            col = (tuple(spec.purchase_event), "sum", False)
        assert col is not None
        name = self._names[(col[0], col[1], start_ns, end_ns)]
        per_user = np.zeros(len(self.events.users))
        per_user[self._pos] = self.totals[name].to_numpy(np.float64)
        if col[2]:
            per_user = (per_user > 0).astype(np.float64)
        out: npt.NDArray[np.float64] = per_user[codes]
        return out, col[2]

    def holdout_arms(
        self,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], dict[str, Any]]:
        """Units and treated flag of a hash holdout, drawn over the users the engine returned."""
        control = self.campaign.control
        assert isinstance(control, HoldoutControl)
        users = self.events.users
        if self.campaign.audience is not None:
            from useropslib.segments import members

            ids = members(
                self.events,
                self.campaign.audience,
                as_of=pd.Timestamp(self._start_ns - 1, tz="UTC"),
            )
            pos = users.get_indexer(ids)
        else:
            pos = self._pos[self.totals["__before__"].to_numpy() > 0]
        codes = np.sort(pos[pos >= 0]).astype(np.int64)
        bucket = holdout_bucket(users[codes], salt=control.salt).to_numpy(np.float64)
        return codes, ~(bucket < control.share), {"source": "holdout", "share": control.share}


def _stamp(ns: int) -> pd.Timestamp:
    out: pd.Timestamp = pd.Timestamp(ns, tz="UTC")
    return out
