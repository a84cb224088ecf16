"""Pydantic models: the records and configurations services validate, store as JSON and pass around.

Models hold data and invariants only; computations live in the other subpackages.
"""

from useropslib.models._churn import ChurnDefinition, ChurnKind
from useropslib.models._event import Event, IdentityLink, PropertyValue, UserId
from useropslib.models._rule import (
    MAX_RULE_DEPTH,
    And,
    Not,
    Or,
    RuleNode,
    Tag,
    parse_rule,
    rule_from_json,
)
from useropslib.models._segment import (
    PROPERTY_OPERATORS,
    AllOf,
    AnyOf,
    BehaviourCondition,
    BehaviourKind,
    Comparison,
    Condition,
    NoneOf,
    PropertyCondition,
    PropertyOperator,
    Segment,
    SegmentRef,
    TagRule,
)
from useropslib.models._types import (
    PERIODS,
    DateLike,
    Period,
    WeekStart,
    parse_period,
    parse_week_start,
    parse_window,
)

__all__ = [
    "MAX_RULE_DEPTH",
    "PERIODS",
    "PROPERTY_OPERATORS",
    "AllOf",
    "And",
    "AnyOf",
    "BehaviourCondition",
    "BehaviourKind",
    "ChurnDefinition",
    "ChurnKind",
    "Comparison",
    "Condition",
    "DateLike",
    "Event",
    "IdentityLink",
    "NoneOf",
    "Not",
    "Or",
    "Period",
    "PropertyCondition",
    "PropertyOperator",
    "PropertyValue",
    "RuleNode",
    "Segment",
    "SegmentRef",
    "Tag",
    "TagRule",
    "UserId",
    "WeekStart",
    "parse_period",
    "parse_rule",
    "parse_week_start",
    "parse_window",
    "rule_from_json",
]
