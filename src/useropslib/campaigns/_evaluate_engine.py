"""Per-arm sufficient statistics of a lazy log computed in its engine, for :func:`evaluate`.

Everything runs in the engine and only a few rows come back
(:meth:`LazyEventLog.arm_totals`): each user's goal totals (every goal in the evaluation window
and in the CUPED pre-period, the revenue behind a purchase goal's value) are computed by one
``GROUP BY`` user, joined to the users' arms and summed per arm with their squares, cross
products and extremes.

- **Exposure arms** are assigned in the engine: each user's first exposure event (its variant
  property in the control values: control), with users exposed to both arms counted apart.
- **Hash holdout**: a salted SipHash of the id (:func:`holdout_bucket`) is not a function the
  engines share, so the ids of the units are fetched once (one column: the users with an event
  before launch, or the audience's members), their arms are drawn here with numpy, and the arm
  table is handed back to the engine, which joins and aggregates.
- **Arms given** (``assignment=``, e.g. the holdout drawn at launch and stored): the table is
  handed to the engine as it is (labels coded once, ids converted to Arrow) and left-joined
  there: an assigned user without a row counts as a unit with outcomes 0, as on the in-memory
  route (which also warns how many there are; finding them here would cost a semi join of
  the whole log, about what the evaluation itself costs).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from useropslib.campaigns._assign import holdout_bucket
from useropslib.events import LazyEventLog
from useropslib.events._query import AsOf, check_instant
from useropslib.exceptions import InvalidParameterError, did_you_mean
from useropslib.models import Campaign, ExposureControl, HoldoutControl

__all__ = ["EngineOutcomes", "engine_plan"]

_ARMS = ["control", "treatment"]


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
        return (
            (None if spec.activity_events is None else tuple(spec.activity_events)),
            "count",
            True,
        )
    return None


def engine_plan(campaign: Campaign, events: Any, assignment: Any) -> EngineOutcomes | None:
    """Return the engine route for ``events``, or None when the in-memory route is needed.

    The engine route is taken for a :class:`LazyEventLog` whose arms come from the campaign
    (a hash holdout or exposure events) and whose every goal metric is a count or value sum of
    named events (paying / active / reactivated users, orders, revenue, ARPU).
    """
    if not isinstance(events, LazyEventLog):
        return None
    if assignment is None and not isinstance(campaign.control, HoldoutControl | ExposureControl):
        return None
    for goal in campaign.goals:
        col = None if goal.metric is None else _column(goal.metric)
        if col is None:
            return None
        if col[1] == "sum" and not events.has_values:
            return None
    return EngineOutcomes(events, campaign, assignment)


class EngineOutcomes:
    """Per-arm statistics of a lazy log's goals, from one engine query collecting a few rows."""

    def __init__(self, events: LazyEventLog, campaign: Campaign, assignment: Any = None) -> None:
        self.events = events
        self.campaign = campaign
        self.assignment = assignment
        self.has_values = events.has_values
        self.table = pd.DataFrame()
        self.arms: pd.Series | None = None  # a hash holdout's arm per unit id
        self.overlap = 0
        self._names: dict[tuple[Any, ...], str] = {}

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

    def compute(
        self, *, start_ns: int, end_ns: int, pre_start: int, cuped: bool, overlap: str
    ) -> None:
        """Run the one engine query: every goal's per-arm statistics (and the pre-period's)."""
        cols: dict[str, tuple[Any, Any, Any, Any]] = {}
        products: list[tuple[str, str]] = []
        specs = [g.metric for g in self.campaign.goals]
        for spec in specs:
            col = _column(spec)
            assert col is not None
            y = self._add(cols, col, start_ns, end_ns)
            if cuped:
                products.append((y, self._add(cols, col, pre_start, start_ns - 1)))
        purchase = getattr(specs[0], "purchase_event", None)
        if purchase is not None and self.has_values:
            self._add(cols, (tuple(purchase), "sum", False), start_ns, end_ns)
        products = list(dict.fromkeys(products))
        control = self.campaign.control
        if self.assignment is not None:
            self.arms = _given_arms(self.assignment)
            table = self.events.arm_totals(
                cols,
                arms=self.arms,
                products=products,
                extremes=[x for _, x in products],
            )
        elif isinstance(control, ExposureControl):
            self._check_exposure(control.event)
            table = self.events.arm_totals(
                cols,
                exposure=(control.event, control.variant_property, list(control.control_values)),
                until=_stamp(end_ns),
                products=products,
                extremes=[x for _, x in products],
            )
            both = (
                table.xs(True, level="overlap") if True in table.index.get_level_values(1) else None
            )
            self.overlap = 0 if both is None else int(both["n"].sum())
            if self.overlap and overlap == "error":
                raise InvalidParameterError(
                    f"evaluate: {self.overlap} users were exposed to both control and treatment, "
                    "so the arms overlap. Hint: fix the assignment, or pass overlap='first' (keep "
                    "each user's first exposure) or overlap='drop' (leave them out)."
                )
            if overlap == "drop":
                table = table[~np.asarray(table.index.get_level_values("overlap"), dtype=bool)]
        else:
            assert isinstance(control, HoldoutControl)
            ids = self._holdout_units(start_ns)
            bucket = holdout_bucket(ids, salt=control.salt).to_numpy(np.float64)
            arm_codes = (bucket >= control.share).astype(np.int8)  # 0 control, 1 treatment
            labels = pd.Categorical.from_codes(arm_codes, categories=pd.Index(_ARMS))
            self.arms = pd.Series(labels, index=ids)
            table = self.events.arm_totals(
                cols,
                arms=self.arms,
                products=products,
                extremes=[x for _, x in products],
                distinct_ids=True,  # one DISTINCT (or the audience's unique members)
            )
        self.table = self._per_arm(table)

    @staticmethod
    def _per_arm(table: pd.DataFrame) -> pd.DataFrame:
        """Sum the (arm, overlap) rows of each arm; arms without units get n = 0."""
        summed = table.groupby(level="arm").agg(
            {
                c: ("min" if c.startswith("min(") else "max" if c.startswith("max(") else "sum")
                for c in table.columns
            }
        )
        out: pd.DataFrame = summed.reindex(_ARMS)
        out["n"] = out["n"].fillna(0).astype(np.int64)
        return out

    def _check_exposure(self, event: str) -> None:
        names = list(map(str, self.events.event_names))
        if event not in names:
            close = did_you_mean(event, names)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise InvalidParameterError(
                f"evaluate: the exposure event {event!r} is not in the log.{hint}"
            )

    def _holdout_units(self, start_ns: int) -> pd.Index:
        """Return the holdout's units: the audience at launch, else who had an event before."""
        if self.campaign.audience is not None:
            from useropslib.segments import members

            ids = members(
                self.events,
                self.campaign.audience,
                as_of=pd.Timestamp(start_ns - 1, tz="UTC"),
            )
            units: pd.Index = pd.Index(ids).unique()
            return units
        return self.events.user_ids(end=_stamp(start_ns - 1))

    def _add(self, cols: dict[str, Any], col: tuple[Any, str, bool], lo: int, hi: int) -> str:
        names, how, binary = col
        key = (names, "any" if binary else how, lo, hi)
        if key not in self._names:
            name = f"c{len(self._names)}"
            self._names[key] = name
            cols[name] = (None if names is None else list(names), _stamp(lo), _stamp(hi), key[1])
        return self._names[key]

    def sizes(self) -> tuple[int, int, dict[str, Any]]:
        """Treated and control units, and the description of the arms."""
        n = self.table["n"]
        control = self.campaign.control
        if self.assignment is not None:
            info: dict[str, Any] = {"source": "assignment"}
        elif isinstance(control, HoldoutControl):
            info = {"source": "holdout", "share": control.share}
        else:
            assert isinstance(control, ExposureControl)
            info = {"source": "exposure", "event": control.event, "overlap": self.overlap}
        return int(n["treatment"]), int(n["control"]), info

    def column(self, spec: Any) -> tuple[Any, str, bool]:
        """Return the (events, how, binary) total of a goal metric (or a purchase's revenue)."""
        col = _column(spec)
        if col is None and getattr(spec, "kind", None) == "revenue":
            col = (tuple(spec.purchase_event), "sum", False)
        assert col is not None
        return col

    def statistics(
        self, spec: Any, *, start_ns: int, end_ns: int, pre: tuple[int, int] | None = None
    ) -> tuple[pd.DataFrame, bool, bool]:
        """Per-arm statistics of ``spec`` as :func:`arm_statistics` gives them.

        Returns the frame (arms control, treatment), whether the outcome is 0/1 and whether the
        pre-period covariate was used (``pre`` given and the covariate varies across units).
        """
        col = self.column(spec)
        t = self.table
        y = self._names[(col[0], "any" if col[2] else col[1], start_ns, end_ns)]
        data: dict[str, Any] = {
            "n": t["n"].to_numpy(np.int64),
            "sum": t[f"sum({y})"].to_numpy(np.float64),
            "sum_squares": t[f"sum({y}^2)"].to_numpy(np.float64),
        }
        data["conversions"] = data["sum"]
        used = False
        if pre is not None:
            x = self._names[(col[0], "any" if col[2] else col[1], pre[0], pre[1])]
            used = bool(t[f"max({x})"].max() > t[f"min({x})"].min())
            if used:
                data["pre_sum"] = t[f"sum({x})"].to_numpy(np.float64)
                data["pre_sum_squares"] = t[f"sum({x}^2)"].to_numpy(np.float64)
                data["cross_sum"] = t[f"sum({y}*{x})"].to_numpy(np.float64)
        out = pd.DataFrame(data, index=pd.Index(_ARMS, name="arm"))
        return out, col[2], used

    def window_spec(
        self, spec: Any, start_ns: int, end_ns: int
    ) -> tuple[Any, Any, Any, Literal["count", "sum"]]:
        """Return the :meth:`LazyEventLog.user_totals` column of ``spec`` over the window."""
        names, how, _ = self.column(spec)
        kind: Literal["count", "sum"] = "sum" if how == "sum" else "count"
        return (None if names is None else list(names), _stamp(start_ns), _stamp(end_ns), kind)


def _given_arms(assignment: Any) -> pd.Series:
    """Return the arms given to ``evaluate``: a categorical Series (control, treatment) by id.

    No per-user Python work: the labels are coded in one pass (free when they are already
    categorical) and the ids are left as they are, to be handed to the engine.
    """
    labels = assignment if isinstance(assignment, pd.Series) else pd.Series(assignment)
    # one hash pass over the labels (free when they are categorical), then a lookup of the few
    # distinct values; a missing label is coded -1 and reported as bad
    codes, uniques = pd.factorize(labels)
    known = [u in _ARMS if isinstance(u, str) else False for u in uniques]
    missing = bool((codes < 0).any())
    if missing or not all(known):
        bad = [str(u) for u, ok in zip(uniques, known, strict=True) if not ok]
        bad += [str(v) for v in labels[codes < 0].unique()] if missing else []
        raise InvalidParameterError(
            f"assignment values must be 'treatment' or 'control', got {sorted(set(bad))[:5]}."
        )
    lookup = np.array([_ARMS.index(str(u)) for u in uniques], dtype=np.int8)
    coded = pd.Categorical.from_codes(lookup[codes], categories=pd.Index(_ARMS))
    out: pd.Series = pd.Series(coded, index=labels.index, name="arm")
    return out


def _stamp(ns: int) -> pd.Timestamp:
    out: pd.Timestamp = pd.Timestamp(ns, tz="UTC")
    return out
