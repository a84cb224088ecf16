"""Segments (分群) stored as data: a name, a description and a tree of conditions.

A segment is a tree whose leaves are tag rules (:class:`TagRule`), user-property conditions
(:class:`PropertyCondition`), behavioural conditions on the event log (:class:`BehaviourCondition`)
and references to other segments (:class:`SegmentRef`), combined by :class:`AllOf` (AND),
:class:`AnyOf` (OR) and :class:`NoneOf` (NOT ... OR ...).  Every node is a frozen pydantic model
with a ``kind`` discriminator, so a segment serialises to JSON and back losslessly and publishes a
JSON Schema.  Evaluation lives in :func:`useropslib.segments.members`.

Examples
--------
>>> seg = Segment(
...     name="active_vip_cn",
...     condition=AllOf(
...         conditions=(
...             TagRule(rule="vip AND NOT churned"),
...             PropertyCondition(property="region", op="eq", value="cn"),
...             BehaviourCondition(event="purchase", comparison="at_least", times=3, window="30D"),
...         )
...     ),
... )
>>> str(seg)
"active_vip_cn: tags(vip AND NOT churned) AND region eq 'cn' AND performed purchase at least 3 times in the last 30 days"
>>> Segment.model_validate_json(seg.model_dump_json()) == seg
True
"""  # noqa: E501

from __future__ import annotations

import abc
import datetime as dt
import math
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from useropslib.exceptions import InvalidParameterError, did_you_mean
from useropslib.models._rule import MAX_RULE_DEPTH, RuleNode, parse_rule
from useropslib.models._types import parse_window

__all__ = [
    "PROPERTY_OPERATORS",
    "AllOf",
    "AnyOf",
    "BehaviourCondition",
    "BehaviourKind",
    "Comparison",
    "Condition",
    "NoneOf",
    "PropertyCondition",
    "PropertyOperator",
    "Segment",
    "SegmentRef",
    "TagRule",
]

Scalar: TypeAlias = str | bool | int | float
"""A property value a condition compares with."""

PropertyOperator: TypeAlias = Literal[
    "eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "contains", "is_set", "is_not_set"
]
"""The operators of a :class:`PropertyCondition`."""

PROPERTY_OPERATORS: tuple[str, ...] = (
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "in",
    "not_in",
    "contains",
    "is_set",
    "is_not_set",
)
"""Every operator a :class:`PropertyCondition` accepts, in canonical spelling."""

_OPERATOR_ALIASES: dict[str, str] = {
    "=": "eq",
    "==": "eq",
    "!=": "ne",
    "<>": "ne",
    "<": "lt",
    "<=": "le",
    ">": "gt",
    ">=": "ge",
    "not in": "not_in",
    "is set": "is_set",
    "is not set": "is_not_set",
}
_OP_WORDS: dict[str, str] = {
    "eq": "eq",
    "ne": "ne",
    "lt": "lt",
    "le": "le",
    "gt": "gt",
    "ge": "ge",
    "in": "in",
    "not_in": "not in",
    "contains": "contains",
    "is_set": "is set",
    "is_not_set": "is not set",
}

Comparison: TypeAlias = Literal["at_least", "at_most", "exactly"]
"""How a behavioural condition compares an event count with ``times``."""

BehaviourKind: TypeAlias = Literal["performed", "first_time", "stopped", "started_again"]
"""What a behavioural condition asks of a user's history; see :class:`BehaviourCondition`."""


class _Node(BaseModel):
    """Behaviour shared by every node of a condition tree."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __and__(self, other: Condition) -> AllOf:
        if not isinstance(other, _Node):
            return NotImplemented
        return AllOf(conditions=(self, other))

    def __or__(self, other: Condition) -> AnyOf:
        if not isinstance(other, _Node):
            return NotImplemented
        return AnyOf(conditions=(self, other))

    def __invert__(self) -> NoneOf:
        return NoneOf(conditions=(self,))

    @abc.abstractmethod
    def describe(self) -> str:
        """Return a one-line, human-readable description of the condition.

        Returns
        -------
        str

        Examples
        --------
        >>> (TagRule(rule="vip") & ~PropertyCondition(property="age", op="lt", value=18)).describe()
        'tags(vip) AND NOT age lt 18'
        """

    def __str__(self) -> str:
        return self.describe()


class TagRule(_Node):
    """Users whose tags satisfy a tag rule such as ``"vip AND (cn OR hk) AND NOT churned"``.

    Parameters
    ----------
    rule : str
        Rule text in the grammar of :func:`useropslib.models.parse_rule`; it is parsed when the
        model is built, so a malformed rule fails at once (a pydantic ``ValidationError`` whose
        message shows the position with a caret).

    Examples
    --------
    >>> TagRule(rule="vip and not churned").node.to_rule()
    'vip AND NOT churned'
    """

    kind: Literal["tag_rule"] = "tag_rule"
    rule: str

    @field_validator("rule")
    @classmethod
    def _parse(cls, value: str) -> str:
        parse_rule(value)  # RuleSyntaxError is a ValueError: pydantic reports it with the caret
        return value

    @property
    def node(self) -> RuleNode:
        """The parsed rule tree (parsed once and cached by :func:`parse_rule`)."""
        return parse_rule(self.rule)

    def describe(self) -> str:
        """Return ``tags(<canonical rule>)``.

        Returns
        -------
        str
        """
        return f"tags({self.node.to_rule()})"


class PropertyCondition(_Node):
    """A condition on a user property (a column of the ``users`` frame) or an event property.

    Parameters
    ----------
    property : str
        The property (column) name.
    op : str
        One of ``eq``, ``ne``, ``lt``, ``le``, ``gt``, ``ge``, ``in``, ``not_in``, ``contains``,
        ``is_set``, ``is_not_set``.  The spellings ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``,
        ``"not in"``, ``"is set"`` and ``"is not set"`` are accepted and stored canonically.
    value : str, bool, int, float or list of them, optional
        What to compare with: a list for ``in`` / ``not_in``, nothing for ``is_set`` /
        ``is_not_set``, a string for ``contains``, a single value otherwise.

    Notes
    -----
    A missing property (no row for the user, or a missing value) makes ``eq``, ``lt``, ``le``,
    ``gt``, ``ge``, ``in``, ``contains`` and ``is_set`` false.  ``ne``, ``not_in`` and
    ``is_not_set`` are exactly the complements of ``eq``, ``in`` and ``is_set``, so they are true
    for a missing property (as PostHog's "is not"; unlike SQL, where ``NULL <> x`` is unknown).
    ``contains`` is a case-sensitive substring test on text values; non-text values never
    contain anything.

    Examples
    --------
    >>> PropertyCondition(property="region", op="in", value=["cn", "hk"])
    PropertyCondition(kind='property', property='region', op='in', value=('cn', 'hk'))
    >>> PropertyCondition(property="age", op=">=", value=18).op
    'ge'
    """

    kind: Literal["property"] = "property"
    property: str = Field(min_length=1)
    op: PropertyOperator
    value: Scalar | tuple[Scalar, ...] | None = None

    @field_validator("op", mode="before")
    @classmethod
    def _canonical_op(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        low = " ".join(value.strip().lower().split())
        low = _OPERATOR_ALIASES.get(low, low)
        if low not in PROPERTY_OPERATORS:
            close = did_you_mean(low, PROPERTY_OPERATORS)
            hint = f"did you mean {close[0]!r}?" if close else "use one of them"
            raise ValueError(
                f"unsupported property operator {value!r}; expected one of "
                f"{list(PROPERTY_OPERATORS)} (or ==, !=, <, <=, >, >=). Hint: {hint}"
            )
        return low

    @field_validator("value", mode="before")
    @classmethod
    def _lists_to_tuples(cls, value: Any) -> Any:
        items = value if isinstance(value, (list, tuple, set, frozenset)) else (value,)
        if any(isinstance(v, float) and not math.isfinite(v) for v in items):
            raise ValueError(
                f"value {value!r} holds NaN or an infinity, which equals nothing and orders "
                "nothing. Hint: use op='is_not_set' to test for a missing value"
            )
        if isinstance(value, (list, set, frozenset)):
            return tuple(sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value)
        return value

    @model_validator(mode="after")
    def _value_fits_op(self) -> PropertyCondition:
        op, value = self.op, self.value
        if op in ("is_set", "is_not_set"):
            if value is not None:
                raise ValueError(
                    f"operator {op!r} takes no value, got value={value!r}. Hint: drop value"
                )
        elif op in ("in", "not_in"):
            if not isinstance(value, tuple) or not value:
                raise ValueError(
                    f"operator {op!r} needs a non-empty list of values, got value={value!r}. "
                    "Hint: pass e.g. value=['cn', 'hk']"
                )
        elif value is None or isinstance(value, tuple):
            raise ValueError(
                f"operator {op!r} needs a single value, got value={value!r}. Hint: use op='in' "
                "for a list of values, or op='is_set' to test presence"
            )
        elif op == "contains" and not isinstance(value, str):
            raise ValueError(
                f"operator 'contains' tests for a substring and needs a text value, got "
                f"{value!r}. Hint: use op='eq' for numbers"
            )
        return self

    def describe(self) -> str:
        """Return e.g. ``region in ('cn', 'hk')``.

        Returns
        -------
        str
        """
        word = _OP_WORDS[self.op]
        if self.value is None:
            return f"{self.property} {word}"
        return f"{self.property} {word} {self.value!r}"


class BehaviourCondition(_Node):
    """What a user did: an event counted within a time window before ``as_of``.

    Parameters
    ----------
    event : str or list of str
        The event name(s) counted (several names count together).
    where : list of PropertyCondition, optional
        Filters on *event* properties that a counted event must all satisfy, e.g.
        ``[PropertyCondition(property="channel", op="eq", value="app")]``.
    behaviour : {"performed", "first_time", "stopped", "started_again"}, default "performed"
        What is asked; see Notes.
    comparison : {"at_least", "at_most", "exactly"}, default "at_least"
        How the count is compared with ``times``.
    times : int, default 1
        The count to compare with (>= 0).
    window : str or datetime.timedelta, optional
        A rolling window ending at ``as_of``, such as ``"30D"``: the events ``as_of - window <
        time <= as_of``.
    start, end : datetime, optional
        Fixed dates instead of a rolling window: the events ``start <= time < end`` (either
        side may be open).  Naive values are read in the event log's time zone.  Cannot be
        combined with ``window``.
    gap : str or datetime.timedelta, optional
        For ``"started_again"`` only: the silence before the window; default the window's
        length.

    Notes
    -----
    Let *W* be the window (the whole history up to ``as_of`` when neither ``window`` nor
    ``start``/``end`` is given), *n_W* the number of matching events in *W* and *n_before* the
    number before *W*.  Events after ``as_of`` are never read, and a fixed window is cut at
    ``as_of``.

    - ``"performed"``: *n_W* compared with ``times``.  ``at_most`` / ``exactly 0`` include the
      users who never did it.
    - ``"first_time"``: *n_before* = 0 and *n_W* >= 1 and *n_W* compared with ``times``: the
      user's first such event ever falls in *W*.
    - ``"stopped"``: *n_before* compared with ``times`` (default: did it at least once before
      *W*) and *n_W* = 0.  Needs a window.
    - ``"started_again"``: at least one event before the gap *G* = the ``gap`` (default: as long
      as *W*) just before *W*, none in *G*, and *n_W* >= 1 compared with ``times``.  Needs a
      window.  This is the resurrected (回流) user of the window.

    Examples
    --------
    >>> c = BehaviourCondition(event="purchase", times=3, window="30D")
    >>> str(c)
    'performed purchase at least 3 times in the last 30 days'
    >>> str(BehaviourCondition(event="app_open", behaviour="stopped", window="14D"))
    'stopped app_open (at least 1 time before) in the last 14 days'
    """

    kind: Literal["behaviour"] = "behaviour"
    event: tuple[str, ...] = Field(min_length=1)
    where: tuple[PropertyCondition, ...] = ()
    behaviour: BehaviourKind = "performed"
    comparison: Comparison = "at_least"
    times: int = Field(default=1, ge=0)
    window: dt.timedelta | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    gap: dt.timedelta | None = None

    @field_validator("event", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list):
            if not all(isinstance(v, str) for v in value):
                raise ValueError(f"event must be event names (str), got {value!r:.80}")
            return tuple(dict.fromkeys(value))
        return value

    @field_validator("event")
    @classmethod
    def _non_empty_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not name.strip() for name in value):
            raise ValueError(f"event names must be non-empty, got {list(value)!r}")
        return value

    @field_validator("window", "gap", mode="before")
    @classmethod
    def _read_window(cls, value: Any) -> Any:
        if isinstance(value, (bool, int, float)):
            raise ValueError(
                f"a window must be text such as '30D' or a timedelta, got the bare number "
                f"{value!r} (seconds or days?). Hint: write e.g. '{value}D'"
            )
        if isinstance(value, str) and not value.strip().upper().startswith(("P", "-P")):
            try:
                return parse_window(value)
            except InvalidParameterError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("window", "gap")
    @classmethod
    def _positive(cls, value: dt.timedelta | None) -> dt.timedelta | None:
        if value is not None and value <= dt.timedelta(0):
            raise ValueError(f"a window must be positive, got {value!r}. Hint: use e.g. '30D'")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> BehaviourCondition:
        fixed = self.start is not None or self.end is not None
        if self.window is not None and fixed:
            raise ValueError(
                "give either a rolling window (window='30D') or fixed dates (start=, end=), not "
                "both"
            )
        if self.start is not None and self.end is not None:
            if (self.start.tzinfo is None) != (self.end.tzinfo is None):
                raise ValueError(
                    "start and end must both be naive (read in the log's time zone) or both "
                    f"timezone-aware, got start={self.start!r}, end={self.end!r}"
                )
            if self.end <= self.start:
                raise ValueError(
                    f"end={self.end.isoformat()} is not after start={self.start.isoformat()}. "
                    "Hint: swap them"
                )
        if self.behaviour in ("stopped", "started_again") and not (
            self.window is not None or self.start is not None
        ):
            raise ValueError(
                f"behaviour={self.behaviour!r} compares the window with the time before it, so "
                "it needs window='...' or start=...; got neither"
            )
        if self.behaviour == "started_again" and self.gap is None and self.window is None:
            if self.end is None:
                raise ValueError(
                    "behaviour='started_again' with an open-ended start needs gap='...' (the "
                    "silence before the window)"
                )
        elif self.behaviour != "started_again" and self.gap is not None:
            raise ValueError(
                f"gap is only used by behaviour='started_again', got behaviour="
                f"{self.behaviour!r}. Hint: drop gap"
            )
        return self

    @property
    def gap_length(self) -> dt.timedelta | None:
        """The silence ``"started_again"`` asks for before the window (None for other kinds)."""
        if self.behaviour != "started_again":
            return None
        if self.gap is not None:
            return self.gap
        if self.window is not None:
            return self.window
        assert self.start is not None  # checked at construction
        assert self.end is not None
        return self.end - self.start

    def describe(self) -> str:
        """Return e.g. ``performed purchase at least 3 times in the last 30 days``.

        Returns
        -------
        str
        """
        names = " or ".join(self.event)
        if self.where:
            names += " where " + " and ".join(w.describe() for w in self.where)
        count = f"{self.comparison.replace('_', ' ')} {self.times} time{'s' * (self.times != 1)}"
        if self.window is not None:
            span = f"in the last {_format_delta(self.window)}"
        elif self.start is not None or self.end is not None:
            lo = "..." if self.start is None else self.start.isoformat()
            hi = "..." if self.end is None else self.end.isoformat()
            span = f"between {lo} and {hi}"
        else:
            span = "ever"
        if self.behaviour == "performed":
            return f"performed {names} {count} {span}"
        if self.behaviour == "first_time":
            return f"performed {names} for the first time ({count}) {span}"
        if self.behaviour == "stopped":
            return f"stopped {names} ({count} before) {span}"
        gap = self.gap_length
        assert gap is not None
        return f"started {names} again after {_format_delta(gap)} of silence ({count}) {span}"


def _format_delta(delta: dt.timedelta) -> str:
    if delta % dt.timedelta(seconds=1):  # a fraction of a second: say it exactly
        return f"{delta.total_seconds():g} seconds"
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' * (n != 1)}"
    return f"{seconds} seconds"


class SegmentRef(_Node):
    """Members of another segment, looked up by name in the registry given at evaluation.

    Parameters
    ----------
    segment : str
        The referenced segment's name.

    Examples
    --------
    >>> str(SegmentRef(segment="paying") & ~SegmentRef(segment="churned"))
    'segment(paying) AND NOT segment(churned)'
    """

    kind: Literal["segment"] = "segment"
    segment: str = Field(min_length=1)

    def describe(self) -> str:
        """Return ``segment(<name>)``.

        Returns
        -------
        str
        """
        return f"segment({self.segment})"


def _node_depth(node: Any) -> int:
    return node.depth if isinstance(node, _Group) else 1


class _Group(_Node):
    conditions: tuple[Condition, ...] = Field(min_length=1)
    _depth: int = PrivateAttr(default=2)

    @model_validator(mode="after")
    def _limit_depth(self) -> _Group:
        depth = 1 + max(_node_depth(c) for c in self.conditions)
        if depth > MAX_RULE_DEPTH:
            raise ValueError(
                f"condition tree is {depth} levels deep; at most {MAX_RULE_DEPTH} are supported "
                "(as for rules). Hint: flatten nested groups: AllOf(conditions=[a, b, c]) "
                "instead of AllOf(conditions=[a, AllOf(conditions=[b, c])])"
            )
        self._depth = depth
        return self

    @property
    def depth(self) -> int:
        """Height of the condition tree below and including this group (a leaf has depth 1)."""
        return self._depth

    @field_validator("conditions", mode="before")
    @classmethod
    def _wrap(cls, value: Any) -> Any:
        if isinstance(value, (_Node, dict, str)):
            value = (value,)
        if isinstance(value, (list, tuple)):
            return tuple(TagRule(rule=v) if isinstance(v, str) else v for v in value)
        return value

    def _joined(self, word: str) -> str:
        parts = []
        for c in self.conditions:
            text = c.describe()
            parts.append(f"({text})" if isinstance(c, _Group) and len(c.conditions) > 1 else text)
        return f" {word} ".join(parts)


class AllOf(_Group):
    """True for a user who meets every condition (AND).

    Parameters
    ----------
    conditions : list of Condition
        One or more conditions; a string stands for a :class:`TagRule`.

    Examples
    --------
    >>> str(AllOf(conditions=["vip", PropertyCondition(property="age", op="ge", value=18)]))
    'tags(vip) AND age ge 18'
    """

    kind: Literal["all_of"] = "all_of"

    def describe(self) -> str:
        """Return the conditions joined by ``AND``.

        Returns
        -------
        str
        """
        return self._joined("AND")


class AnyOf(_Group):
    """True for a user who meets at least one condition (OR).

    Parameters
    ----------
    conditions : list of Condition
        One or more conditions; a string stands for a :class:`TagRule`.

    Examples
    --------
    >>> str(AnyOf(conditions=["kol", "paying"]))
    'tags(kol) OR tags(paying)'
    """

    kind: Literal["any_of"] = "any_of"

    def describe(self) -> str:
        """Return the conditions joined by ``OR``.

        Returns
        -------
        str
        """
        return self._joined("OR")


class NoneOf(_Group):
    """True for a user who meets none of the conditions (NOT; with one condition, its negation).

    Parameters
    ----------
    conditions : list of Condition
        One or more conditions; a string stands for a :class:`TagRule`.

    Examples
    --------
    >>> str(NoneOf(conditions=["churned"]))
    'NOT tags(churned)'
    """

    kind: Literal["none_of"] = "none_of"

    def describe(self) -> str:
        """Return ``NOT`` of the conditions joined by ``OR``.

        Returns
        -------
        str
        """
        if len(self.conditions) > 1:
            return f"NOT ({self._joined('OR')})"
        only = self.conditions[0]
        if isinstance(only, _Group) and len(only.conditions) > 1:
            return f"NOT ({only.describe()})"
        return f"NOT {only.describe()}"


Condition: TypeAlias = Annotated[
    AllOf | AnyOf | NoneOf | TagRule | PropertyCondition | BehaviourCondition | SegmentRef,
    Field(discriminator="kind"),
]
"""Any node of a segment's condition tree; in JSON the ``kind`` field tells which."""

AllOf.model_rebuild()
AnyOf.model_rebuild()
NoneOf.model_rebuild()


class Segment(BaseModel):
    """A named audience (分群): a condition tree evaluated for every user as of a date.

    Parameters
    ----------
    name : str
        The segment's name; :class:`SegmentRef` refers to it.
    description : str, default ""
        Free text for people.
    condition : Condition or str
        The condition tree; a string is a tag rule (:class:`TagRule`).
    rule : str, optional
        Shorthand for ``condition=TagRule(rule=...)`` (``Segment(name=..., rule="vip AND cn")``);
        not stored separately.

    See Also
    --------
    useropslib.segments.members : Who is in the segment as of a date.
    useropslib.segments.membership : Size, who entered and who left, in each period.

    Notes
    -----
    A segment is data only.  Evaluate it with the function
    ``useropslib.segments.members(log, seg, tags=tags, as_of=...)`` rather than a method
    ``seg.members(...)`` (as DESIGN.md sketches it): the models layer cannot import the
    evaluation layer, which sits below it.

    Examples
    --------
    >>> seg = Segment(name="vip_cn", rule="vip AND (cn OR hk) AND NOT churned")
    >>> seg.condition
    TagRule(kind='tag_rule', rule='vip AND (cn OR hk) AND NOT churned')
    >>> seg.model_dump_json()
    '{"name":"vip_cn","description":"","condition":{"kind":"tag_rule","rule":"vip AND (cn OR hk) AND NOT churned"}}'
    >>> Segment(name="lapsed_payers", condition=SegmentRef(segment="paying") & ~SegmentRef(segment="active")).references()
    ['paying', 'active']
    """  # noqa: E501

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""
    condition: Condition

    @model_validator(mode="before")
    @classmethod
    def _rule_shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict):
            if "rule" in data:
                data = dict(data)
                rule = data.pop("rule")
                if "condition" in data:
                    raise ValueError("give either condition= or rule=, not both")
                data["condition"] = {"kind": "tag_rule", "rule": rule}
            elif isinstance(data.get("condition"), str):
                data = {**data, "condition": {"kind": "tag_rule", "rule": data["condition"]}}
        return data

    def references(self) -> list[str]:
        """Return the names of the segments this one refers to directly, each once, in order.

        Returns
        -------
        list of str
        """
        seen: dict[str, None] = {}
        stack: list[Any] = [self.condition]
        while stack:
            node = stack.pop()
            if isinstance(node, SegmentRef):
                seen[node.segment] = None
            elif isinstance(node, _Group):
                stack.extend(reversed(node.conditions))
        return list(seen)

    def __str__(self) -> str:
        return f"{self.name}: {self.condition.describe()}"
