"""Goals (目标) and OKRs (目标与关键结果) as data: a KPI, a baseline, a target and a deadline.

Computations on the log (SMART check, progress, grading, pacing) live in
:mod:`useropslib.campaigns`.

Examples
--------
>>> import datetime as dt
>>> from useropslib.models import Goal, NewUsersSpec
>>> goal = Goal(kind="acquisition", metric=NewUsersSpec(event="signup"), baseline=1000,
...             target=1200, start="2024-03-01", deadline="2024-04-01")
>>> goal.direction, goal.window_days
('increase', 31.0)
>>> Goal.model_validate_json(goal.model_dump_json()) == goal
True
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from typing_extensions import Self

from useropslib.models._metric import MetricSpec

__all__ = [
    "GOAL_KINDS",
    "Commitment",
    "Direction",
    "Goal",
    "GoalKind",
    "KeyResult",
    "OKRSet",
    "Objective",
]

GoalKind: TypeAlias = Literal[
    "acquisition", "activation", "retention", "conversion", "revenue", "recall", "brand"
]
"""What a goal is about: 拉新, 促活, 留存, 转化, 收入, 召回, 品牌."""

GOAL_KINDS: tuple[str, ...] = (
    "acquisition",
    "activation",
    "retention",
    "conversion",
    "revenue",
    "recall",
    "brand",
)
"""Every goal kind."""

Direction: TypeAlias = Literal["increase", "decrease"]
"""Whether the goal wants the metric up (most KPIs) or down (churn rate, cost)."""

Commitment: TypeAlias = Literal["committed", "aspirational"]
"""An OKR objective is committed (expected at 1.0) or aspirational (0.6-0.7 is the sweet spot)."""


def _finite(value: float | None, field: str) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ValueError(f"{field} must be a finite number, got {value!r}")
    return value


def _check_rate(value: float | None, field: str, metric: Any) -> None:
    if value is not None and metric is not None and metric.is_rate and not 0 <= value <= 1:
        raise ValueError(
            f"{field}={value!r} is not a share in [0, 1], but the metric {metric.label!r} is a "
            f"rate; write percentages as fractions (e.g. 0.25 for 25 %)"
        )


class Goal(BaseModel):
    """A goal: a qualitative aim plus a quantitative KPI with a baseline, a target and a deadline.

    The goal's window is ``[start, deadline)`` (half-open: give the instant after the last day,
    e.g. ``deadline="2024-04-01"`` for a March goal).  Naive datetimes are read in the event
    log's time zone when measured.

    Parameters
    ----------
    kind : {"acquisition", "activation", "retention", "conversion", "revenue", "recall", "brand"}
        What the goal is about.  Optional so that drafts can be stored;
        :func:`useropslib.campaigns.smart_check` reports a goal without one as not specific.
    metric : MetricSpec, optional
        The KPI.  A draft may omit it (reported by ``smart_check``); every computation needs it.
    target : float
        The value to reach by the deadline.
    baseline : float, optional
        Where the metric stands (e.g. from :func:`useropslib.campaigns.target_from_history`).
        When given, the target must lie in ``direction`` from it.
    stretch_target : float, optional
        A more ambitious target, beyond ``target`` in ``direction``.
    direction : {"increase", "decrease"}, default "increase"
    start : datetime
        When the goal's window opens.
    deadline : datetime, optional
        When it closes (exclusive); after ``start``.  A goal without one is not time-bound.
    name, description : str, optional
        A short name, and the qualitative aim in words.

    Raises
    ------
    pydantic.ValidationError
        For a target on the wrong side of the baseline, a deadline not after the start, a rate
        target outside [0, 1], non-finite numbers, unknown fields.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: GoalKind | None = None
    metric: MetricSpec | None = None
    target: float
    baseline: float | None = None
    stretch_target: float | None = None
    direction: Direction = "increase"
    start: dt.datetime
    deadline: dt.datetime | None = None
    name: str | None = None
    description: str | None = None

    @field_validator("target", "baseline", "stretch_target")
    @classmethod
    def _finite(cls, value: float | None, info: Any) -> float | None:
        return _finite(value, info.field_name)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        up = self.direction == "increase"
        word = "above" if up else "below"
        if self.baseline is not None and (
            (self.target <= self.baseline) if up else (self.target >= self.baseline)
        ):
            other = "decrease" if up else "increase"
            raise ValueError(
                f"target={self.target!r} is not {word} baseline={self.baseline!r} for an "
                f"{self.direction!r} goal; set direction={other!r} if the metric should go "
                f"{'down' if up else 'up'}, or fix the target"
            )
        if self.stretch_target is not None and (
            (self.stretch_target <= self.target) if up else (self.stretch_target >= self.target)
        ):
            raise ValueError(
                f"stretch_target={self.stretch_target!r} is not {word} target={self.target!r}; "
                f"a stretch target lies beyond the target in the goal's direction"
            )
        if self.deadline is not None:
            try:
                before = self.deadline <= self.start
            except TypeError:
                raise ValueError(
                    "start and deadline mix naive and time-zone-aware datetimes; give both with "
                    "or both without a time zone"
                ) from None
            if before:
                raise ValueError(
                    f"deadline={self.deadline.isoformat()} is not after "
                    f"start={self.start.isoformat()}; the goal's window is [start, deadline)"
                )
        for field in ("target", "baseline", "stretch_target"):
            _check_rate(getattr(self, field), field, self.metric)
        return self

    @property
    def window_days(self) -> float | None:
        """Length of ``[start, deadline)`` in days, or None without a deadline."""
        if self.deadline is None:
            return None
        return (self.deadline - self.start) / dt.timedelta(days=1)

    @property
    def label(self) -> str:
        """The goal's name, or a description built from its kind and metric."""
        if self.name:
            return self.name
        metric = self.metric.label if self.metric is not None else "no metric"
        return f"{self.kind or 'goal'}: {metric} to {self.target:g}"


class KeyResult(BaseModel):
    """A key result (关键结果): numeric (a metric and a target) or binary (done or not).

    Parameters
    ----------
    text : str
        What the key result says ("Launch six new features").
    kind : {"numeric", "binary"}, optional
        Default: ``"numeric"`` when a ``target`` is given, else ``"binary"``.
    target : float, optional
        Numeric KRs: the value to reach (not 0 unless a ``baseline`` is given).
    baseline : float, optional
        Numeric KRs: when given, the grade is the share of the way from baseline to target;
        without it, ``achieved / target`` (the re:Work convention).
    direction : {"increase", "decrease"}, default "increase"
        A decreasing KR needs a ``baseline``.
    metric : MetricSpec, optional
        Numeric KRs: the KPI, so grades can be computed from the log.
    achieved : float, optional
        Numeric KRs: the value reached, when known without the log.
    done : bool, optional
        Binary KRs: whether it was done.
    weight : float, default 1.0
        Weight in the objective's grade; > 0.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    kind: Literal["numeric", "binary"] | None = None
    target: float | None = None
    baseline: float | None = None
    direction: Direction = "increase"
    metric: MetricSpec | None = None
    achieved: float | None = None
    done: bool | None = None
    weight: float = Field(default=1.0, gt=0, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _infer_kind(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("kind") is None:
            data = {**data, "kind": "numeric" if data.get("target") is not None else "binary"}
        return data

    @field_validator("target", "baseline", "achieved")
    @classmethod
    def _finite(cls, value: float | None, info: Any) -> float | None:
        return _finite(value, info.field_name)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.kind == "binary":
            extra = [f for f in ("target", "baseline", "metric", "achieved") if getattr(self, f)]
            if extra:
                raise ValueError(
                    f"binary key result {self.text!r} has {extra}; a binary KR only has `done`. "
                    f"Give kind='numeric' with a target instead"
                )
            return self
        if self.done is not None:
            raise ValueError(
                f"numeric key result {self.text!r} has done={self.done!r}; numeric KRs are graded "
                f"from `achieved` (or their metric); use kind='binary' for a done flag"
            )
        if self.target is None:
            raise ValueError(f"numeric key result {self.text!r} needs a target")
        if self.baseline is None:
            if self.direction == "decrease":
                raise ValueError(
                    f"key result {self.text!r} decreases but has no baseline; give baseline= so "
                    f"the grade can measure the way from baseline down to target"
                )
            if self.target <= 0:
                raise ValueError(
                    f"key result {self.text!r} has target={self.target!r}; achieved / target needs "
                    f"a positive target, or give baseline= to grade the way from baseline to target"
                )
        elif (self.target <= self.baseline) == (self.direction == "increase"):
            raise ValueError(
                f"key result {self.text!r}: target={self.target!r} is on the wrong side of "
                f"baseline={self.baseline!r} for direction={self.direction!r}"
            )
        _check_rate(self.target, "target", self.metric)
        return self


class Objective(BaseModel):
    """An objective: a qualitative aim with one to five key results.

    Parameters
    ----------
    text : str
    key_results : sequence of KeyResult
        One to five (a sixth is refused: few and focused).
    commitment : {"committed", "aspirational"}, default "aspirational"
        Committed objectives are expected to grade 1.0; aspirational ones 0.6-0.7.
    weight : float, default 1.0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    key_results: tuple[KeyResult, ...]
    commitment: Commitment = "aspirational"
    weight: float = Field(default=1.0, gt=0, allow_inf_nan=False)

    @field_validator("key_results")
    @classmethod
    def _count(cls, value: tuple[KeyResult, ...]) -> tuple[KeyResult, ...]:
        if not 1 <= len(value) <= 5:
            raise ValueError(
                f"an objective has 1 to 5 key results, got {len(value)}; "
                + (
                    "keep the few that measure the objective best (few and focused)"
                    if value
                    else "add at least one measurable key result"
                )
            )
        return value


class OKRSet(BaseModel):
    """A set of at most three objectives for one period (e.g. a quarter).

    Parameters
    ----------
    objectives : sequence of Objective
        One to three (a fourth is refused: few and focused).
    start, end : datetime, optional
        The OKR period ``[start, end)``, used to measure metric key results on the log.
    name : str, optional
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    objectives: tuple[Objective, ...]
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    name: str | None = None

    @field_validator("objectives")
    @classmethod
    def _count(cls, value: tuple[Objective, ...]) -> tuple[Objective, ...]:
        if not 1 <= len(value) <= 3:
            raise ValueError(
                f"an OKR set has 1 to 3 objectives, got {len(value)}; "
                + (
                    "merge or drop objectives (few and focused)"
                    if value
                    else "add at least one objective"
                )
            )
        return value

    @model_validator(mode="after")
    def _period(self) -> Self:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(
                f"end={self.end.isoformat()} is not after start={self.start.isoformat()}"
            )
        return self
