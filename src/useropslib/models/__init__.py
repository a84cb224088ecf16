"""Pydantic models: the records and configurations services validate, store as JSON and pass around.

Models hold data and invariants only; computations live in the other subpackages.
"""

from useropslib.models._event import Event, IdentityLink, PropertyValue, UserId
from useropslib.models._types import (
    PERIODS,
    Period,
    WeekStart,
    parse_period,
    parse_week_start,
    parse_window,
)

__all__ = [
    "PERIODS",
    "Event",
    "IdentityLink",
    "Period",
    "PropertyValue",
    "UserId",
    "WeekStart",
    "parse_period",
    "parse_week_start",
    "parse_window",
]
