"""KPI specifications (指标): what a goal, a key result or a campaign measures, as data.

A :data:`MetricSpec` is one of the frozen models below, told apart by its ``kind`` field (a
pydantic discriminated union), so a goal stored as JSON keeps its metric and the metric's
convention.  Evaluation on an event log lives in :func:`useropslib.campaigns.measure`, which calls
the metric functions of :mod:`useropslib.metrics` and :mod:`useropslib.churn`.

Examples
--------
>>> from pydantic import TypeAdapter
>>> spec = ConversionSpec(steps=["signup", "purchase"], window="7D")
>>> spec.required_events(), spec.unit, spec.additive
(('signup', 'purchase'), 'rate', False)
>>> adapter = TypeAdapter(MetricSpec)
>>> adapter.validate_json(adapter.dump_json(spec)) == spec
True
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal, TypeAlias

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    field_validator,
    model_validator,
)
from typing_extensions import Self

from useropslib.exceptions import InvalidParameterError
from useropslib.models._churn import ChurnDefinition
from useropslib.models._types import name_list, parse_window

__all__ = [
    "MESSAGE_RATES",
    "METRIC_KINDS",
    "ARPPUSpec",
    "ARPUSpec",
    "ActiveUsersSpec",
    "ChurnRateSpec",
    "ConversionSpec",
    "MessageRateSpec",
    "MetricKind",
    "MetricSpec",
    "MetricUnit",
    "NewUsersSpec",
    "OrdersSpec",
    "PayingUsersSpec",
    "ReactivatedUsersSpec",
    "RetentionSpec",
    "RevenueSpec",
    "metric_spec_adapter",
]

MetricUnit: TypeAlias = Literal["users", "count", "rate", "money", "money_per_user"]
"""What a metric's value counts: users, events, a share in [0, 1], money, money per user."""

MetricKind: TypeAlias = Literal[
    "new_users",
    "active_users",
    "retention",
    "conversion",
    "revenue",
    "arpu",
    "arppu",
    "paying_users",
    "orders",
    "reactivated_users",
    "churn_rate",
    "message_rate",
]
"""The ``kind`` discriminator of every :data:`MetricSpec`."""

METRIC_KINDS: tuple[str, ...] = (
    "new_users",
    "active_users",
    "retention",
    "conversion",
    "revenue",
    "arpu",
    "arppu",
    "paying_users",
    "orders",
    "reactivated_users",
    "churn_rate",
    "message_rate",
)
"""Every metric kind, in documentation order."""

MESSAGE_RATES: tuple[str, ...] = (
    "delivery_rate",
    "open_rate",
    "click_rate",
    "click_through_rate",
    "return_rate",
    "return_rate_delivered",
)
"""The named rates of :class:`MessageRateSpec` (those of ``useropslib.metrics.message_funnel``)."""

MessageRate: TypeAlias = Literal[
    "delivery_rate",
    "open_rate",
    "click_rate",
    "click_through_rate",
    "return_rate",
    "return_rate_delivered",
]


def event_name_tuple(value: Any, field: str, *, allow_none: bool = True) -> tuple[str, ...] | None:
    """Normalise one event name or several to a tuple of distinct non-empty names."""
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"{field} must name at least one event, got None")
    names = name_list(value, field)
    if not names:
        raise ValueError(
            f"{field} must name at least one event, got an empty list; "
            + ("pass None to count every event" if allow_none else "give the event name(s)")
        )
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{field} must be non-empty event names, got {name!r}")
    return tuple(dict.fromkeys(str(name) for name in names))


def _window(value: Any, field: str) -> Any:
    if isinstance(value, bool | int | float):
        raise ValueError(
            f"{field} must be a window such as '7D' or a timedelta, got the bare number "
            f"{value!r} (seconds or days?); write e.g. '{value}D'"
        )
    if isinstance(value, str) and not value.strip().upper().startswith(("P", "-P")):
        try:
            return parse_window(value)
        except InvalidParameterError as exc:
            raise ValueError(f"invalid {field}: {exc}") from None
    return value


def _positive_window(value: dt.timedelta, field: str) -> dt.timedelta:
    if value <= dt.timedelta(0):
        raise ValueError(f"{field} must be positive, got {value!r}; give e.g. '7D'")
    return value


class _Spec(BaseModel):
    """Behaviour shared by every metric spec."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit: ClassVar[MetricUnit] = "count"
    additive: ClassVar[bool] = False
    """True when the value over a range is the sum of its values over the range's parts."""

    def required_events(self) -> tuple[str, ...]:
        """Return the event names the log must contain for this metric (in order, once each).

        Returns
        -------
        tuple of str
            Empty when any event will do.
        """
        return ()

    @property
    def is_rate(self) -> bool:
        """True when the value is a share in [0, 1]."""
        return self.unit == "rate"

    @property
    def label(self) -> str:
        """A short human-readable name of the metric, e.g. ``"conversion signup -> purchase"``."""
        return str(getattr(self, "kind", type(self).__name__)).replace("_", " ")


class NewUsersSpec(_Spec):
    """New users (拉新): users whose first-ever qualifying event falls in the range.

    Parameters
    ----------
    event : str or sequence of str, optional
        The events that make a user "seen" (e.g. ``"signup"``).  Default: any event.
    """

    kind: Literal["new_users"] = "new_users"
    event: tuple[str, ...] | None = None
    unit: ClassVar[MetricUnit] = "users"
    additive: ClassVar[bool] = True

    @field_validator("event", mode="before")
    @classmethod
    def _event(cls, value: Any) -> Any:
        return event_name_tuple(value, "event")

    def required_events(self) -> tuple[str, ...]:
        return self.event or ()


class ActiveUsersSpec(_Spec):
    """Active users (活跃): the mean number of users active per ``window`` over the range.

    Parameters
    ----------
    window : str, default "day"
        ``"day"`` (mean DAU), ``"week"`` or ``"month"`` (mean calendar WAU / MAU), or a rolling
        window of whole days such as ``"7D"`` or ``"30D"`` (mean of the daily rolling count).
    activity_events : str or sequence of str, optional
        The events that count as activity.  Default: any event.  (Read from ``event`` too,
        its earlier name, so stored specs still load.)
    """

    kind: Literal["active_users"] = "active_users"
    window: str = "day"
    activity_events: tuple[str, ...] | None = Field(
        default=None, validation_alias=AliasChoices("activity_events", "event")
    )
    unit: ClassVar[MetricUnit] = "users"

    @field_validator("window", mode="before")
    @classmethod
    def _window(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("day", "week", "month"):
            return value.strip().lower()
        td = _window(value, "window")
        if not isinstance(td, dt.timedelta) or td <= dt.timedelta(0) or td % dt.timedelta(days=1):
            raise ValueError(
                f"window must be 'day', 'week', 'month' or a whole number of days such as '7D', "
                f"got {value!r}"
            )
        return f"{td.days}D"

    @field_validator("activity_events", mode="before")
    @classmethod
    def _event(cls, value: Any) -> Any:
        return event_name_tuple(value, "activity_events")

    def required_events(self) -> tuple[str, ...]:
        return self.activity_events or ()


class RetentionSpec(_Spec):
    """Retention (留存) at period ``k``: the cohort-weighted share of users back ``k`` periods on.

    Cohorts are the periods whose start falls in the measured range.  Conventions are those of
    :func:`useropslib.metrics.retention` (``cohort``, ``mode``).

    Parameters
    ----------
    period : {"day", "week", "month"}, default "week"
    k : int, default 1
        Which period after the cohort's (``1``: the next one).  At least 1.
    cohort : {"first_time", "recurring"}, default "first_time"
    mode : {"on", "on_or_after"}, default "on"
    start_event, return_event : str or sequence of str, optional
        Events that start a cohort and that count as a return.  Default: any event.
    """

    kind: Literal["retention"] = "retention"
    period: Literal["day", "week", "month"] = "week"
    k: int = Field(default=1, ge=1)
    cohort: Literal["first_time", "recurring"] = "first_time"
    mode: Literal["on", "on_or_after"] = "on"
    start_event: tuple[str, ...] | None = None
    return_event: tuple[str, ...] | None = None
    unit: ClassVar[MetricUnit] = "rate"

    @field_validator("start_event", "return_event", mode="before")
    @classmethod
    def _events(cls, value: Any) -> Any:
        return event_name_tuple(value, "start_event/return_event")

    def required_events(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*(self.start_event or ()), *(self.return_event or ()))))

    @property
    def label(self) -> str:
        return f"{self.period} {self.k} retention"


class ConversionSpec(_Spec):
    """Conversion rate (转化) through ``steps`` within ``window`` of the first step.

    The share of people who entered the funnel in the range (step 1) and reached the last step,
    with the conventions of :func:`useropslib.metrics.funnel` (inclusive window bound, best
    attempt).

    Parameters
    ----------
    steps : sequence of str
        At least two event names, in order.
    window : str or timedelta, default "14D"
        Conversion window from the first step.
    order : {"ordered", "strict", "unordered"}, default "ordered"
    """

    kind: Literal["conversion"] = "conversion"
    steps: tuple[str, ...]
    window: dt.timedelta = dt.timedelta(days=14)
    order: Literal["ordered", "strict", "unordered"] = "ordered"
    unit: ClassVar[MetricUnit] = "rate"

    @field_validator("steps", mode="before")
    @classmethod
    def _steps(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError(
                f"steps must be a list of at least two event names, got the single name {value!r}"
            )
        names = name_list(value, "steps") if value is not None else []
        for name in names:
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f"steps must be non-empty event names, got {name!r}")
        if len(names) < 2:
            raise ValueError(
                f"steps must name at least two events (entry and conversion), got {names!r}"
            )
        return tuple(names)

    @field_validator("window", mode="before")
    @classmethod
    def _window(cls, value: Any) -> Any:
        return _window(value, "window")

    @field_validator("window")
    @classmethod
    def _positive(cls, value: dt.timedelta) -> dt.timedelta:
        return _positive_window(value, "window")

    def required_events(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.steps))

    @property
    def label(self) -> str:
        return "conversion " + " -> ".join(self.steps)


class _Purchases(_Spec):
    purchase_event: tuple[str, ...] = ("purchase",)
    value_col: str | None = None

    @field_validator("purchase_event", mode="before")
    @classmethod
    def _purchase(cls, value: Any) -> Any:
        return event_name_tuple(value, "purchase_event", allow_none=False)

    def required_events(self) -> tuple[str, ...]:
        return self.purchase_event


class RevenueSpec(_Purchases):
    """Revenue (收入): the sum of the purchase events' values in the range.

    Parameters
    ----------
    purchase_event : str or sequence of str, default "purchase"
    value_col : str, optional
        The value column (default: the log's ``value``).
    """

    kind: Literal["revenue"] = "revenue"
    unit: ClassVar[MetricUnit] = "money"
    additive: ClassVar[bool] = True


class ARPUSpec(_Purchases):
    """Average revenue per active user (ARPU) in the range: revenue / active users.

    Parameters
    ----------
    purchase_event : str or sequence of str, default "purchase"
    value_col : str, optional
    activity_events : str or sequence of str, optional
        The events that make a user active.  Default: any event.  (Read from ``active_event``
        too, its earlier name.)
    """

    kind: Literal["arpu"] = "arpu"
    activity_events: tuple[str, ...] | None = Field(
        default=None, validation_alias=AliasChoices("activity_events", "active_event")
    )
    unit: ClassVar[MetricUnit] = "money_per_user"

    @field_validator("activity_events", mode="before")
    @classmethod
    def _active(cls, value: Any) -> Any:
        return event_name_tuple(value, "activity_events")

    def required_events(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.purchase_event, *(self.activity_events or ()))))


class ARPPUSpec(_Purchases):
    """Average revenue per paying user (ARPPU) in the range: revenue / paying users."""

    kind: Literal["arppu"] = "arppu"
    unit: ClassVar[MetricUnit] = "money_per_user"


class PayingUsersSpec(_Purchases):
    """Paying users (付费用户): distinct users with a purchase event in the range."""

    kind: Literal["paying_users"] = "paying_users"
    unit: ClassVar[MetricUnit] = "users"


class OrdersSpec(_Purchases):
    """Orders: the number of purchase events in the range."""

    kind: Literal["orders"] = "orders"
    unit: ClassVar[MetricUnit] = "count"
    additive: ClassVar[bool] = True


class ReactivatedUsersSpec(_Spec):
    """Reactivated (回流, resurrected) users: active in a period after at least one silent period.

    The "resurrecting" state of :func:`useropslib.metrics.lifecycle`, summed over the periods
    that start in the range.

    Parameters
    ----------
    period : {"day", "week", "month"}, default "week"
    activity_events : str or sequence of str, optional
        The events that count as activity.  Default: any event.  (Read from ``event`` too,
        its earlier name, so stored specs still load.)
    """

    kind: Literal["reactivated_users"] = "reactivated_users"
    period: Literal["day", "week", "month"] = "week"
    activity_events: tuple[str, ...] | None = Field(
        default=None, validation_alias=AliasChoices("activity_events", "event")
    )
    unit: ClassVar[MetricUnit] = "users"
    additive: ClassVar[bool] = True

    @field_validator("activity_events", mode="before")
    @classmethod
    def _event(cls, value: Any) -> Any:
        return event_name_tuple(value, "activity_events")

    def required_events(self) -> tuple[str, ...]:
        return self.activity_events or ()


class ChurnRateSpec(_Spec):
    """Churn rate (流失率) under a :class:`~useropslib.models.ChurnDefinition`.

    The churned users over the active base, pooled over the periods that start in the range
    (the convention of :func:`useropslib.churn.churn_rate`).

    Parameters
    ----------
    definition : ChurnDefinition
    period : {"day", "week", "month"}, default "month"
    """

    kind: Literal["churn_rate"] = "churn_rate"
    definition: ChurnDefinition
    period: Literal["day", "week", "month"] = "month"
    unit: ClassVar[MetricUnit] = "rate"

    def required_events(self) -> tuple[str, ...]:
        return self.definition.activity_events or ()


_RATE_STAGES: dict[str, tuple[str, ...]] = {
    "delivery_rate": ("delivered",),
    "open_rate": ("delivered", "opened"),
    "click_rate": ("delivered", "clicked"),
    "click_through_rate": ("opened", "clicked"),
    "return_rate": (),
    "return_rate_delivered": ("delivered",),
}


class MessageRateSpec(_Spec):
    """A message rate (召回 by email / SMS / push) with a named denominator.

    The rates and their denominators are those of
    ``useropslib.metrics.RATE_DEFINITIONS`` (``open_rate`` = opened / delivered ...),
    counted over the users first sent a message in the range.

    Parameters
    ----------
    rate : str, default "return_rate"
        One of :data:`MESSAGE_RATES`.
    sent, delivered, opened, clicked : str or None
        Event names of each stage (``delivered``/``opened``/``clicked`` may be None).
    return_event : str or sequence of str, optional
    return_within : str or timedelta, default "7D"
    channel : str, optional
        Keep only messages whose ``channel`` property equals this.
    campaign : str, optional
        Keep only messages whose ``campaign`` property equals this.
    """

    kind: Literal["message_rate"] = "message_rate"
    rate: MessageRate = "return_rate"
    sent: str = "message_sent"
    delivered: str | None = "message_delivered"
    opened: str | None = "message_opened"
    clicked: str | None = "message_clicked"
    return_event: tuple[str, ...] | None = None
    return_within: dt.timedelta = dt.timedelta(days=7)
    channel: str | None = None
    campaign: str | None = None
    unit: ClassVar[MetricUnit] = "rate"

    @field_validator("return_event", mode="before")
    @classmethod
    def _events(cls, value: Any) -> Any:
        return event_name_tuple(value, "return_event")

    @field_validator("return_within", mode="before")
    @classmethod
    def _within(cls, value: Any) -> Any:
        return _window(value, "return_within")

    @field_validator("return_within")
    @classmethod
    def _positive(cls, value: dt.timedelta) -> dt.timedelta:
        return _positive_window(value, "return_within")

    @model_validator(mode="after")
    def _stages(self) -> Self:
        for stage in _RATE_STAGES[self.rate]:
            if getattr(self, stage) is None:
                raise ValueError(
                    f"rate={self.rate!r} needs the {stage!r} stage, which is None; name its "
                    f"event ({stage}='message_{stage}') or pick another rate"
                )
        return self

    def required_events(self) -> tuple[str, ...]:
        names = [self.sent]
        names.extend(getattr(self, stage) for stage in _RATE_STAGES[self.rate])
        names.extend(self.return_event or ())
        return tuple(dict.fromkeys(names))

    @property
    def label(self) -> str:
        return self.rate.replace("_", " ")


MetricSpec: TypeAlias = Annotated[
    NewUsersSpec
    | ActiveUsersSpec
    | RetentionSpec
    | ConversionSpec
    | RevenueSpec
    | ARPUSpec
    | ARPPUSpec
    | PayingUsersSpec
    | OrdersSpec
    | ReactivatedUsersSpec
    | ChurnRateSpec
    | MessageRateSpec,
    Field(discriminator="kind"),
]
"""Any KPI specification, told apart by ``kind``."""

metric_spec_adapter: TypeAdapter[MetricSpec] = TypeAdapter(MetricSpec)
"""Validate, dump and publish the JSON Schema of a bare :data:`MetricSpec`.

Examples
--------
>>> metric_spec_adapter.validate_python({"kind": "revenue"})
RevenueSpec(kind='revenue', purchase_event=('purchase',), value_col=None)
"""
