"""What every event log knows without its rows (vocabularies, clock) and its summary."""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from useropslib.events._time import stamp

__all__ = ["LogHeader", "LogSummary"]


@dataclasses.dataclass(frozen=True)
class LogSummary:
    """A short description of an :class:`EventLog`.

    Attributes
    ----------
    n_events, n_users, n_event_types : int
        Counts of rows, distinct users and distinct event names.
    start, end : pandas.Timestamp or None
        First and last event, in the log's time zone.
    as_of : pandas.Timestamp or None
        The log's "now"; ``as_of_source`` says whether it was given or is the last event.
    tz : str
        Time zone used for calendar periods.
    week_start : str
        First day of a week.
    top_events : pandas.Series
        Events per event name, most frequent first (all of them).
    duplicates_dropped : int
        Rows removed by ``duplicates="drop"``.
    identities_merged : int
        Ids folded into another user by identity links.
    has_values : bool
        Whether the log carries numeric values.
    properties : tuple of str
        Names of the event-property columns.
    """

    n_events: int
    n_users: int
    n_event_types: int
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    as_of: pd.Timestamp | None
    as_of_source: str
    tz: str
    week_start: str
    top_events: pd.Series
    duplicates_dropped: int
    identities_merged: int
    has_values: bool
    properties: tuple[str, ...]

    def __str__(self) -> str:
        span = "no events" if self.start is None else f"{self.start} -> {self.end}"
        lines = [
            f"EventLog: {self.n_events:,} events, {self.n_users:,} users, "
            f"{self.n_event_types:,} event types",
            f"  span:   {span} (tz={self.tz}, weeks start {self.week_start})",
            f"  as_of:  {self.as_of} ({self.as_of_source})",
        ]
        if self.has_values:
            lines.append("  values: yes")
        if self.properties:
            lines.append(f"  properties: {', '.join(self.properties)}")
        if self.duplicates_dropped:
            lines.append(f"  duplicates dropped: {self.duplicates_dropped:,}")
        if self.identities_merged:
            lines.append(f"  ids merged by identity links: {self.identities_merged:,}")
        if len(self.top_events):
            top = self.top_events.head(5)
            width = max(len(str(k)) for k in top.index)
            lines.append("  top events:")
            lines.extend(f"    {k!s:<{width}}  {int(v):>12,}" for k, v in top.items())
            if len(self.top_events) > 5:
                lines.append(f"    ... and {len(self.top_events) - 5} more")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-ready Python values.

        Returns
        -------
        dict
        """

        def iso(t: pd.Timestamp | None) -> str | None:
            return None if t is None else t.isoformat()

        return {
            "n_events": self.n_events,
            "n_users": self.n_users,
            "n_event_types": self.n_event_types,
            "start": iso(self.start),
            "end": iso(self.end),
            "as_of": iso(self.as_of),
            "as_of_source": self.as_of_source,
            "tz": self.tz,
            "week_start": self.week_start,
            "top_events": {str(k): int(v) for k, v in self.top_events.items()},
            "duplicates_dropped": self.duplicates_dropped,
            "identities_merged": self.identities_merged,
            "has_values": self.has_values,
            "properties": list(self.properties),
        }


class LogHeader:
    """What an event log and a lazy one both know without their rows: vocabularies and clock.

    Subclasses set ``_users``, ``_events``, ``_tz``, ``_week_start``, ``_as_of`` and
    ``_as_of_given``.
    """

    __slots__ = ()
    _users: pd.Index
    _events: pd.Index
    _tz: str
    _week_start: int
    _as_of: int | None
    _as_of_given: bool

    @property
    def users(self) -> pd.Index:
        """The user-id vocabulary: ``users[code]`` is the id of user code ``code``.

        It is shared by filtered views, so it may include users with no event in this view;
        :attr:`present_user_codes` lists those who have.
        """
        return self._users

    @property
    def event_names(self) -> pd.Index:
        """The event-name vocabulary: ``event_names[code]`` is the name of event code ``code``."""
        return self._events

    @property
    def tz(self) -> str:
        """IANA time zone used for calendar periods."""
        return self._tz

    @property
    def week_start(self) -> int:
        """First day of a calendar week, 0 = Monday ... 6 = Sunday."""
        return self._week_start

    def _stamp(self, ns: int | None) -> pd.Timestamp | None:
        return stamp(ns, self._tz)

    @property
    def as_of(self) -> pd.Timestamp | None:
        """The log's "now": given at construction, or else the last event's time."""
        return self._stamp(self._as_of)

    @property
    def as_of_ns(self) -> int | None:
        """:attr:`as_of` as int64 UTC nanoseconds."""
        return self._as_of

    @property
    def as_of_source(self) -> str:
        """``"given"`` when ``as_of`` was passed, else ``"last event"``."""
        return "given" if self._as_of_given else "last event"
