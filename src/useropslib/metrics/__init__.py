"""Metrics over an EventLog: activity, retention, funnels, lifecycle, growth, money, messages.

Every function takes the events first (an :class:`~useropslib.events.EventLog`, or a pandas frame
with ``user_id``, ``event`` and ``timestamp`` columns) and keyword-only options that name the
convention used.
"""

from useropslib.metrics._result import MetricResult, jsonable

__all__ = ["MetricResult", "jsonable"]
