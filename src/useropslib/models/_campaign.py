"""A campaign (活动) plan as data: goals, audience, channels, budget, phases, funnel, control group.

Examples
--------
>>> from useropslib.models import Campaign, Goal, HoldoutControl, NewUsersSpec
>>> camp = Campaign(
...     id="spring-24", name="Spring signup push", type="acquisition",
...     primary_goal=Goal(kind="acquisition", metric=NewUsersSpec(event="signup"),
...                       target=1200, start="2024-03-01", deadline="2024-04-01"),
...     channels=[{"name": "push", "cost_per_contact": 0.01, "expected_reach": 50000}],
...     budget=[{"item": "creative", "amount": 2000, "currency": "USD"}],
...     control=HoldoutControl(share=0.1, salt="spring-24"),
... )
>>> camp.total_budget, camp.control.kind
(2000.0, 'holdout')
>>> Campaign.model_validate_json(camp.model_dump_json()) == camp
True
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from typing_extensions import Self

from useropslib.models._goal import Goal
from useropslib.models._metric import event_name_tuple
from useropslib.models._segment import Segment

__all__ = [
    "CAMPAIGN_TYPES",
    "FUNNEL_STAGES",
    "PHASES",
    "BudgetLine",
    "Campaign",
    "CampaignType",
    "Channel",
    "ControlGroup",
    "ExposureControl",
    "HoldoutControl",
    "ParticipationFunnel",
    "Phase",
    "PhaseName",
]

CampaignType: TypeAlias = Literal[
    "acquisition", "activation", "retention", "conversion", "recall", "promotion", "brand"
]
"""What kind of campaign: 拉新, 促活, 留存, 转化, 召回, 促销, 品牌."""

CAMPAIGN_TYPES: tuple[str, ...] = (
    "acquisition",
    "activation",
    "retention",
    "conversion",
    "recall",
    "promotion",
    "brand",
)

PhaseName: TypeAlias = Literal["plan", "warm_up", "launch", "review"]
"""The phases of a campaign, in order: 策划, 预热, 上线, 复盘."""

PHASES: tuple[str, ...] = ("plan", "warm_up", "launch", "review")

FUNNEL_STAGES: tuple[str, ...] = ("attention", "interest", "weigh", "action")
"""The participation funnel's stages, in order (注意 → 兴趣 → 权衡 → 行动)."""


def _money(value: float, field: str) -> float:
    if not math.isfinite(value) or value < 0:
        raise ValueError(
            f"{field} must be a finite number >= 0, got {value!r}; costs and budgets are "
            f"non-negative amounts (record income as value, not as negative cost)"
        )
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Channel(_Frozen):
    """A channel the campaign reaches people through, with its costs.

    Parameters
    ----------
    name : str
        E.g. ``"push"``, ``"email"``, ``"sms"``, ``"ads"``.
    cost_per_contact : float, default 0
        Variable cost per person reached; >= 0.
    fixed_cost : float, default 0
        Cost independent of reach (set-up, creative); >= 0.
    expected_reach : int, default 0
        People the channel is expected to reach; >= 0.
    """

    name: str = Field(min_length=1)
    cost_per_contact: float = 0.0
    fixed_cost: float = 0.0
    expected_reach: int = 0

    @field_validator("cost_per_contact", "fixed_cost", "expected_reach")
    @classmethod
    def _nonnegative(cls, value: float, info: Any) -> float:
        return _money(value, f"channel {info.field_name}")

    @property
    def expected_cost(self) -> float:
        """``fixed_cost + cost_per_contact * expected_reach``."""
        return self.fixed_cost + self.cost_per_contact * self.expected_reach


class BudgetLine(_Frozen):
    """One line of the campaign's budget.

    Parameters
    ----------
    item : str
        What the money is for (``"creative"``, ``"coupons"``).
    amount : float
        >= 0.
    currency : str, default "USD"
        ISO 4217 code (three letters); every line of a campaign uses the campaign's currency.
    channel : str, optional
        The channel the line belongs to, if any.
    """

    item: str = Field(min_length=1)
    amount: float
    currency: str = "USD"
    channel: str | None = None

    @field_validator("amount")
    @classmethod
    def _nonnegative(cls, value: float) -> float:
        return _money(value, "budget amount")

    @field_validator("currency")
    @classmethod
    def _code(cls, value: str) -> str:
        code = value.strip().upper()
        if len(code) != 3 or not code.isalpha() or not code.isascii():
            raise ValueError(
                f"currency must be a three-letter ISO 4217 code such as 'USD' or 'CNY', got "
                f"{value!r}"
            )
        return code


class Phase(_Frozen):
    """A phase of the campaign, ``[start, end)``.

    Parameters
    ----------
    name : {"plan", "warm_up", "launch", "review"}
    start, end : datetime
        ``end`` after ``start``.
    """

    name: PhaseName
    start: dt.datetime
    end: dt.datetime

    @model_validator(mode="after")
    def _order(self) -> Self:
        try:
            bad = self.end <= self.start
        except TypeError:
            raise ValueError(
                f"phase {self.name!r} mixes naive and time-zone-aware datetimes"
            ) from None
        if bad:
            raise ValueError(
                f"phase {self.name!r} ends at {self.end.isoformat()}, not after its start "
                f"{self.start.isoformat()}"
            )
        return self


class ParticipationFunnel(_Frozen):
    """The participation funnel attention → interest → weigh → action, as event names.

    Each stage is one event name or several (any of them counts).  ``action`` is required and
    at least one earlier stage; stages may be left out (None).

    Parameters
    ----------
    attention, interest, weigh, action : str or sequence of str
        E.g. ``attention="banner_view"``, ``interest="landing_view"``, ``weigh="add_to_cart"``,
        ``action="purchase"``.
    """

    attention: tuple[str, ...] | None = None
    interest: tuple[str, ...] | None = None
    weigh: tuple[str, ...] | None = None
    action: tuple[str, ...]

    @field_validator("attention", "interest", "weigh", mode="before")
    @classmethod
    def _stage(cls, value: Any, info: Any) -> Any:
        return event_name_tuple(value, info.field_name)

    @field_validator("action", mode="before")
    @classmethod
    def _action(cls, value: Any) -> Any:
        return event_name_tuple(value, "action", allow_none=False)

    @model_validator(mode="after")
    def _two(self) -> Self:
        if not self.stages[:-1]:
            raise ValueError(
                "the participation funnel needs `action` and at least one earlier stage "
                "(attention, interest or weigh)"
            )
        return self

    @property
    def stages(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The given stages in order, as ``(stage name, event names)`` pairs."""
        out = []
        for name in FUNNEL_STAGES:
            value = getattr(self, name)
            if value is not None:
                out.append((name, value))
        return tuple(out)


class HoldoutControl(_Frozen):
    """A control group held out by a hash of the user id: deterministic and stable.

    A user is in control when ``hash(salt, user_id)``, mapped to [0, 1), is below ``share``.
    The same id always lands in the same arm, on every machine and run, and adding users never
    moves existing ones.  See :func:`useropslib.campaigns.assign`.

    Parameters
    ----------
    share : float
        The control share, strictly between 0 and 1.
    salt : str
        Makes the split independent of other campaigns' splits (use the campaign id).
    """

    kind: Literal["holdout"] = "holdout"
    share: float
    salt: str = Field(min_length=1)

    @field_validator("share")
    @classmethod
    def _share(cls, value: float) -> float:
        if not 0 < value < 1:
            raise ValueError(
                f"holdout share must be strictly between 0 and 1, got {value!r}; e.g. 0.1 holds "
                f"out 10 % of the audience (write percentages as fractions)"
            )
        return value


class ExposureControl(_Frozen):
    """Arms read from exposure events: the variant property of an exposure event per user.

    Parameters
    ----------
    event : str
        The exposure event (``"campaign_exposure"``).
    variant_property : str, default "variant"
        The event property naming the arm.
    control_values : str or sequence of str, default ("control",)
        Values of the property that mean control; any other value is treatment.
    """

    kind: Literal["exposure"] = "exposure"
    event: str = Field(min_length=1)
    variant_property: str = Field(default="variant", min_length=1)
    control_values: tuple[str, ...] = ("control",)

    @field_validator("control_values", mode="before")
    @classmethod
    def _values(cls, value: Any) -> Any:
        return event_name_tuple(value, "control_values", allow_none=False)


ControlGroup: TypeAlias = Annotated[HoldoutControl | ExposureControl, Field(discriminator="kind")]
"""The control definition of a campaign: a hash holdout or exposure events."""


class Campaign(_Frozen):
    """A campaign plan: exactly one primary goal, audience, channels, budget, phases, control.

    Parameters
    ----------
    id : str
        A stable identifier (also a good holdout salt).
    name : str
    type : {"acquisition", "activation", "retention", "conversion", "recall", "promotion", "brand"}
    primary_goal : Goal
        Exactly one, with a metric (one primary goal per campaign).
    secondary_goals : sequence of Goal, default ()
    audience : Segment, optional
        Who the campaign targets (evaluated by :func:`useropslib.segments.members`).
    channels : sequence of Channel, default ()
        Distinct names.
    budget : sequence of BudgetLine, default ()
        Every line in ``currency``.
    currency : str, optional
        ISO 4217 code of every cost of the campaign.  Default: the budget lines' currency, or
        ``"USD"``.
    reward_per_participant : float, default 0
        Incentive cost per participant (coupon, points); >= 0.
    phases : sequence of Phase, default ()
        In the order plan, warm_up, launch, review; each at most once; not overlapping.
    funnel : ParticipationFunnel, optional
    control : HoldoutControl or ExposureControl, optional
        None: no control group (effect only from a counterfactual).
    """

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    type: CampaignType
    primary_goal: Goal
    secondary_goals: tuple[Goal, ...] = ()
    audience: Segment | None = None
    channels: tuple[Channel, ...] = ()
    budget: tuple[BudgetLine, ...] = ()
    currency: str | None = None
    reward_per_participant: float = 0.0
    phases: tuple[Phase, ...] = ()
    funnel: ParticipationFunnel | None = None
    control: ControlGroup | None = None

    @field_validator("primary_goal", mode="before")
    @classmethod
    def _one_primary(cls, value: Any) -> Any:
        if value is None:
            raise ValueError(
                "a campaign needs exactly one primary goal, got None; give primary_goal=Goal(...)"
            )
        if isinstance(value, list | tuple):
            raise ValueError(
                f"a campaign has exactly one primary goal, got {len(value)}; keep the one the "
                f"campaign is judged by as primary_goal and pass the others as secondary_goals"
            )
        return value

    @field_validator("primary_goal")
    @classmethod
    def _has_metric(cls, value: Goal) -> Goal:
        if value.metric is None:
            raise ValueError(
                "the primary goal has no metric; a campaign is judged by it, so give "
                "metric=... (e.g. NewUsersSpec(), ConversionSpec(steps=[...]))"
            )
        return value

    @field_validator("reward_per_participant")
    @classmethod
    def _reward(cls, value: float) -> float:
        return _money(value, "reward_per_participant")

    @field_validator("currency")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return BudgetLine(item="_", amount=0, currency=value).currency

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        names = [c.name for c in self.channels]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"channel names must be distinct, got {dup} more than once")
        currencies = sorted({b.currency for b in self.budget})
        if self.currency is None:
            if len(currencies) > 1:
                raise ValueError(
                    f"budget lines mix currencies {currencies}; convert them to one currency "
                    f"(and set currency=...)"
                )
            object.__setattr__(self, "currency", currencies[0] if currencies else "USD")
        elif currencies and currencies != [self.currency]:
            raise ValueError(
                f"budget lines use {currencies} but the campaign's currency is "
                f"{self.currency!r}; convert them or set currency= to theirs"
            )
        known = set(names)
        for line in self.budget:
            if line.channel is not None and line.channel not in known:
                raise ValueError(
                    f"budget line {line.item!r} names channel {line.channel!r}, which is not "
                    f"among the campaign's channels {names}"
                )
        seen: list[str] = []
        for phase in self.phases:
            if phase.name in seen:
                raise ValueError(f"phase {phase.name!r} appears twice; each phase at most once")
            if seen and PHASES.index(phase.name) < PHASES.index(seen[-1]):
                raise ValueError(
                    f"phases are out of order: {phase.name!r} after {seen[-1]!r}; give them in "
                    f"the order {list(PHASES)}"
                )
            seen.append(phase.name)
        for a, b in zip(self.phases, self.phases[1:], strict=False):
            try:
                overlap = b.start < a.end
            except TypeError:
                raise ValueError("phases mix naive and time-zone-aware datetimes") from None
            if overlap:
                raise ValueError(
                    f"phases overlap: {a.name!r} ends {a.end.isoformat()} after {b.name!r} "
                    f"starts {b.start.isoformat()}; phases are [start, end) and must not overlap"
                )
        return self

    @property
    def goals(self) -> tuple[Goal, ...]:
        """The primary goal followed by the secondary goals."""
        return (self.primary_goal, *self.secondary_goals)

    @property
    def total_budget(self) -> float:
        """The sum of the budget lines."""
        return float(sum(b.amount for b in self.budget))

    def phase(self, name: PhaseName) -> Phase | None:
        """Return the phase called ``name``, or None when the plan has none.

        Parameters
        ----------
        name : {"plan", "warm_up", "launch", "review"}

        Returns
        -------
        Phase or None
        """
        for p in self.phases:
            if p.name == name:
                return p
        return None
