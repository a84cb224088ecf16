"""The event log: ingest, validate, normalise and encode a product's events once.

Every metric in useropslib reads an :class:`EventLog`.
"""

from useropslib.events._eventlog import EventLog, LogSummary, read_events, scan_events
from useropslib.events._lazy import EventsLike, LazyEventLog, as_event_log
from useropslib.events._query import set_strict_events, strict_events
from useropslib.events._rollup import UserPeriods, first_seen_ns, last_seen_ns, user_periods
from useropslib.events._time import check_tz, period_codes, period_starts

__all__ = [
    "EventLog",
    "EventsLike",
    "LazyEventLog",
    "LogSummary",
    "UserPeriods",
    "as_event_log",
    "check_tz",
    "first_seen_ns",
    "last_seen_ns",
    "period_codes",
    "period_starts",
    "read_events",
    "scan_events",
    "set_strict_events",
    "strict_events",
    "user_periods",
]
