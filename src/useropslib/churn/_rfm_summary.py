"""Frequency, recency and age (T) per customer from a transaction log: the BG/NBD input table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib._checks import check_bool
from useropslib.churn._definition import names_mask, resolve_as_of
from useropslib.events import EventLog, LazyEventLog, as_event_log, check_tz, period_codes
from useropslib.events._query import _is_strict, warn_empty
from useropslib.events._time import stamp, to_utc_ns
from useropslib.exceptions import (
    EventSchemaError,
    InsufficientDataError,
    InvalidParameterError,
    did_you_mean,
)
from useropslib.models import DateLike

if TYPE_CHECKING:
    pass


from useropslib.churn._likelihood import (
    PERIOD_DAYS,
    FloatArray,
)

__all__ = ["rfm_summary"]


# --------------------------------------------------------------------------------------------------
# frequency / recency / T from a transaction log
# --------------------------------------------------------------------------------------------------


def _rfm_from_days(
    codes: npt.NDArray[np.int64],
    days: npt.NDArray[np.int64],
    values: FloatArray | None,
    *,
    n_customers: int,
    calibration_end: int,
    observation_end: int | None,
    period_days: float,
) -> dict[str, npt.NDArray[Any]]:
    """Array kernel of :func:`rfm_summary`.

    ``codes`` are customer codes in ``[0, n_customers)``, ``days`` integer calendar days (any
    origin), ``calibration_end`` / ``observation_end`` the last day of each period (inclusive).
    Returns ``customer`` (the codes of the calibration cohort, ascending) and one array per output
    column.
    """
    last_day = calibration_end if observation_end is None else observation_end
    keep = days <= last_day
    codes, days = codes[keep], days[keep]
    vals = values[keep] if values is not None else None
    day_value: FloatArray | None
    if days.size:
        origin = int(days.min())
        span = int(last_day) - origin + 1
        key = codes.astype(np.int64) * span + (days - origin)
        unique_key, inverse = np.unique(key, return_inverse=True)
        cust = unique_key // span
        day = unique_key % span + origin
        day_value = (
            np.bincount(inverse, weights=vals, minlength=unique_key.size).astype(np.float64)
            if vals is not None
            else None
        )
    else:
        cust = np.zeros(0, dtype=np.int64)
        day = np.zeros(0, dtype=np.int64)
        day_value = np.zeros(0) if vals is not None else None

    # calibration: one row per (customer, purchase day), sorted by customer then day
    cal = day <= calibration_end
    c_cust, c_day = cust[cal], day[cal]
    if c_cust.size:
        starts = np.flatnonzero(np.r_[True, c_cust[1:] != c_cust[:-1]])
        ends = np.r_[starts[1:], c_cust.size] - 1
    else:
        starts = ends = np.zeros(0, dtype=np.int64)
    cohort = c_cust[starts]
    first, last = c_day[starts], c_day[ends]
    frequency = (ends - starts).astype(np.int64)
    out: dict[str, npt.NDArray[Any]] = {
        "customer": cohort,
        "frequency": frequency,
        "recency": (last - first) / period_days,
        "T": (calibration_end - first) / period_days,
    }
    if day_value is not None:
        c_value = day_value[cal]
        total = np.add.reduceat(c_value, starts) if starts.size else np.zeros(0)
        repeat = total - c_value[starts] if starts.size else np.zeros(0)
        out["monetary_value"] = np.where(frequency > 0, repeat / np.maximum(frequency, 1), 0.0)
    if observation_end is not None:
        hold = ~cal
        counts = np.bincount(cust[hold], minlength=n_customers)
        out["frequency_holdout"] = counts[cohort].astype(np.int64)
        out["duration_holdout"] = np.full(
            cohort.size, (observation_end - calibration_end) / period_days
        )
        if day_value is not None:
            spend = np.bincount(cust[hold], weights=day_value[hold], minlength=n_customers)[cohort]
            n_hold = out["frequency_holdout"]
            out["monetary_value_holdout"] = np.where(n_hold > 0, spend / np.maximum(n_hold, 1), 0.0)
    return out


def _to_day(where: str, name: str, value: Any, tz: Any) -> int:
    """Convert a date-like value to a calendar day number (days since 1970-01-01) in ``tz``."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"rfm_summary: {name} must be a date, got {value!r}. Hint: pass e.g. "
            f"{name}='1997-09-30' (the last day of the period, inclusive)."
        ) from exc
    if stamp is pd.NaT:
        raise InvalidParameterError(
            f"rfm_summary: {name} must be a date, got {value!r}. Hint: pass e.g. "
            f"{name}='1997-09-30'."
        )
    if stamp.tzinfo is not None:
        if tz is None:
            raise InvalidParameterError(
                f"rfm_summary: {name}={value!r} is time-zone aware but the {where!r} column is "
                "naive, so the calendar day is ambiguous. Hint: pass a naive date, or localise "
                "the column with .dt.tz_localize(...)."
            )
        stamp = stamp.tz_convert(tz).tz_localize(None)
    return int((stamp.normalize() - pd.Timestamp("1970-01-01")) // pd.Timedelta(days=1))


def rfm_summary(
    events: pd.DataFrame | EventLog,
    *,
    customer_col: str = "user_id",
    time_col: str = "timestamp",
    value_col: str | None = None,
    calibration_end: DateLike | None = None,
    period: Literal["D", "W"] = "W",
    observation_end: DateLike | None = None,
    purchase_event: str | Sequence[str] = "purchase",
    as_of: DateLike | None = None,
    monetary: bool = False,
    tz: str | None = None,
) -> pd.DataFrame:
    """Per-customer ``frequency``, ``recency`` and ``T`` for the BG/NBD model, from transactions.

    Uses the conventions of Fader, Hardie & Lee (2005) on CDNOW: all purchases of a customer on
    one calendar day count as one purchase (their values are summed); only *repeat* purchases
    count, so ``frequency`` is the number of distinct purchase days minus one; the cohort is every
    customer whose first purchase falls on or before the end of the calibration period.

    Two inputs are accepted:

    - a **transactions frame** (one row per purchase) with ``calibration_end`` and, optionally,
      ``observation_end`` for a holdout period;
    - an :class:`~useropslib.events.EventLog` with ``purchase_event`` (the event name(s) that
      record a purchase) and ``as_of``: purchases at or before ``as_of`` count, and ``as_of``'s
      calendar day ends the calibration period.  The log's values are the purchase values.

    Parameters
    ----------
    events : pandas.DataFrame or EventLog
        One row per transaction, or an event log.  Neither is modified.
    customer_col : str, default "user_id"
        Frame only: column with the customer id.
    time_col : str, default "timestamp"
        Frame only: column with the transaction time (``datetime64``, naive or time-zone aware;
        calendar days are taken in the column's own time zone).
    value_col : str, optional
        Frame only: column with the transaction value; adds ``monetary_value`` (and
        ``monetary_value_holdout``).
    calibration_end : date-like
        Frame only, required there: last calendar day of the calibration period, inclusive (a
        time of day is ignored).
    period : {"D", "W"}, default "W"
        Unit of ``recency``, ``T`` and ``duration_holdout``: days, or weeks of 7 days (fractional,
        as in the paper).  Purchases are always counted per calendar day.
    observation_end : date-like, optional
        Frame only: last day of a holdout period after ``calibration_end``; adds the holdout
        columns.  Transactions after it (or after ``calibration_end`` when it is not given) are
        ignored.
    purchase_event : str or sequence of str, default "purchase"
        EventLog only: the event name(s) that record a purchase.
    as_of : date-like, optional
        EventLog only: the analysis instant (naive values are read in ``tz``).
        Later events are ignored; ``T`` runs to ``as_of``'s calendar day.  Default: the log's
        ``as_of``.
    monetary : bool, default False
        EventLog only: add ``monetary_value`` from the log's values.
    tz : str, optional
        EventLog only: IANA time zone of the calendar days; default the log's.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (sorted; named ``customer_col``, or ``"user_id"`` for a log), with
        columns

        - ``frequency``: repeat purchase days in calibration (purchase days minus 1),
        - ``recency``: time from the first to the last purchase day in calibration,
        - ``T``: time from the first purchase day to the end of calibration,
        - ``monetary_value``: mean value of the repeat purchase days (first purchase excluded;
          0 when ``frequency`` is 0), if ``value_col`` is given or ``monetary=True``,
        - ``frequency_holdout``, ``duration_holdout`` and ``monetary_value_holdout``: purchase days
          in the holdout, its length, their mean value (0 when none), if ``observation_end`` is
          given.

    Raises
    ------
    EventSchemaError
        If a column is missing (with a "did you mean" hint), the time column is not datetime, the
        value column is not numeric, or ids, times or values are null (for a log: a purchase event
        without a value when ``monetary=True``); ``failure_cases`` lists the offending rows.
    InvalidParameterError
        If ``period`` is unknown, a date cannot be parsed, ``observation_end`` is not after
        ``calibration_end``, ``purchase_event`` names an event the log does not have (with close
        names), ``as_of`` is before the log's first event, ``monetary=True`` for a log without
        values, or an option of one input kind is given with the other.
    InsufficientDataError
        For a transactions frame: if no customer made a first purchase by the end of the
        calibration period.

    Warns
    -----
    InsufficientDataWarning
        For an event log without events, or without a purchase at or before ``as_of``: the
        result is an empty table with the usual columns (the empty-data policy of counting
        functions).

    See Also
    --------
    BetaGeoModel : Fit on the result.
    GammaGammaModel : Spend per transaction, fitted on ``frequency`` and ``monetary_value``.

    Notes
    -----
    Matches ``lifetimes.utils.calibration_and_holdout_data(..., freq="D")`` with ``recency`` and
    ``T`` divided by 7 for weeks; the calibration columns keep the names ``frequency``, ``recency``,
    ``T`` so the result can be passed straight to :meth:`BetaGeoModel.fit`.  An EventLog gives
    the same numbers as a frame of its purchase events with ``calibration_end`` set to ``as_of``'s
    calendar day, as long as no purchase falls later on that day (the log ignores those, since
    they are after ``as_of``).

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({
    ...     "user_id": [1, 1, 1, 1, 2, 3],
    ...     "timestamp": pd.to_datetime(["1997-01-01", "1997-01-01", "1997-01-15", "1997-02-26",
    ...                                  "1997-01-08", "1997-03-10"]),
    ...     "value": [10.0, 5.0, 20.0, 30.0, 12.0, 8.0],
    ... })
    >>> rfm_summary(tx, value_col="value", calibration_end="1997-02-26")
             frequency  recency    T  monetary_value
    user_id
    1                2      8.0  8.0            25.0
    2                0      0.0  7.0             0.0

    The same from an event log, where purchases sit among other events:

    >>> from useropslib import EventLog
    >>> events = pd.DataFrame({
    ...     "user_id": [1, 1, 1, 1, 1, 2, 2],
    ...     "event": ["purchase", "app_open", "purchase", "purchase", "purchase", "purchase",
    ...               "app_open"],
    ...     "timestamp": ["1997-01-01", "1997-01-02", "1997-01-15", "1997-02-26", "1997-01-01",
    ...                   "1997-01-08", "1997-03-01"],
    ...     "value": [10.0, None, 20.0, 30.0, 5.0, 12.0, None],
    ... })
    >>> log = EventLog.from_pandas(events, tz="UTC")
    >>> rfm_summary(log, purchase_event="purchase", as_of="1997-02-26", period="D",
    ...             monetary=True)
             frequency  recency     T  monetary_value
    user_id
    1                2     56.0  56.0            25.0
    2                0      0.0  49.0             0.0
    """
    where = "rfm_summary"
    monetary = check_bool(monetary, "monetary")
    if not isinstance(period, str) or period not in PERIOD_DAYS:
        close = did_you_mean(str(period), list(PERIOD_DAYS))
        hint = f"did you mean {close[0]!r}?" if close else "use 'D' for days or 'W' for weeks."
        raise InvalidParameterError(
            f"{where}: period must be one of {list(PERIOD_DAYS)}, got {period!r}. Hint: {hint}"
        )
    if isinstance(events, EventLog | LazyEventLog):
        frame_only = {
            # not `!=`: an odd argument (a frame) has no single truth value
            "customer_col": not (isinstance(customer_col, str) and customer_col == "user_id"),
            "time_col": not (isinstance(time_col, str) and time_col == "timestamp"),
            "value_col": value_col is not None,
            "calibration_end": calibration_end is not None,
            "observation_end": observation_end is not None,
        }
        given = [name for name, is_set in frame_only.items() if is_set]
        if given:
            raise InvalidParameterError(
                f"{where}: {given} apply to a transactions frame, but an EventLog was given. "
                "Expected purchase_event=, as_of= and monetary= with a log (it already knows its "
                "users, times and values). Hint: as_of= ends the calibration period; for a "
                "holdout, pass the purchases as a frame, e.g. "
                "rfm_summary(log.filter_events('purchase').to_pandas(), value_col='value', "
                "calibration_end=..., observation_end=...)."
            )
        if isinstance(events, LazyEventLog):
            # only the purchase rows leave the engine (unknown names are reported below)
            wanted = [purchase_event] if isinstance(purchase_event, str) else purchase_event
            names = [n for n in wanted or [] if isinstance(n, str)]
            events = as_event_log(events, names=names)
        return _rfm_from_log(
            events,
            purchase_event=purchase_event,
            as_of=as_of,
            period=period,
            monetary=monetary,
            tz=tz,
        )
    log_only = {
        "purchase_event": not isinstance(purchase_event, str) or purchase_event != "purchase",
        "as_of": as_of is not None,
        "tz": tz is not None,
    }
    given = [name for name, is_set in log_only.items() if is_set]
    if given:
        raise InvalidParameterError(
            f"{where}: {given} apply to an EventLog, but a transactions frame was given. "
            "Expected calibration_end= (and optionally observation_end=) with a frame of "
            "purchases. Hint: pass calibration_end= instead of as_of=, or build a log with "
            "EventLog.from_pandas(df, tz=...) to pick the purchases by event name."
        )
    if calibration_end is None:
        raise InvalidParameterError(
            f"{where}: calibration_end is required with a transactions frame, got None. Expected "
            "the last day of the calibration period. Hint: pass e.g. calibration_end='1997-09-30'."
        )
    if monetary and value_col is None:
        raise InvalidParameterError(
            f"{where}: monetary=True needs the transaction values, but value_col is None. "
            "Expected value_col naming the column of values. Hint: pass value_col='value'."
        )
    return _rfm_from_frame(
        events,
        customer_col=customer_col,
        time_col=time_col,
        value_col=value_col,
        calibration_end=calibration_end,
        period=period,
        observation_end=observation_end,
    )


def _rfm_from_log(
    log: EventLog,
    *,
    purchase_event: str | Sequence[str] | None,
    as_of: DateLike | None,
    period: Literal["D", "W"],
    monetary: bool,
    tz: str | None,
) -> pd.DataFrame:
    """Compute :func:`rfm_summary` from an EventLog, in one pass over its purchase events."""
    where = "rfm_summary"
    columns = ["frequency", "recency", "T", *(["monetary_value"] if monetary else [])]
    if log.n_events == 0:
        # empty-data policy: a table of counts from an empty log is an empty table, with a warning
        # (the purchase names cannot be checked against a log that names no event)
        warn_empty(f"{where}: the event log has no events, so no customer", stacklevel=4)
        return _empty_summary(columns)
    names = _purchase_names(log, purchase_event)
    zone = log.tz if tz is None else check_tz(tz)
    try:
        # a naive as_of is read in the zone of the calendar days
        given = None if as_of is None else to_utc_ns(as_of, tz=zone, name="as_of")
        as_of_ns = resolve_as_of(log, None if given is None else pd.Timestamp(given, tz="UTC"))
    except (InvalidParameterError, InsufficientDataError) as exc:
        raise type(exc)(f"{where}: {exc}") from None
    values = log.values
    if monetary and values is None:
        raise InvalidParameterError(
            f"{where}: monetary=True needs purchase values, but the event log has none. Expected "
            "a log built with a value column. Hint: build it with EventLog.from_pandas(df, "
            "value_col='amount', ...), or leave monetary=False."
        )
    is_purchase = names_mask(log, names, "purchase_event")
    ts = log.timestamps_ns
    mask = is_purchase & (ts <= as_of_ns)
    positions = np.flatnonzero(mask)
    vals: FloatArray | None = None
    if monetary and values is not None:
        vals = values[positions]
        bad = ~np.isfinite(vals)
        if bad.any():
            rows = positions[bad]
            raise EventSchemaError(
                f"{where}: monetary=True, but {rows.size} purchase event(s) have no value, e.g. "
                f"at positions {rows[:5].tolist()} of the log. Expected a finite value on every "
                f"event named {names}. Hint: fill the missing values (0 for free orders) before "
                "building the log, or leave monetary=False.",
                failure_cases=pd.DataFrame(
                    {"row": rows, "column": "value", "check": "null_value", "value": "nan"}
                ),
            )
    days = period_codes(ts[positions], "day", tz=zone)
    cal_end = int(period_codes(np.array([as_of_ns], dtype=np.int64), "day", tz=zone)[0])
    result = _rfm_from_days(
        log.user_codes[positions].astype(np.int64),
        days,
        vals,
        n_customers=len(log.users),
        calibration_end=cal_end,
        observation_end=None,
        period_days=PERIOD_DAYS[period],
    )
    cohort = result.pop("customer")
    if cohort.size == 0:
        n_purchases = int(np.count_nonzero(is_purchase))
        first = (
            f"the first at {stamp(int(ts[is_purchase].min()), zone)}"
            if n_purchases
            else "none at all"
        )
        warn_empty(
            f"{where}: no purchase event {names} at or before as_of={stamp(as_of_ns, zone)}: the "
            f"log has {log.n_events:,} events from {log.n_users:,} users and {n_purchases:,} "
            f"purchase events ({first}), so no customer",
            hint="move as_of later or check purchase_event against log.event_names",
            stacklevel=4,
        )
        return _empty_summary(columns)
    index = pd.Index(log.users.take(cohort), name="user_id")
    summary: pd.DataFrame = pd.DataFrame(result, index=index)
    try:
        order = np.argsort(index.to_numpy(), kind="stable")
    except TypeError:  # ids of mixed, unorderable types: keep the log's order
        return summary
    sorted_summary: pd.DataFrame = summary.iloc[order]
    return sorted_summary


def _empty_summary(columns: list[str]) -> pd.DataFrame:
    """Return the zero-size summary: no customer, the usual columns."""
    empty: pd.DataFrame = pd.DataFrame(
        {c: pd.Series([], dtype=np.int64 if c == "frequency" else np.float64) for c in columns},
        index=pd.Index([], dtype=object, name="user_id"),
    )
    return empty


def _purchase_names(log: EventLog, purchase_event: Any) -> list[str]:
    """Validate ``purchase_event`` against the log's event names."""
    where = "rfm_summary"
    known = [str(n) for n in log.event_names]
    shown = f"{known[:20]}{' ...' if len(known) > 20 else ''}"
    if purchase_event is None:
        close = did_you_mean("purchase", known)
        hint = (
            f"did you mean purchase_event={close[0]!r}?"
            if close
            else "pass the name of the event that records a purchase."
        )
        raise InvalidParameterError(
            f"{where}: purchase_event is required with an EventLog, got None. Expected the event "
            f"name(s) that record a purchase, one of {shown}. Hint: {hint}"
        )
    names = [purchase_event] if isinstance(purchase_event, str) else purchase_event
    try:
        names = list(names)
    except TypeError:
        names = [purchase_event]
    if not names or not all(isinstance(n, str) for n in names):
        raise InvalidParameterError(
            f"{where}: purchase_event must be an event name or a list of them, got "
            f"{purchase_event!r}. Expected names from {shown}. Hint: pass e.g. "
            "purchase_event='purchase'."
        )
    unknown = [n for n in names if n not in set(known)]
    if unknown:
        hints = []
        for u in unknown:
            close = did_you_mean(u, known)
            if close:
                hints.append(f"did you mean {close[0]!r} for {u!r}?")
        hint = " ".join(hints) if hints else "pick the purchase event from log.event_names."
        message = (
            f"{where}: purchase_event names event(s) the log does not have: {unknown}. Expected "
            f"names from {shown}. Hint: {hint}"
        )
        # not strict: the selector counts an event that has not fired as zero purchases and
        # warns with an UnknownEventWarning, as everywhere in the library
        if _is_strict(None):
            raise InvalidParameterError(message)
    return names


def _rfm_from_frame(
    transactions: pd.DataFrame,
    *,
    customer_col: str,
    time_col: str,
    value_col: str | None,
    calibration_end: DateLike,
    period: Literal["D", "W"],
    observation_end: DateLike | None,
) -> pd.DataFrame:
    """Compute :func:`rfm_summary` from a transactions frame."""
    where = "rfm_summary"
    if not isinstance(transactions, pd.DataFrame):
        raise EventSchemaError(
            f"{where}: events must be a pandas DataFrame or an EventLog, got "
            f"{type(transactions).__name__}. Hint: build one with pd.DataFrame(...) or "
            "EventLog.from_pandas(...)."
        )
    required = {customer_col: "customer_col", time_col: "time_col"}
    if value_col is not None:
        required[value_col] = "value_col"
    missing = [c for c in required if c not in transactions.columns]
    if missing:
        raise EventSchemaError.missing_columns(
            missing=missing, available=transactions.columns, param=required
        )

    customers = transactions[customer_col]
    times = transactions[time_col]
    problems: list[pd.DataFrame] = []
    messages: list[str] = []

    def record(mask: npt.NDArray[np.bool_], column: str, check: str, what: str) -> None:
        rows = transactions.index[mask]
        problems.append(
            pd.DataFrame(
                {
                    "row": rows,
                    "column": column,
                    "check": check,
                    "value": transactions.loc[mask, column].astype(str).to_numpy(),
                }
            )
        )
        messages.append(f"{what} in {int(mask.sum())} row(s), e.g. rows {list(rows[:5])}")

    null_customer = customers.isna().to_numpy()
    if null_customer.any():
        record(null_customer, customer_col, "null_customer_id", f"null {customer_col!r}")
    is_datetime = pd.api.types.is_datetime64_any_dtype(times.dtype)
    if not is_datetime:
        messages.append(
            f"{time_col!r} has dtype {times.dtype}, expected datetime64; convert it with "
            f"pd.to_datetime(df[{time_col!r}], format=...)"
        )
    else:
        null_time = times.isna().to_numpy()
        if null_time.any():
            record(null_time, time_col, "null_timestamp", f"null {time_col!r}")
    vals: FloatArray | None = None
    if value_col is not None:
        raw_values = transactions[value_col]
        if not (
            pd.api.types.is_numeric_dtype(raw_values.dtype)
            and not pd.api.types.is_bool_dtype(raw_values.dtype)
        ):
            messages.append(
                f"{value_col!r} has dtype {raw_values.dtype}, expected numbers; convert it with "
                f"pd.to_numeric(df[{value_col!r}])"
            )
        else:
            vals = raw_values.to_numpy(dtype=np.float64, na_value=np.nan)
            bad_value = ~np.isfinite(vals)
            if bad_value.any():
                record(bad_value, value_col, "null_value", f"null or infinite {value_col!r}")
    if messages:
        failure_cases = (
            pd.concat(problems, ignore_index=True)
            if problems
            else pd.DataFrame(columns=["row", "column", "check", "value"])
        )
        raise EventSchemaError(
            f"{where}: the transaction table has {len(messages)} problem(s): "
            + "; ".join(messages)
            + ". Hint: drop or fix these rows (see the error's failure_cases).",
            failure_cases=failure_cases,
        )

    tz = getattr(times.dtype, "tz", None)
    local = times.dt.tz_localize(None) if tz is not None else times  # wall time in the column's tz
    days = local.to_numpy().astype("datetime64[D]").astype(np.int64)
    cal_end = _to_day(time_col, "calibration_end", calibration_end, tz)
    obs_end = None
    if observation_end is not None:
        obs_end = _to_day(time_col, "observation_end", observation_end, tz)
        if obs_end <= cal_end:
            raise InvalidParameterError(
                f"{where}: observation_end ({observation_end!r}) must be after calibration_end "
                f"({calibration_end!r}). Expected a holdout period of at least one day. Hint: "
                "swap them, or leave observation_end unset for calibration only."
            )

    codes, uniques = pd.factorize(customers, sort=True)
    result = _rfm_from_days(
        codes.astype(np.int64),
        days,
        vals,
        n_customers=len(uniques),
        calibration_end=cal_end,
        observation_end=obs_end,
        period_days=PERIOD_DAYS[period],
    )
    cohort = result.pop("customer")
    if cohort.size == 0:
        first = times.min() if len(times) else None
        raise InsufficientDataError(
            f"{where}: no customer made a first purchase on or before calibration_end "
            f"({calibration_end!r}); the earliest transaction is {first}. Expected at least one. "
            "Hint: move calibration_end later."
        )
    index = pd.Index(uniques.take(cohort), name=customer_col)
    summary: pd.DataFrame = pd.DataFrame(result, index=index)
    return summary
