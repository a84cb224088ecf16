"""Ingest: check a pandas frame (or Event records) and encode it into an event log's arrays.

:meth:`EventLog.from_pandas` is the one pipeline every in-memory constructor ends in
(``from_records``, ``from_frame`` for pandas-like frames, ``read_events``); this module holds it
and the option and column checks the engine constructors share.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import TypeAdapter, ValidationError

from useropslib._checks import check_bool, check_name
from useropslib.events._identity import links_frame, resolve_ids
from useropslib.events._time import check_tz, to_utc_ns
from useropslib.events._timeparse import check_time_options, parse_timestamps
from useropslib.events._validate import Problems, TimeUnit, parse_values
from useropslib.exceptions import EventSchemaError, InvalidParameterError, UseropsError
from useropslib.models import Event, WeekStart, parse_week_start
from useropslib.models._types import BLANK_PATTERN, MAX_INSTANT, MIN_INSTANT

Duplicates = Literal["keep", "drop", "error"]
DEFAULT_VALUE_COL = "value"
_EVENTS_ADAPTER: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


def check_duplicates_policy(duplicates: str) -> None:
    """Refuse a ``duplicates=`` option other than "keep", "drop" or "error"."""
    if not isinstance(duplicates, str) or duplicates not in ("keep", "drop", "error"):
        raise InvalidParameterError(
            f"Invalid duplicates={duplicates!r}. Expected 'keep' (default: keep repeated rows as "
            "separate events), 'drop' (keep the first of each set of identical rows) or 'error'."
        )


def check_time_unit(time_unit: str | None) -> None:
    """Refuse a ``time_unit=`` option other than None, "s", "ms", "us" or "ns"."""
    if time_unit is not None and (
        not isinstance(time_unit, str) or time_unit not in ("s", "ms", "us", "ns")
    ):
        raise InvalidParameterError(
            f"Invalid time_unit={time_unit!r}. Expected 's', 'ms', 'us' or 'ns'."
        )


def ingest_pandas(
    df: pd.DataFrame,
    *,
    user_col: str = "user_id",
    event_col: str = "event",
    time_col: str = "timestamp",
    value_col: str | None = "value",
    anonymous_col: str | None = None,
    properties: Sequence[str] | None = None,
    tz: str | None = None,
    identities: Any = None,
    duplicates: Duplicates = "keep",
    as_of: Any = None,
    week_start: WeekStart | int = "monday",
    time_unit: TimeUnit | None = None,
    allow_empty: bool = False,
    time_format: str | None = None,
    dayfirst: bool | None = None,
) -> dict[str, Any]:
    """Check every row of ``df`` and return the keyword arguments of the EventLog constructor.

    The options are those of :meth:`EventLog.from_pandas`; all row problems are collected and
    raised together as one :class:`~useropslib.exceptions.EventSchemaError`.
    """
    if not isinstance(df, pd.DataFrame):
        raise InvalidParameterError(
            f"from_pandas expects a pandas DataFrame, got {type(df).__name__}. Hint: use "
            "EventLog.from_frame for polars, pyarrow or DuckDB data, or from_records for "
            "Event objects."
        )
    check_duplicates_policy(duplicates)
    if tz is not None:
        check_tz(tz)
    ws = parse_week_start(week_start)
    check_time_unit(time_unit)
    check_time_options(time_format, dayfirst)
    check_column_options(
        user_col=user_col,
        event_col=event_col,
        time_col=time_col,
        value_col=value_col,
        anonymous_col=anonymous_col,
    )
    check_flag(allow_empty, "allow_empty")
    if isinstance(df.columns, pd.MultiIndex):
        raise EventSchemaError(
            f"The event table has a {df.columns.nlevels}-level column header (a MultiIndex), "
            "which no column name can address. Expected one level of string names. Hint: "
            "flatten it first, e.g. df.columns = ['_'.join(map(str, c)) for c in df.columns]."
        )

    required = {user_col: "user_col", event_col: "event_col", time_col: "time_col"}
    if anonymous_col is not None:
        required[anonymous_col] = "anonymous_col"
    if value_col is not None and value_col != DEFAULT_VALUE_COL:
        required[value_col] = "value_col"
    props_given = property_names(properties)
    if props_given is not None:
        required.update({p: "properties" for p in props_given if p not in required})
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise EventSchemaError.missing_columns(
            missing=missing, available=df.columns, param=required
        )
    if value_col == DEFAULT_VALUE_COL and value_col not in df.columns:
        value_col = None
    if df.columns.duplicated().any():
        dup = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise EventSchemaError(
            f"Event table has duplicated column name(s) {dup}. Expected unique names. "
            "Hint: rename or drop the repeated columns."
        )

    problems = Problems(df.index)
    n = len(df)
    if n == 0 and not allow_empty:
        problems.add_whole("*", "empty_log", "the table has no rows")
        problems.raise_if_any()

    # --- users (with anonymous ids and identity links) -----------------------------------
    user_s = df[user_col]
    anon_links = None
    if anonymous_col is not None:
        anon_s = df[anonymous_col]
        has_user = user_s.notna().to_numpy()
        key_s = user_s.astype(object).where(has_user, anon_s.astype(object))
        both = has_user & anon_s.notna().to_numpy()
        if both.any():
            pair = pd.DataFrame(
                {
                    "anonymous_id": anon_s[both].to_numpy(dtype=object),
                    "user_id": user_s[both].to_numpy(dtype=object),
                }
            )
            anon_links = pair.drop_duplicates()
    else:
        key_s = user_s
    user_codes, users = encode_ids(key_s, user_col, "user_id", problems, as_text=False)

    # --- events ----------------------------------------------------------------------------
    event_codes, events = encode_ids(df[event_col], event_col, "event", problems, as_text=True)

    # --- time, values, as_of ----------------------------------------------------------------
    ts, input_tz = parse_timestamps(
        df[time_col],
        tz=tz,
        time_unit=time_unit,
        column=time_col,
        problems=problems,
        time_format=time_format,
        dayfirst=dayfirst,
    )
    problems.add(out_of_range(ts), time_col, "out_of_range_timestamp", df[time_col])
    # calendar zone: the one given, else the input's own IANA zone, else UTC
    log_tz = tz or (input_tz if input_tz is not None and is_iana(input_tz) else "UTC")
    values = None
    if value_col is not None:
        values = parse_values(df[value_col], column=value_col, problems=problems)
    as_of_ns = None
    if as_of is not None:
        as_of_ns = to_utc_ns(as_of, tz=log_tz, name="as_of")
        problems.add(ts > as_of_ns, time_col, "after_as_of", df[time_col])

    # --- properties -------------------------------------------------------------------------
    used = {user_col, event_col, time_col, value_col, anonymous_col}
    prop_cols = props_given if props_given is not None else [c for c in df.columns if c not in used]
    core = {"user_id", "event", "timestamp"} | ({"value"} if value_col is not None else set())
    clash = sorted(str(c) for c in prop_cols if c in core)
    if clash:
        raise EventSchemaError(
            f"Property column(s) {clash} have the name of a column every event log has "
            f"({', '.join(sorted(core))}), so one would hide the other in to_pandas(). Expected "
            "property names other than these. Hint: rename them, e.g. "
            f"df.rename(columns={{{clash[0]!r}: 'prop_{clash[0]}'}}), or leave them out with "
            "properties=[...]."
        )
    props = property_frame(df, prop_cols) if prop_cols else None

    # --- duplicates -------------------------------------------------------------------------
    dup_mask = None
    if duplicates != "keep" and n:
        key = pd.DataFrame({"u": user_codes, "e": event_codes, "t": ts})
        if values is not None:
            key["v"] = values
        if props is not None:
            key = pd.concat([key, props.set_axis(key.index)], axis=1)
        try:
            dup_mask = key.duplicated(keep="first").to_numpy()
        except TypeError:  # unhashable property values (lists, dicts): compare their text
            dup_mask = key.astype(str).duplicated(keep="first").to_numpy()
        if duplicates == "error":
            problems.add(dup_mask, "*", "duplicate_row")
    problems.raise_if_any()

    # --- identities -------------------------------------------------------------------------
    user_codes, users, merged = merge_identities(user_codes, users, identities, anon_links)

    dropped = 0
    if dup_mask is not None and duplicates == "drop" and dup_mask.any():
        keep = ~dup_mask
        dropped = int(dup_mask.sum())
        user_codes, event_codes, ts = user_codes[keep], event_codes[keep], ts[keep]
        values = None if values is None else values[keep]
        props = None if props is None else props[keep].reset_index(drop=True)

    return {
        "user_codes": np.ascontiguousarray(user_codes),
        "users": users,
        "event_codes": np.ascontiguousarray(event_codes),
        "events": events,
        "ts_ns": ts,
        "values": values,
        "props": props,
        "tz": log_tz,
        "week_start": ws,
        "as_of_ns": as_of_ns,
        "as_of_given": as_of is not None,
        "dups_dropped": dropped,
        "merged": merged,
    }


def property_frame(df: pd.DataFrame, columns: Sequence[Any]) -> pd.DataFrame:
    """``df[columns].reset_index(drop=True)`` with one copy of each column instead of two.

    The log keeps its own copy, so editing the caller's frame later does not reach it.
    """
    data = {c: df[c].copy(deep=True).reset_index(drop=True) for c in columns}
    out = pd.DataFrame(data, copy=False)
    out.columns = df.columns[df.columns.get_indexer(pd.Index(columns))]
    result: pd.DataFrame = out
    return result


def merge_identities(
    user_codes: npt.NDArray[np.int32],
    users: pd.Index,
    identities: Any,
    extra_links: pd.DataFrame | None = None,
) -> tuple[npt.NDArray[np.int32], pd.Index, int]:
    """Fold linked ids into one user: (new codes, new vocabulary, number of ids merged)."""
    links = links_frame(identities)
    if extra_links is not None:
        links = pd.concat([links, extra_links], ignore_index=True)
    if not len(links):
        return user_codes, users, 0
    canonical = resolve_ids(users, links)
    new_codes, new_users = pd.factorize(pd.Index(canonical, dtype=object))
    merged = len(users) - len(new_users)
    return new_codes.astype(np.int32)[user_codes], pd.Index(new_users), merged


def records_frame(
    records: Iterable[Event | dict[str, Any]],
) -> tuple[pd.DataFrame, list[str], bool]:
    """Validate records with pydantic in one pass: (frame, property names, has anonymous ids)."""
    if isinstance(records, (str, bytes, dict, pd.DataFrame)) or not hasattr(records, "__iter__"):
        raise InvalidParameterError(
            f"Invalid records of type {type(records).__name__}. Expected an iterable of Event "
            "objects or dicts. Hint: a DataFrame goes through EventLog.from_pandas."
        )
    raw = list(records)
    if all(isinstance(r, Event) for r in raw):
        items: list[Event] = raw  # type: ignore[assignment]
    else:
        as_dicts = [r.model_dump() if isinstance(r, Event) else r for r in raw]
        try:
            items = _EVENTS_ADAPTER.validate_python(as_dicts)
        except ValidationError as exc:
            raise records_error(exc, as_dicts) from None
    frame = pd.DataFrame(
        {
            "user_id": pd.Series([e.user_id for e in items], dtype=object),
            "anonymous_id": pd.Series([e.anonymous_id for e in items], dtype=object),
            "event": pd.Series([e.event for e in items], dtype=object),
            "timestamp": pd.to_datetime([e.timestamp for e in items], utc=True),
            "value": pd.Series([e.value for e in items], dtype="float64"),
        }
    )
    props = pd.DataFrame([e.properties for e in items], index=frame.index)
    has_anon = bool(frame["anonymous_id"].notna().any())
    if not has_anon:
        frame = frame.drop(columns="anonymous_id")
    if frame["value"].isna().all():
        frame = frame.drop(columns="value")
    prop_names = [str(c) for c in props.columns]
    reserved = ("user_id", "anonymous_id", "event", "timestamp", "value")
    clash = [c for c in prop_names if c in reserved]
    if clash:
        raise EventSchemaError(
            f"Event properties {clash} clash with the event fields. Expected property names "
            "other than user_id, anonymous_id, event, timestamp and value. Hint: rename them "
            "(e.g. 'event_value')."
        )
    frame = pd.concat([frame, props], axis=1)
    return frame, prop_names, has_anon


def check_engine_columns(
    nw_frame: Any,
    *,
    user_col: str,
    event_col: str,
    time_col: str,
    value_col: str | None,
    anonymous_col: str | None,
    properties: Sequence[str] | None,
    tz: str | None,
    time_unit: str | None,
) -> tuple[str | None, list[str]]:
    """Check the options and columns of an engine frame without touching its rows.

    Returns the value column (None when the default one is absent) and the property names.
    """
    if tz is not None:
        check_tz(tz)
    check_time_unit(time_unit)
    check_column_options(
        user_col=user_col,
        event_col=event_col,
        time_col=time_col,
        value_col=value_col,
        anonymous_col=anonymous_col,
    )
    properties = property_names(properties)
    columns = list(nw_frame.collect_schema().names())
    required = {user_col: "user_col", event_col: "event_col", time_col: "time_col"}
    if anonymous_col is not None:
        required[anonymous_col] = "anonymous_col"
    if value_col is not None and value_col != DEFAULT_VALUE_COL:
        required[value_col] = "value_col"
    props = list(properties) if properties is not None else []
    required.update({p: "properties" for p in props if p not in required})
    missing = [c for c in required if c not in columns]
    if missing:
        raise EventSchemaError.missing_columns(missing=missing, available=columns, param=required)
    if value_col == DEFAULT_VALUE_COL and value_col not in columns:
        value_col = None
    return value_col, props


def is_iana(name: str) -> bool:
    """Whether ``name`` is a time zone the calendar can use."""
    try:
        check_tz(name)
    except UseropsError:
        return False
    return True


def blank_positions(index: pd.Index) -> npt.NDArray[np.int64]:
    """Positions of blank strings (whitespace or invisible characters only) in a vocabulary."""
    if not (pd.api.types.is_object_dtype(index) or pd.api.types.is_string_dtype(index.dtype)):
        return np.empty(0, dtype=np.int64)
    if pd.api.types.infer_dtype(index, skipna=False) == "string":
        is_str = np.ones(len(index), dtype=bool)  # every entry a str: no per-entry check
    else:
        is_str = np.fromiter((isinstance(x, str) for x in index), dtype=bool, count=len(index))
    if not is_str.any():
        return np.empty(0, dtype=np.int64)
    pos = np.flatnonzero(is_str)
    strings = np.asarray(index, dtype=object)[pos]
    # a string whose first character is visible ASCII (! to ~) is not blank: only the others
    # (empty, whitespace, other scripts, invisible characters) go through the pattern
    first = np.asarray(strings, dtype="U1").view(np.uint32)
    maybe = (first < 0x21) | (first > 0x7E)
    pos, strings = pos[maybe], strings[maybe]
    if not pos.size:
        return np.empty(0, dtype=np.int64)
    text = pd.Series(strings, dtype=object)
    out: npt.NDArray[np.int64] = pos[text.str.match(BLANK_PATTERN).to_numpy(dtype=bool)]
    return out


# an object column is factorised through its objects' identities when its strings are shared
# objects (as read from Parquet or Arrow: one object per distinct value), tested on a sample
_SHARED_MIN_ROWS = 100_000
_SHARED_SAMPLE = 50_000
_I32_MAX = int(np.iinfo(np.int32).max)
# the direct address table: slots of 16 bytes, at most this many slots per row (else a hash)
_SLOT_SHIFT = 4
_SLOTS_PER_ROW = 4
_FEW_OBJECTS = 1_024


def _object_addresses(values: npt.NDArray[np.object_]) -> npt.NDArray[np.int64]:
    """Return the addresses of the objects of a C-contiguous object array as int64 (no copy).

    The returned array reads ``values``' own buffer: ``values`` must stay alive while it is used.
    """
    addr = values.__array_interface__["data"][0]
    ptr = ctypes.cast(addr, ctypes.POINTER(ctypes.c_int64))
    out: npt.NDArray[np.int64] = np.ctypeslib.as_array(ptr, shape=(values.size,))
    return out


def _codes_by_address(
    addresses: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.integer[Any]], npt.NDArray[np.int64]] | None:
    """Factorise object addresses through a direct table instead of a hash, when it is small.

    Two live objects are at least 16 bytes apart (a reference count and a type pointer), so
    ``(address - lowest) >> 4`` numbers them without collisions.  When that range has at most
    ``_SLOTS_PER_ROW`` slots per row, one scatter marks the slots in use, the used slots are
    numbered in address order and one gather reads each row's number; no hashing.  Returns the
    codes, renumbered in order of first appearance as ``pd.factorize`` gives them, and the first
    row of each code; None when the addresses are spread too far for a table.
    """
    n = int(addresses.size)
    lo, hi = int(addresses.min()), int(addresses.max())
    slots = ((hi - lo) >> _SLOT_SHIFT) + 1
    if slots > _SLOTS_PER_ROW * n:
        return None
    slot = addresses - lo
    slot >>= _SLOT_SHIFT
    seen = np.zeros(slots, dtype=bool)
    seen[slot] = True
    used = np.flatnonzero(seen)  # the slots in use, in address order
    del seen
    k = int(used.size)
    code_dtype = np.int32 if k <= _I32_MAX else np.int64
    table = np.empty(slots, dtype=code_dtype)  # read at used slots only
    table[used] = np.arange(k, dtype=code_dtype)
    del used
    by_addr = table[slot]  # codes in address order
    del slot, table
    rows = np.arange(n, dtype=np.int32 if n <= _I32_MAX else np.int64)
    first = np.full(k, n, dtype=rows.dtype)
    np.minimum.at(first, by_addr, rows)
    del rows
    order = np.argsort(first, kind="stable")  # address-order codes by first appearance
    remap = np.empty(k, dtype=by_addr.dtype)
    remap[order] = np.arange(k, dtype=by_addr.dtype)
    codes = remap[by_addr]
    return codes, first[order].astype(np.int64)


def factorize_ids(s: pd.Series) -> tuple[npt.NDArray[np.integer[Any]], pd.Index]:
    """``pd.factorize(s)``, the same codes and uniques, through a cheaper route where one exists.

    An object column whose values are shared objects (a few distinct objects repeated over many
    rows, as Parquet and Arrow readers give strings) is factorised by object identity first, an
    int64 hash of addresses instead of a string hash per row, and only the distinct objects are
    then factorised by value.  Codes stay in order of first appearance and the uniques are the
    first object of each value, exactly as ``pd.factorize`` gives them.  Other columns go
    through ``pd.factorize``.
    """
    n = len(s)
    if n >= _SHARED_MIN_ROWS and s.dtype == object and ctypes.sizeof(ctypes.c_void_p) == 8:
        values = np.ascontiguousarray(s.to_numpy(dtype=object))
        addresses = _object_addresses(values)
        head = addresses[:_SHARED_SAMPLE]
        n_head = pd.unique(head).size
        if n_head * 4 <= head.size:  # objects repeat: identity pays off
            # a few objects (event names): a small hash table beats a table over their range
            direct = _codes_by_address(addresses) if n_head > _FEW_OBJECTS else None
            if direct is not None:
                id_codes, at = direct
            else:
                id_codes, id_uniques = pd.factorize(addresses)
                # one row per identity (any row: they all hold the same object), in code
                # order, which is the order of first appearance
                at = np.empty(id_uniques.size, dtype=np.int64)
                at[id_codes] = np.arange(n, dtype=np.int32 if n <= _I32_MAX else np.int64)
            del addresses
            firsts = values[at]
            value_codes, uniques = pd.factorize(firsts)  # TypeError for unhashable ids
            codes = value_codes.astype(np.int32)[id_codes]
            return codes, pd.Index(uniques)
    raw_codes, raw_uniques = pd.factorize(s)
    return raw_codes, pd.Index(raw_uniques)


def _valid_id(x: object) -> bool:
    """Tell whether ``x`` is an id: text or a number, not a bool, container or date."""
    if isinstance(x, (bool, np.bool_)):
        return False
    return isinstance(x, (str, int, float, np.integer, np.floating))


def _id_text(uniques: pd.Index) -> pd.Index:
    """Return the text form of each id: strings as they are, whole numbers without '.0'."""
    out = []
    for x in uniques:  # over distinct ids of a mixed column only
        if isinstance(x, (float, np.floating)) and float(x).is_integer():
            out.append(str(int(x)))
        else:
            out.append(str(x))
    result: pd.Index = pd.Index(out, dtype=object)
    return result


def encode_ids(
    s: pd.Series, column: str, what: str, problems: Problems, *, as_text: bool
) -> tuple[npt.NDArray[np.int32], pd.Index]:
    """Encode a user-id or event-name column: (int32 codes, vocabulary), problems recorded.

    The one identifier policy: an id is text or an integer (a whole float counts as that
    integer); booleans and other objects (lists, dates ...) are ``invalid_{what}``; null ids
    are ``null_{what}``; blank ones (whitespace or invisible characters only) ``empty_{what}``;
    and ids of different kinds that read the same as text (``1`` and ``"1"``) are
    ``colliding_{what}``: they are neither merged nor split silently.  With ``as_text`` the
    vocabulary is converted to text (event names).
    """
    n = len(s)
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    invalid = np.zeros(n, dtype=bool)
    if (
        pd.api.types.is_bool_dtype(s.dtype)
        or not (
            pd.api.types.is_numeric_dtype(s.dtype)
            or pd.api.types.is_object_dtype(s.dtype)
            or pd.api.types.is_string_dtype(s.dtype)
        )
        or pd.api.types.is_complex_dtype(s.dtype)
    ):
        invalid = s.notna().to_numpy()
        problems.add(invalid, column, f"invalid_{what}", s)
        s = pd.Series(None, index=s.index, dtype=object)
    try:
        raw_codes, uniques = factorize_ids(s)
    except TypeError:  # unhashable ids (lists, dicts): find them row by row, then encode the rest
        bad = s.notna().to_numpy() & ~np.fromiter((_valid_id(x) for x in s.to_numpy()), bool, n)
        invalid |= bad
        problems.add(bad, column, f"invalid_{what}", s)
        raw_codes, uniques = pd.factorize(s.astype(object).where(~bad, None))
    codes: npt.NDArray[np.int32] = np.asarray(raw_codes, dtype=np.int32)
    if pd.api.types.is_object_dtype(uniques.dtype) and pd.api.types.infer_dtype(
        uniques, skipna=True
    ) not in ("string", "empty", "integer", "floating", "mixed-integer-float"):
        # classify the distinct ids only (booleans, dates and other objects are no ids)
        bad_u = np.flatnonzero(~np.fromiter((_valid_id(x) for x in uniques), bool, len(uniques)))
        if bad_u.size:
            bad = np.isin(codes, bad_u)
            invalid |= bad
            problems.add(bad, column, f"invalid_{what}", s)
    problems.add((codes < 0) & ~invalid, column, f"null_{what}")
    vocab = pd.Index(uniques)
    is_text = pd.api.types.is_string_dtype(vocab.dtype) and pd.api.types.infer_dtype(
        vocab, skipna=True
    ) in ("string", "empty")
    text = vocab if is_text else None
    if not is_text and pd.api.types.is_object_dtype(vocab.dtype):
        text = _id_text(vocab)
        clash = np.flatnonzero(text.duplicated(keep=False))
        if clash.size:
            problems.add(np.isin(codes, clash), column, f"colliding_{what}", s)
    if as_text and not is_text:
        if text is None:
            text = (
                _id_text(vocab) if pd.api.types.is_float_dtype(vocab.dtype) else vocab.astype(str)
            )
        vocab = pd.Index(text, dtype=object)
    blank = blank_positions(vocab)
    if blank.size:
        problems.add(np.isin(codes, blank), column, f"empty_{what}", s)
    return codes, vocab


def out_of_range(ts: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Instants (not NaT) outside the supported span [MIN_INSTANT, MAX_INSTANT)."""
    lo = int(pd.Timestamp(MIN_INSTANT).value)
    hi = int(pd.Timestamp(MAX_INSTANT).value)
    if not ts.size or (lo <= int(ts.min()) and int(ts.max()) < hi):
        return np.zeros(0, dtype=bool)  # every instant in the span (and no NaT): no row flagged
    valid = ts != np.iinfo(np.int64).min
    out: npt.NDArray[np.bool_] = valid & ((ts < lo) | (ts >= hi))
    return out


def check_column_options(**columns: Any) -> None:
    """Refuse column-name options that are not non-empty strings (None where optional)."""
    for name, col in columns.items():
        check_name(col, name, optional=name in ("value_col", "anonymous_col"))


def check_flag(value: Any, name: str) -> None:
    """Refuse a flag that is not a bool."""
    check_bool(value, name)


def property_names(properties: Any) -> list[str] | None:
    """Read ``properties=``: None, one column name, or a list of names (each a str)."""
    if properties is None:
        return None
    if isinstance(properties, str):
        return [properties]
    if isinstance(properties, (pd.Index, pd.Series, np.ndarray)):
        properties = list(properties)
    if not isinstance(properties, (list, tuple, set, frozenset, dict)) and not hasattr(
        properties, "__iter__"
    ):
        raise InvalidParameterError(
            f"Invalid properties={properties!r}. Expected None, a column name or a list of "
            "column names."
        )
    names = list(properties)
    bad = [p for p in names if not isinstance(p, str) or not p]
    if bad:
        raise InvalidParameterError(
            f"Invalid properties: {bad[:5]!r} are not column names. Expected non-empty str "
            "names, e.g. properties=['channel', 'country']."
        )
    return names


def records_error(exc: ValidationError, records: list[Any]) -> EventSchemaError:
    """One EventSchemaError listing every pydantic error of a batch of records."""
    rows = []
    for err in exc.errors():
        loc = err["loc"]
        pos = loc[0] if loc else None
        fieldname = ".".join(str(p) for p in loc[1:]) or "*"
        rows.append(
            {
                "row": pos,
                "column": fieldname,
                "check": err["type"],
                "value": None if "input" not in err else str(err["input"]),
                "message": err["msg"],
            }
        )
    fc = pd.DataFrame(rows, columns=["row", "column", "check", "value", "message"])
    first = fc.head(5)
    lines = [f"{len(fc)} problem(s) in {fc['row'].nunique()} of {len(records)} event record(s):"]
    lines.extend(
        f"  - record {r.row}, field {r.column!r}: {r.message} (got {r.value})"
        for r in first.itertuples()
    )
    if len(fc) > 5:
        lines.append(f"  ... and {len(fc) - 5} more")
    lines.append(
        "Hint: each record needs user_id or anonymous_id, a non-empty event, and a "
        "timezone-aware timestamp such as '2024-05-01T08:00:00+08:00'. Every problem is listed "
        "in .failure_cases."
    )
    return EventSchemaError("\n".join(lines), failure_cases=fc)
