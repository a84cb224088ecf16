"""The churn definition: how long a user must be silent to count as churned (流失), and on what."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from useropslib.exceptions import InvalidParameterError
from useropslib.models._types import name_list, parse_window

__all__ = ["ChurnDefinition", "ChurnKind"]

ChurnKind = Literal["terminal", "first_lapse"]
"""Which silence is the churn event of a survival analysis: the final one or the first one."""


class ChurnDefinition(BaseModel):
    """When a user counts as churned: silent for at least ``threshold`` on the activity events.

    A user is churned at an instant when their last activity event is at least ``threshold``
    before it.  Churn has no universal definition (a social app may call a month of silence churn,
    a shop six months), so derive ``threshold`` from the product's own data with
    :func:`useropslib.churn.infer_inactivity_threshold`.

    Parameters
    ----------
    threshold : str or datetime.timedelta
        The silence after which a user is churned: a positive window such as ``"30D"``, ``"5W"``
        or ``"36h"``, or a timedelta.  Bare numbers are refused (seconds or days?).  Stored as a
        timedelta; JSON holds it as an ISO 8601 duration (``"P30D"``).
    activity_events : str or sequence of str, optional
        The event names that count as activity (a shop may count only ``"purchase"``).  ``None``
        (default): every event counts.  Repeated names are kept once, in first-seen order.
    kind : {"terminal", "first_lapse"}, default "terminal"
        The churn event used by survival analysis (:func:`useropslib.churn.survival_frame`):
        ``"terminal"`` is the user's final silence (they have not come back as of the analysis
        date); ``"first_lapse"`` is the first silence of at least ``threshold`` even if the user
        came back later.  Labels and churn rates do not depend on it.

    Examples
    --------
    >>> from useropslib.models import ChurnDefinition
    >>> d = ChurnDefinition(threshold="5W", activity_events=["app_open", "purchase"])
    >>> d.threshold, d.threshold_days, d.kind
    (datetime.timedelta(days=35), 35.0, 'terminal')
    >>> d.model_dump_json()
    '{"threshold":"P35D","activity_events":["app_open","purchase"],"kind":"terminal"}'
    >>> ChurnDefinition.model_validate_json(d.model_dump_json()) == d
    True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    threshold: dt.timedelta
    activity_events: tuple[str, ...] | None = None
    kind: ChurnKind = "terminal"

    @field_validator("threshold", mode="before")
    @classmethod
    def _read_window(cls, value: Any) -> Any:
        if isinstance(value, int | float):
            msg = (
                f"threshold must be a window such as '30D' or a timedelta, got the bare number "
                f"{value!r}, which is ambiguous (seconds or days?); write e.g. '{value}D'"
            )
            raise ValueError(msg)
        if isinstance(value, str) and not value.strip().upper().startswith(("P", "-P")):
            try:
                return parse_window(value)
            except InvalidParameterError as exc:
                raise ValueError(f"invalid threshold: {exc}") from None
        return value

    @field_validator("threshold")
    @classmethod
    def _positive(cls, value: dt.timedelta) -> dt.timedelta:
        if value <= dt.timedelta(0):
            msg = (
                f"threshold must be positive, got {value!r}; give the silence after which a user "
                "is churned, e.g. '30D'"
            )
            raise ValueError(msg)
        return value

    @field_validator("activity_events", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if value is None:
            return None
        names = name_list(value, "activity_events")
        if not names:
            msg = (
                "activity_events must name at least one event, got an empty list; pass None to "
                "count every event as activity"
            )
            raise ValueError(msg)
        for name in names:
            if not isinstance(name, str) or not name.strip():
                msg = f"activity_events must be non-empty event names, got {name!r}"
                raise ValueError(msg)
        return tuple(dict.fromkeys(names))

    @property
    def threshold_days(self) -> float:
        """The threshold in days (a float: ``"36h"`` is 1.5)."""
        return self.threshold / dt.timedelta(days=1)
