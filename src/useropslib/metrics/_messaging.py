"""Recall (召回) messages: sent -> delivered -> opened -> clicked -> returned, by channel."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib import plotting
from useropslib._results import MetricResult
from useropslib.events import EventLog, EventsLike, as_event_log
from useropslib.events._query import user_index
from useropslib.events._time import stamp as _stamp
from useropslib.exceptions import InsufficientDataWarning, InvalidParameterError
from useropslib.metrics._query import (
    _as_of_ns,
    _event_mask,
    _factorize_sorted,
    _names,
    _property,
    spec_names,
)
from useropslib.models import DateLike
from useropslib.models._types import window_ns

__all__ = ["RATE_DEFINITIONS", "MessageFunnelResult", "message_funnel"]

#: Each rate of :func:`message_funnel` as ``name: (numerator, denominator)`` count columns.
RATE_DEFINITIONS: dict[str, tuple[str, str]] = {
    "delivery_rate": ("delivered", "sent"),
    "open_rate": ("opened", "delivered"),
    "click_rate": ("clicked", "delivered"),
    "click_through_rate": ("clicked", "opened"),
    "return_rate": ("returned", "sent"),
    "return_rate_delivered": ("returned_delivered", "delivered"),
}
_STAGES: tuple[str, ...] = ("sent", "delivered", "opened", "clicked")
_COUNT_COLS: tuple[str, ...] = ("numerator_count", "denominator_count", "value")


@dataclasses.dataclass(frozen=True, repr=False)
class MessageFunnelResult(MetricResult):
    """Counts and rates along sent -> delivered -> opened -> clicked -> returned, per group.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per group (index named after ``breakdown``, or ``"all"``): the counts ``sent``,
        ``delivered``, ``opened``, ``clicked``, ``returned`` (sent users who came back within
        the window), ``returned_delivered`` (returned among the delivered),
        ``window_open`` (sent users not returned whose window ends after ``as_of``), then the
        rates of ``RATE_DEFINITIONS``.  A stage given as ``None`` has no column, and
        neither have the rates that use it.
    rates : pandas.DataFrame
        Tidy: one row per (group, rate) with ``rate``, ``numerator``, ``denominator`` (the
        count names), ``numerator_count``, ``denominator_count`` and ``value``.
    """

    table: pd.DataFrame
    rates: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Return the tidy rates frame: each rate with its named numerator and denominator.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.rates.copy()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Plot the counts of each stage per group as grouped bars.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        stages = [c for c in (*_STAGES, "returned") if c in self.table.columns]
        return plotting.grouped_bars(
            self.table[stages], ax=ax, ylabel="users", title="Message funnel"
        )


def _group_of_events(
    log: EventLog, breakdown: str | None, mask: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.int64], pd.Index, str]:
    """Group code per event (-1 outside ``mask`` or without a value) and the labels."""
    codes = np.full(log.n_events, -1, dtype=np.int64)
    if breakdown is None:
        codes[mask] = 0
        return codes, pd.Index(["all"], dtype=object), "group"
    if not isinstance(breakdown, str):
        raise InvalidParameterError(
            f"Invalid breakdown={breakdown!r}. Expected the name of a property of the message "
            "events (e.g. 'channel') or None for one row over all messages."
        )
    if not mask.any():
        # nothing to group (empty-data policy): a missing property is not an error here, the
        # result is the empty table with its warning
        return codes, pd.Index([], dtype=object), breakdown
    col = _property(log, breakdown, "breakdown")
    values = col.to_numpy()
    sel = mask & col.notna().to_numpy(dtype=bool)
    vcodes, labels = _factorize_sorted(values[sel])
    codes[sel] = vcodes
    return codes, labels, breakdown


def _first_after(
    log: EventLog,
    query_user: npt.NDArray[np.int64],
    query_t: npt.NDArray[np.int64],
    wanted: npt.NDArray[np.bool_],
) -> npt.NDArray[np.int64]:
    """Return, per query (user, t), the time of the user's first wanted event at or after t.

    ``wanted`` flags the log's rows that count (int64 max where a user has none).  The log's
    per-user index holds each user's events in time order, so no sort runs: a vectorised
    bisection of every query's own user block finds its first event at or after t (as many
    rounds as the longest block has bits), and a reverse running minimum over the index gives
    the next wanted event from there.
    """
    out = np.full(query_user.size, np.iinfo(np.int64).max, dtype=np.int64)
    if query_user.size == 0 or not wanted.any():
        return out
    idx = user_index(log)
    times = idx.times()
    n = times.size
    at = np.arange(n + 1, dtype=np.int64)
    at[:n][~idx.take(wanted)] = n
    next_wanted = np.minimum.accumulate(at[::-1])[::-1]  # first wanted position >= p (n: none)
    lo = idx.offsets[query_user].astype(np.int64)
    end = idx.offsets[query_user + 1].astype(np.int64)
    hi = end.copy()
    live = np.flatnonzero(lo < hi)
    while live.size:  # bisection rounds: at most the bit length of the longest user block
        mid = (lo[live] + hi[live]) // 2
        before = times[mid] < query_t[live]
        lo[live[before]] = mid[before] + 1
        hi[live[~before]] = mid[~before]
        live = live[lo[live] < hi[live]]
    j = next_wanted[lo]
    found = j < end
    out[found] = times[j[found]]
    return out


def message_funnel(
    events: EventsLike,
    *,
    sent: str = "message_sent",
    delivered: str | None = "message_delivered",
    opened: str | None = "message_opened",
    clicked: str | None = "message_clicked",
    return_event: str | Sequence[str] | None = None,
    return_within: str | Any = "7D",
    breakdown: str | None = "channel",
    campaign: Any = None,
    campaign_col: str = "campaign",
    as_of: DateLike | None = None,
) -> MessageFunnelResult:
    """Delivery, open, click and return rates of recall messages, each over a named denominator.

    Counts are users (per group).  The population is the users with a ``sent`` event in the
    group; a later stage implies the earlier ones (a click without a recorded open counts as an
    open, a recorded open as a delivery), so the counts never increase along the funnel.  A sent
    user *returned* when they did a return event at a time ``t`` with
    ``first send <= t <= first send + return_within`` (inclusive bounds).

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events, with the message events and the users' own activity.
    sent, delivered, opened, clicked : str or None
        Event names of each stage (the defaults are those of
        :func:`useropslib.datasets.synthetic`).  ``sent`` is required; pass ``None`` for a stage
        your system does not record (e.g. no open tracking for SMS): its count and the rates
        that need it are left out.
    return_event : str or list of str, optional
        What counts as coming back.  Default: any event that is not one of the message stages.
    return_within : str or timedelta, default "7D"
        Return window after the user's first send in the group; > 0.
    breakdown : str or None, default "channel"
        Property of the message events to break down by (email / sms / push).  Message events
        without a value are left out.  ``None``: one row over all messages.
    campaign : object or list, optional
        Keep only message events whose ``campaign_col`` property equals this value (or is in
        this list).  The users' return events are never filtered.
    campaign_col : str, default "campaign"
        The property holding campaign ids.
    as_of : str, datetime or Timestamp, optional
        "Now": later events are ignored.  Default: the log's ``as_of``.

    Returns
    -------
    MessageFunnelResult
        ``table`` (counts and rates per group) and ``rates`` (tidy, with named denominators).

    Raises
    ------
    InvalidParameterError
        For unknown event names (with close known names), ``sent=None``, a window <= 0, an
        unknown ``breakdown`` or ``campaign_col`` property (with close names), or a
        ``campaign`` that no message event carries.

    Warns
    -----
    InsufficientDataWarning
        When no message was sent (after the filters); the table is empty.

    See Also
    --------
    activation : Whether new users reach a key event.

    Notes
    -----
    Rate definitions (``RATE_DEFINITIONS``): delivery rate = delivered / sent; open rate =
    opened / delivered; click rate = clicked / delivered; click-through (click-to-open) rate =
    clicked / opened; return rate = returned / sent; delivered return rate = returned and
    delivered / delivered.  Open and click rates over delivered and a click implying an open
    follow the email-marketing convention (Mailchimp, Braze); the return rate is the 回归率 of
    the recall literature.  A user messaged on two channels counts in both rows; with
    ``breakdown=None`` each user counts once, from their first send.  Returns after ``as_of``
    are not seen: ``window_open`` counts the sent users whose window is still running.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.Timestamp("2024-03-01 10:00", tz="UTC")
    >>> day = pd.Timedelta("1D")
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "a", "b", "b", "c", "a", "b"],
    ...     "event": ["message_sent", "message_delivered", "message_opened", "message_clicked",
    ...               "message_sent", "message_delivered", "message_sent", "app_open",
    ...               "app_open"],
    ...     "timestamp": [t, t, t + day, t + day, t, t, t, t + day, t + 10 * day],
    ...     "channel": ["email"] * 4 + ["sms", "sms", "email", None, None],
    ... })
    >>> res = message_funnel(df, return_within="7D")
    >>> res.table[["sent", "delivered", "opened", "clicked", "returned"]].to_dict("index")
    {'email': {'sent': 2, 'delivered': 1, 'opened': 1, 'clicked': 1, 'returned': 1},
     'sms': {'sent': 1, 'delivered': 1, 'opened': 0, 'clicked': 0, 'returned': 0}}
    >>> float(res.table.loc["email", "click_through_rate"])
    1.0
    """
    from useropslib.metrics._lazymoney import engine_message_funnel

    stage_names = {"sent": sent, "delivered": delivered, "opened": opened, "clicked": clicked}
    if sent is not None:
        eng = engine_message_funnel(
            events, stage_names=stage_names, return_event=return_event,
            window_ns=lambda: window_ns(return_within, "return_within"), breakdown=breakdown,
            campaign=campaign, campaign_col=campaign_col, as_of=as_of,
            order_labels=_factorize_sorted,
        )  # fmt: skip
        if eng is not None:  # a lazy log's engine counted the groups
            gname = "group" if breakdown is None else breakdown
            return _funnel_result(
                eng.counts, eng.labels, gname, eng.now, eng.log_tz, stage_names, return_event,
                return_within, breakdown, campaign, campaign_col,
            )  # fmt: skip
    # lazy log: the rows of the message events and of the return event when named; a return
    # by any event needs only messaged users' rows from their first message on
    named = [n for n in (sent, delivered, opened, clicked) if n is not None]
    back = None if return_event is None else spec_names(return_event)
    log = as_event_log(
        events,
        names=None if back is None else named + back,
        after=[sent] if return_event is None and isinstance(sent, str) else None,
    )
    if sent is None:
        raise InvalidParameterError(
            "Invalid sent=None. Expected the event name of a sent message: every rate starts "
            "from it. Hint: sent='message_sent'."
        )
    present = [s for s in _STAGES if stage_names[s] is not None]
    masks = {s: _event_mask(log, str(stage_names[s]), s) for s in present}
    w = window_ns(return_within, "return_within")
    now = _as_of_ns(log, as_of)
    ts = log.timestamps_ns
    keep = np.ones(ts.size, dtype=bool) if now is None else ts <= now

    any_msg = np.zeros(ts.size, dtype=bool)
    for m in masks.values():
        any_msg |= m
    msg = any_msg & keep
    if campaign is not None:
        col = _property(log, campaign_col, "campaign_col")
        wanted = list(campaign) if isinstance(campaign, list | tuple | set) else [campaign]
        in_campaign = col.isin(wanted).to_numpy(dtype=bool)
        if not (in_campaign & any_msg).any():
            seen = pd.unique(col[any_msg].dropna())[:10].tolist()
            raise InvalidParameterError(
                f"No message event has {campaign_col}={campaign!r}. Expected one of the campaign "
                f"ids on message events, such as {seen}. Hint: check the id and its type."
            )
        msg &= in_campaign
    if return_event is None:
        ret = ~any_msg & keep
    else:
        ret = _event_mask(log, _names(return_event, "return_event"), "return_event") & keep

    gcode, labels, gname = _group_of_events(log, breakdown, msg)
    ng = len(labels)
    nu = len(log.users)
    u = log.user_codes.astype(np.int64)
    key = gcode * nu + u  # (group, user); valid where gcode >= 0

    is_sent = masks["sent"] & (gcode >= 0)
    sent_keys, inv = np.unique(key[is_sent], return_inverse=True)
    first_sent = np.full(sent_keys.size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_sent, inv, ts[is_sent])
    sent_group = sent_keys // nu if nu else sent_keys
    sent_user = sent_keys % nu if nu else sent_keys

    did: dict[str, npt.NDArray[np.bool_]] = {}
    implied = np.zeros(sent_keys.size, dtype=bool)
    for stage in reversed(present[1:]):
        here = masks[stage] & (gcode >= 0)
        implied = implied | np.isin(sent_keys, key[here])
        did[stage] = implied.copy()
    first_ret = _first_after(log, sent_user, first_sent, ret)
    limit = first_sent + np.minimum(w, np.iinfo(np.int64).max - first_sent)
    returned = first_ret <= limit
    window_open = ~returned & (
        np.zeros(sent_keys.size, bool) if now is None else first_sent > now - w
    )

    def per_group(flags: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
        return np.bincount(sent_group[flags], minlength=ng).astype(np.int64)

    counts: dict[str, npt.NDArray[np.int64]] = {
        "sent": np.bincount(sent_group, minlength=ng).astype(np.int64)
    }
    for stage in present[1:]:
        counts[stage] = per_group(did[stage])
    counts["returned"] = per_group(returned)
    if "delivered" in did:
        counts["returned_delivered"] = per_group(returned & did["delivered"])
    counts["window_open"] = per_group(window_open)

    return _funnel_result(
        counts, labels, gname, now, log.tz, stage_names, return_event, return_within, breakdown,
        campaign, campaign_col,
    )  # fmt: skip


def _funnel_result(
    counts: dict[str, npt.NDArray[np.int64]],
    labels: pd.Index,
    gname: str,
    now: int | None,
    log_tz: str,
    stage_names: dict[str, Any],
    return_event: Any,
    return_within: Any,
    breakdown: str | None,
    campaign: Any,
    campaign_col: str,
) -> MessageFunnelResult:
    """Build the funnel's result from its counts per group (warn when nothing was sent)."""
    ng = len(labels)
    sent = stage_names["sent"]
    table = pd.DataFrame(counts, index=pd.Index(labels, name=gname))
    rate_rows = []
    for rate, (num, den) in RATE_DEFINITIONS.items():
        if num not in table.columns or den not in table.columns:
            continue
        n_num = table[num].to_numpy()
        n_den = table[den].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(n_den > 0, n_num / np.maximum(n_den, 1), np.nan)
        table[rate] = value
        rate_rows.append(
            pd.DataFrame(
                {
                    gname: labels,
                    "rate": rate,
                    "numerator": num,
                    "denominator": den,
                    "numerator_count": n_num,
                    "denominator_count": n_den,
                    "value": value,
                }
            )
        )
    rates = (
        pd.concat(rate_rows, ignore_index=True)
        if ng
        else pd.DataFrame(columns=[gname, "rate", "numerator", "denominator", *_COUNT_COLS])
    )
    if int(counts["sent"].sum()) == 0:
        warnings.warn(
            f"message_funnel: no {sent!r} event"
            + (f" of campaign {campaign!r}" if campaign is not None else "")
            + (f" with a {breakdown!r} value" if breakdown is not None else "")
            + f" by as_of={_stamp(now, log_tz)}; the table is empty.",
            InsufficientDataWarning,
            stacklevel=3,
        )
    return MessageFunnelResult(
        params={
            **{s: stage_names[s] for s in _STAGES},
            "return_event": return_event,
            "return_within": return_within,
            "breakdown": breakdown,
            "campaign": campaign,
            "campaign_col": campaign_col,
        },
        as_of=_stamp(now, log_tz),
        table=table,
        rates=rates,
    )
