"""The event and identity-link records."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from useropslib.models._types import is_blank

__all__ = ["Event", "IdentityLink", "PropertyValue", "UserId"]

UserId = Annotated[str | int, Field(union_mode="left_to_right")]
"""A user, anonymous or device id: a non-empty string or an integer."""

PropertyValue = str | int | float | bool | None
"""A JSON scalar stored as an event or user property."""


def _no_bool(value: Any, field: str) -> Any:
    if isinstance(value, bool):
        msg = f"{field} must be text or an integer, not a boolean ({value!r})"
        raise ValueError(msg)
    return value


def _check_id(value: str | int | None, field: str) -> str | int | None:
    if isinstance(value, str) and is_blank(value):
        msg = f"{field} must not be empty or blank; give the user's id, or leave it unset (None)"
        raise ValueError(msg)
    return value


class Event(BaseModel):
    """One thing a user did at one instant.

    Parameters
    ----------
    user_id : str or int, optional
        The known user.  May be omitted when ``anonymous_id`` is given; identity links then map the
        anonymous id to a user before anything is counted.
    event : str
        The event name, e.g. ``"signup"`` or ``"purchase"``.
    timestamp : datetime
        A timezone-aware instant.  Naive datetimes are refused: a guessed time zone shifts every
        calendar bucket.
    value : float, optional
        A numeric amount (revenue, quantity); finite.
    properties : dict, optional
        JSON scalars describing the event (``{"channel": "push"}``).
    anonymous_id : str or int, optional
        A device or anonymous id used before the user identified.

    Examples
    --------
    >>> import datetime as dt
    >>> e = Event(user_id="u1", event="purchase", value=9.5,
    ...           timestamp=dt.datetime(2024, 5, 1, 8, tzinfo=dt.timezone.utc))
    >>> Event.model_validate_json(e.model_dump_json()) == e
    True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: UserId | None = None
    event: Annotated[str, Field(min_length=1)]
    timestamp: AwareDatetime
    value: float | None = None
    properties: dict[str, PropertyValue] = Field(default_factory=dict)
    anonymous_id: UserId | None = None

    @field_validator("user_id", "anonymous_id", "event", mode="before")
    @classmethod
    def _not_bool(cls, v: Any, info: Any) -> Any:
        return _no_bool(v, info.field_name)

    @field_validator("user_id", "anonymous_id")
    @classmethod
    def _non_blank(cls, v: str | int | None, info: Any) -> str | int | None:
        return _check_id(v, info.field_name)

    @field_validator("event")
    @classmethod
    def _event_non_blank(cls, v: str) -> str:
        if is_blank(v):
            msg = "event must not be blank; give the event's name, e.g. 'signup'"
            raise ValueError(msg)
        return v

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float | None) -> float | None:
        if v is not None and not math.isfinite(v):
            msg = f"value must be a finite number, got {v}"
            raise ValueError(msg)
        return v

    @model_validator(mode="after")
    def _someone(self) -> Event:
        if self.user_id is None and self.anonymous_id is None:
            msg = "an event needs a user_id or an anonymous_id; both are missing"
            raise ValueError(msg)
        return self


class IdentityLink(BaseModel):
    """A link saying an anonymous or device id belongs to a user.

    Parameters
    ----------
    anonymous_id : str or int
        The id seen before identification (device id, cookie id).
    user_id : str or int
        The user it belongs to.

    Examples
    --------
    >>> IdentityLink(anonymous_id="device-9", user_id="u1")
    IdentityLink(anonymous_id='device-9', user_id='u1')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    anonymous_id: UserId
    user_id: UserId

    @field_validator("anonymous_id", "user_id", mode="before")
    @classmethod
    def _not_bool(cls, v: Any, info: Any) -> Any:
        return _no_bool(v, info.field_name)

    @field_validator("anonymous_id", "user_id")
    @classmethod
    def _non_blank(cls, v: str | int, info: Any) -> str | int:
        _check_id(v, info.field_name)
        return v
