"""Which users carry which tags (标签), and vectorised evaluation of tag rules over all users."""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.events._query import check_instant
from useropslib.exceptions import InvalidParameterError, UseropsWarning, clip, did_you_mean
from useropslib.models import (
    TAG_GRAMMAR,
    And,
    DateLike,
    Not,
    Or,
    RuleNode,
    Tag,
    invalid_tag_names,
    parse_rule,
)

__all__ = ["TagTable", "UnknownTagWarning"]

_OPEN_START = np.iinfo(np.int64).min
_OPEN_END = np.iinfo(np.int64).max
_NS_PER_UNIT = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


class UnknownTagWarning(UseropsWarning):
    """A rule refers to a tag that no user in the :class:`TagTable` carries.

    The tag is treated as false for every user (closed world); the message lists close matches,
    since an unknown tag is most often a typo.
    """


# --------------------------------------------------------------------------------------------------
# input helpers


def _frame_column(df: pd.DataFrame, col: str, *, param: str, what: str) -> pd.Series[Any]:
    """Return ``df[col]`` (or the index when it carries that name) or raise a helpful error."""
    if col in df.columns:
        return df[col]
    if df.index.name == col:
        return df.index.to_series(index=df.index)
    close = did_you_mean(col, [str(c) for c in df.columns])
    hint = f"did you mean {param}={close[0]!r}?" if close else f"pass {param}='...' naming it"
    raise InvalidParameterError(
        f"The {what} column {col!r} is not in the frame. Available columns: "
        f"{[str(c) for c in df.columns]}. Hint: {hint}"
    )


def _plain(value: Any) -> Any:
    """Unwrap numpy scalars so messages show ``11`` rather than ``np.int64(11)``."""
    return value.item() if isinstance(value, np.generic) else value


def _check_frame(df: object, *, name: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise InvalidParameterError(
            f"{name} must be a pandas DataFrame, got {type(df).__name__}. "
            "Hint: convert it first, e.g. with .to_pandas()"
        )
    return df


def _user_codes(users: pd.Series[Any], *, user_col: str) -> tuple[npt.NDArray[np.int64], pd.Index]:
    missing = users.isna().to_numpy()
    if missing.any():
        first = users.index[np.flatnonzero(missing)[0]]
        raise InvalidParameterError(
            f"The user column {user_col!r} has {int(missing.sum())} missing value(s) "
            f"(first at row {_plain(first)!r}); every row needs a user id. "
            f"Hint: drop those rows first, e.g. df.dropna(subset=[{user_col!r}])"
        )
    codes, uniques = pd.factorize(users, sort=False)
    return codes.astype(np.int64, copy=False), pd.Index(uniques, name=user_col)


def _to_ns(values: pd.Series[Any], *, col: str, open_value: int) -> npt.NDArray[np.int64]:
    """UTC nanoseconds of an aware timestamp column; missing values become ``open_value``."""
    if values.isna().all():
        return np.full(len(values), open_value, dtype=np.int64)
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        if pd.api.types.is_datetime64_dtype(values.dtype):
            raise InvalidParameterError(
                f"The validity column {col!r} holds naive timestamps (dtype {values.dtype}); "
                "expected timezone-aware ones, because a naive time is ambiguous. "
                f"Hint: localize it, e.g. df[{col!r}].dt.tz_localize('Asia/Shanghai')"
            )
        raise InvalidParameterError(
            f"The validity column {col!r} has dtype {values.dtype}; expected timezone-aware "
            f"timestamps (datetime64[ns, tz]). Hint: convert it, e.g. "
            f"pd.to_datetime(df[{col!r}], utc=True) for ISO strings with offsets"
        )
    utc = pd.DatetimeIndex(values).tz_convert("UTC")
    raw = np.array(utc.asi8, dtype=np.int64)  # in the column's own unit (s, ms, us or ns)
    factor = _NS_PER_UNIT[utc.unit]
    limit = np.iinfo(np.int64).max // factor
    # sentinels such as 9999-12-31 (storable in us, not in ns) are as good as an open bound
    out: npt.NDArray[np.int64] = np.where(
        raw > limit, _OPEN_END, np.where(raw < -limit, _OPEN_START, raw * factor)
    )
    out[values.isna().to_numpy()] = open_value
    return out


def _as_of_ns(as_of: DateLike | None) -> int | None:
    """Read a tag lookup's ``as_of`` through the query layer; tags need a zone-aware instant."""
    if as_of is None:
        return None
    try:
        parsed = pd.Timestamp(as_of)
    except (ValueError, TypeError, OverflowError):
        parsed = None  # not an instant, or out of range: the shared reader says which
    if parsed is not None and parsed is not pd.NaT and parsed.tzinfo is None:
        raise InvalidParameterError(
            f"as_of={as_of!r} is a naive time; expected a timezone-aware instant, because tag "
            "validity is stored in UTC. Hint: pass e.g. "
            f"pd.Timestamp({str(parsed)!r}, tz='Asia/Shanghai') or an ISO string with an offset"
        )
    try:
        return check_instant(as_of, tz="UTC", name="as_of")
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        raise InvalidParameterError(
            f"as_of={as_of!r} is outside the nanosecond timestamp range (1677-09-22 to "
            "2262-04-11). Hint: pass as_of=None to read the end of the recorded history"
        ) from None


def _integral(values: npt.NDArray[np.float64]) -> bool:
    """Whether every value is a whole number that int64 holds exactly."""
    return bool(
        np.isfinite(values).all()
        and (np.abs(values) < 2.0**53).all()
        and (values == np.floor(values)).all()
    )


def _tag_names(names: str | Iterable[str]) -> list[str]:
    if isinstance(names, str):
        return [names]
    out = list(names)
    bad = [n for n in out if not isinstance(n, str)]
    if bad:
        raise InvalidParameterError(
            f"tag names must be strings, got {bad[:5]!r}. Hint: pass e.g. ['vip', 'region:cn']"
        )
    return out


# --------------------------------------------------------------------------------------------------
# the table


class TagTable:
    """Which users carry which tags (标签), optionally with a validity interval per tag.

    An immutable table of (user, tag) pairs over a known set of users.  Users and tags are encoded
    to integer codes once; rules are evaluated with one boolean array per tag over all users.
    Build it with :meth:`from_pairs`, :meth:`from_properties` or :meth:`from_mapping`, and combine
    tables with :meth:`concat` or ``|``.

    See Also
    --------
    useropslib.models.parse_rule : The tag-rule language.

    Notes
    -----
    Evaluation is closed-world: a tag a user does not carry (at ``as_of``) is false for that user.
    Tags are any non-empty strings; only names matching the rule grammar
    (``[A-Za-z_][A-Za-z0-9_:.-]*``, not AND/OR/NOT) can be referenced by a rule, the others are
    still available through :meth:`users_with` and :meth:`tags_of`.

    Examples
    --------
    >>> tags = TagTable.from_mapping(
    ...     {"u1": ["vip", "cn"], "u2": ["vip", "hk", "churned"], "u3": ["cn"], "u4": []}
    ... )
    >>> tags
    TagTable(4 users, 4 tags, 6 pairs; most common: vip 2, cn 2, hk 1, churned 1)
    >>> tags.select("vip AND (cn OR hk) AND NOT churned").tolist()
    ['u1']
    >>> tags.evaluate("NOT vip")
    user_id
    u1    False
    u2    False
    u3     True
    u4     True
    Name: NOT vip, dtype: bool
    """

    __slots__ = (
        "_from_ns",
        "_has_intervals",
        "_offsets",
        "_tag_code",
        "_tags",
        "_to_ns",
        "_user_code",
        "_users",
    )

    _users: pd.Index
    _tags: pd.Index
    _user_code: npt.NDArray[np.int64]
    _tag_code: npt.NDArray[np.int64]
    _from_ns: npt.NDArray[np.int64]
    _to_ns: npt.NDArray[np.int64]
    _offsets: npt.NDArray[np.int64]
    _has_intervals: bool

    def __init__(
        self,
        *,
        users: pd.Index,
        tags: pd.Index,
        user_code: npt.ArrayLike,
        tag_code: npt.ArrayLike,
        from_ns: npt.ArrayLike | None = None,
        to_ns: npt.ArrayLike | None = None,
    ) -> None:
        """Build a table from encoded pairs; most callers want a ``from_*`` constructor instead.

        Parameters
        ----------
        users : pandas.Index
            Every known user id, unique; its name is used as the user column name.
        tags : pandas.Index
            Every tag name, unique strings.
        user_code, tag_code : array-like of int
            One entry per pair: positions into ``users`` and ``tags``.
        from_ns, to_ns : array-like of int, optional
            Validity of each pair as UTC nanoseconds, ``from`` inclusive, ``to`` exclusive;
            int64 min / max (or omitted) for an open bound.
        """
        for what, index in (("users", users), ("tags", tags)):
            if not isinstance(index, pd.Index):
                raise InvalidParameterError(
                    f"{what} must be a pandas.Index, got {type(index).__name__}. Hint: build the "
                    "table with TagTable.from_pairs, which encodes the ids for you"
                )
        arrays = []
        for what, values in (
            ("user_code", user_code),
            ("tag_code", tag_code),
            ("from_ns", from_ns),
            ("to_ns", to_ns),
        ):
            arr = None if values is None else np.asarray(values)
            if arr is not None and (arr.ndim != 1 or arr.dtype.kind not in "iu"):
                raise InvalidParameterError(
                    f"{what} must be a 1-d array of integers, got dtype {arr.dtype} and shape "
                    f"{arr.shape}. Hint: build the table with TagTable.from_pairs"
                )
            arrays.append(arr)
        u = arrays[0].astype(np.int64) if arrays[0] is not None else np.empty(0, np.int64)
        n = len(u)
        t = arrays[1].astype(np.int64) if arrays[1] is not None else np.empty(0, np.int64)
        f = np.full(n, _OPEN_START, np.int64) if arrays[2] is None else arrays[2].astype(np.int64)
        e = np.full(n, _OPEN_END, np.int64) if arrays[3] is None else arrays[3].astype(np.int64)
        if not (len(t) == len(f) == len(e) == n):
            raise InvalidParameterError(
                f"user_code, tag_code, from_ns and to_ns must have one entry per pair; got "
                f"lengths {n}, {len(t)}, {len(f)}, {len(e)}. Hint: build the table with "
                "TagTable.from_pairs"
            )
        for what, index in (("users", users), ("tags", tags)):
            if not index.is_unique:
                dupes = index[index.duplicated()].unique()[:5].tolist()
                raise InvalidParameterError(
                    f"{what} must be unique, got duplicates {dupes}. Hint: build the table with "
                    "TagTable.from_pairs, which encodes the ids for you"
                )
        bad_tags = invalid_tag_names(tags)
        if bad_tags:
            warnings.warn(
                f"{len(bad_tags)} tag name(s) no rule can reference, e.g. "
                f"{[clip(x, 40) for x in bad_tags[:5]]}: a rule's tag is {TAG_GRAMMAR}, and "
                "not AND, OR or NOT. They work with users_with() and tags_of(), not in "
                "Segment rules. Hint: rename them (replace spaces with '_', e.g. 'vip_gold'; "
                "use ASCII names such as 'high_value' for rules)",
                UseropsWarning,
                stacklevel=3,
            )
        for what, codes, size in (("user_code", u, len(users)), ("tag_code", t, len(tags))):
            if n and (codes.min() < 0 or codes.max() >= size):
                raise InvalidParameterError(
                    f"{what} must hold positions in [0, {size}), got values from {codes.min()} to "
                    f"{codes.max()}. Hint: build the table with TagTable.from_pairs"
                )
        inverted = e < f
        if inverted.any():
            i = int(np.flatnonzero(inverted)[0])
            raise InvalidParameterError(
                f"{int(inverted.sum())} tag validity interval(s) end before they start (first: "
                f"user {_plain(users[u[i]])!r}, tag {tags[t[i]]!r}); expected "
                "valid_from <= valid_to. Hint: swap the columns or fix those rows"
            )
        # sort by (tag, user[, from, to]) and drop exact duplicates: each tag's users are then
        # one contiguous slice, found through ``_offsets``.
        has_intervals = bool((f != _OPEN_START).any() or (e != _OPEN_END).any())
        key = t * max(len(users), 1) + u
        order = np.lexsort((e, f, key)) if has_intervals else np.argsort(key, kind="stable")
        key, u, t, f, e = key[order], u[order], t[order], f[order], e[order]
        if n > 1:
            keep = np.ones(n, dtype=bool)
            keep[1:] = np.diff(key) != 0
            if has_intervals:
                keep[1:] |= (np.diff(f) != 0) | (np.diff(e) != 0)
            u, t, f, e = u[keep], t[keep], f[keep], e[keep]
        offsets = np.zeros(len(tags) + 1, dtype=np.int64)
        np.cumsum(np.bincount(t, minlength=len(tags)), out=offsets[1:])
        for arr in (u, t, f, e, offsets):
            arr.flags.writeable = False
        self._users = users
        self._tags = pd.Index(tags, dtype=object, name="tag")
        self._user_code = u
        self._tag_code = t
        self._from_ns = f
        self._to_ns = e
        self._offsets = offsets
        self._has_intervals = has_intervals

    # ------------------------------------------------------------------------------- constructors

    @classmethod
    def from_pairs(
        cls,
        df: pd.DataFrame,
        *,
        user_col: str = "user_id",
        tag_col: str = "tag",
        valid_from_col: str | None = None,
        valid_to_col: str | None = None,
    ) -> TagTable:
        """Build a table from one row per (user, tag), optionally with a validity interval.

        Parameters
        ----------
        df : pandas.DataFrame
            The pairs.  Not modified.
        user_col : str, default "user_id"
            Column (or index name) of user ids; no missing values.
        tag_col : str, default "tag"
            Column of tag names; values are converted to ``str``.  A row with a missing tag only
            registers its user (a user with no tags).
        valid_from_col, valid_to_col : str, optional
            Columns of timezone-aware timestamps: the tag holds from ``valid_from`` (inclusive)
            until ``valid_to`` (exclusive).  A missing value is an open bound.

        Returns
        -------
        TagTable

        Raises
        ------
        InvalidParameterError
            For a missing column, missing user ids, empty tag names, naive or non-datetime
            validity columns, or an interval that ends before it starts.

        Examples
        --------
        >>> df = pd.DataFrame(
        ...     {
        ...         "user_id": ["u1", "u1", "u2"],
        ...         "tag": ["vip", "trial", "trial"],
        ...         "valid_to": pd.to_datetime([None, "2024-02-01", None], utc=True),
        ...     }
        ... )
        >>> tags = TagTable.from_pairs(df, valid_to_col="valid_to")
        >>> tags.select("trial", as_of="2024-01-15T00:00:00Z").tolist()
        ['u1', 'u2']
        >>> tags.select("trial", as_of="2024-03-01T00:00:00Z").tolist()
        ['u2']
        """
        df = _check_frame(df, name="df")
        users = _frame_column(df, user_col, param="user_col", what="user")
        tag_values = _frame_column(df, tag_col, param="tag_col", what="tag")
        user_code, user_index = _user_codes(users, user_col=user_col)
        raw_code, raw_tags = pd.factorize(tag_values, sort=False)  # -1 marks a missing tag
        has_tag = raw_code >= 0
        # convert the (few) distinct values to str, merging values with the same text (1, "1")
        names = pd.Index(raw_tags, dtype=object).astype(str)
        empty = np.asarray(names.str.strip() == "", dtype=bool)
        if empty.any():
            rows = np.flatnonzero(has_tag & empty[np.maximum(raw_code, 0)])
            raise InvalidParameterError(
                f"The tag column {tag_col!r} has {len(rows)} empty tag name(s) (first at row "
                f"{_plain(tag_values.index[rows[0]])!r}); expected non-empty names. "
                "Hint: set them to None to register the user without a tag, or drop the rows"
            )
        name_code, tag_index = pd.factorize(names, sort=False)
        tag_code = name_code[raw_code[has_tag]]
        from_ns = to_ns = None
        if valid_from_col is not None:
            col = _frame_column(df, valid_from_col, param="valid_from_col", what="valid_from")
            from_ns = _to_ns(col, col=valid_from_col, open_value=_OPEN_START)[has_tag]
        if valid_to_col is not None:
            col = _frame_column(df, valid_to_col, param="valid_to_col", what="valid_to")
            to_ns = _to_ns(col, col=valid_to_col, open_value=_OPEN_END)[has_tag]
        return cls(
            users=user_index,
            tags=pd.Index(tag_index),
            user_code=user_code[has_tag],
            tag_code=tag_code,
            from_ns=from_ns,
            to_ns=to_ns,
        )

    @classmethod
    def from_properties(
        cls,
        users_df: pd.DataFrame,
        *,
        columns: Sequence[str] | None = None,
        user_col: str = "user_id",
    ) -> TagTable:
        """Build tags from user properties: ``region = "cn"`` becomes the tag ``"region:cn"``.

        Parameters
        ----------
        users_df : pandas.DataFrame
            One row per user (or several; their tags are combined).  Not modified.
        columns : sequence of str, optional
            Property columns to turn into tags; default every column except ``user_col``.
        user_col : str, default "user_id"
            Column (or index name) of user ids.

        Returns
        -------
        TagTable
            Every user of ``users_df``, including those whose properties are all missing.

        Raises
        ------
        InvalidParameterError
            For a missing column or missing user ids.

        Notes
        -----
        A missing value gives no tag.  A boolean column gives the bare column name as a tag where
        it is true (``is_paying`` -> ``"is_paying"``) and no tag where it is false.  Other values
        give ``"<column>:<value>"``; whole floats print as integers (``tier`` 2.0 -> ``"tier:2"``,
        as integer columns with missing values are stored as floats).  A value with spaces or
        other characters outside the rule grammar gives a tag that :meth:`users_with` and
        :meth:`tags_of` find but a rule cannot spell; map such values first if rules need them.

        Examples
        --------
        >>> users = pd.DataFrame(
        ...     {
        ...         "user_id": [1, 2, 3],
        ...         "region": ["cn", "hk", None],
        ...         "is_paying": [True, False, True],
        ...     }
        ... )
        >>> tags = TagTable.from_properties(users)
        >>> tags.tags_of(1)
        ['is_paying', 'region:cn']
        >>> tags.select("region:cn OR region:hk").tolist()
        [1, 2]
        """
        users_df = _check_frame(users_df, name="users_df")
        users = _frame_column(users_df, user_col, param="user_col", what="user")
        if columns is None:
            columns = [c for c in users_df.columns if c != user_col]
        elif isinstance(columns, str):
            columns = [columns]
        user_code, user_index = _user_codes(users, user_col=user_col)
        pair_users: list[npt.NDArray[np.int64]] = []
        pair_tags: list[npt.NDArray[np.object_]] = []
        for col in columns:  # a loop over property columns, not over users
            values = _frame_column(users_df, col, param="columns", what="property")
            keep = values.notna().to_numpy().copy()
            present = values[keep]
            kind = pd.api.types.infer_dtype(present, skipna=True)
            if kind == "boolean":  # a flag: the column name where true, nothing where false
                keep[keep] = present.to_numpy(dtype=bool)
                text = np.full(int(keep.sum()), str(col), dtype=object)
            else:
                if kind == "floating" and _integral(present.to_numpy(dtype=float)):
                    present = present.astype(np.int64)  # 1.0 -> "1" (ints with gaps are floats)
                text = (f"{col}:" + present.astype(str)).to_numpy(dtype=object)
            pair_users.append(user_code[keep])
            pair_tags.append(text)
        all_tags = np.concatenate(pair_tags) if pair_tags else np.array([], dtype=object)
        tag_code, tag_index = pd.factorize(all_tags, sort=False)
        return cls(
            users=user_index,
            tags=pd.Index(tag_index),
            user_code=np.concatenate(pair_users) if pair_users else np.array([], np.int64),
            tag_code=tag_code,
        )

    @classmethod
    def from_mapping(
        cls, mapping: Mapping[Hashable, Iterable[str] | str | None], *, user_col: str = "user_id"
    ) -> TagTable:
        """Build a table from ``{user: [tags]}``.

        Parameters
        ----------
        mapping : mapping
            User id to its tags (a list, tuple or set; a single string is one tag).  A user with
            an empty list or ``None`` is known and carries no tag.
        user_col : str, default "user_id"
            Name given to the user index of results.

        Returns
        -------
        TagTable

        Raises
        ------
        InvalidParameterError
            For a missing user id or an empty tag name.

        Examples
        --------
        >>> tags = TagTable.from_mapping({"u1": ["vip", "cn"], "u2": "hk", "u3": []})
        >>> tags.tags_of("u1"), tags.tags_of("u2"), tags.tags_of("u3")
        (['cn', 'vip'], ['hk'], [])
        """
        series = pd.Series(list(mapping.values()), index=list(mapping.keys()), dtype=object)
        pairs = series.explode()
        frame = pd.DataFrame({user_col: pairs.index, "tag": pairs.to_numpy()})
        return cls.from_pairs(frame, user_col=user_col, tag_col="tag")

    @classmethod
    def concat(cls, tables: Iterable[TagTable]) -> TagTable:
        """Combine tables: the union of their users and of their (user, tag, validity) pairs.

        Parameters
        ----------
        tables : iterable of TagTable
            At least one table.  Users keep their order of first appearance.

        Returns
        -------
        TagTable

        Raises
        ------
        InvalidParameterError
            If ``tables`` is empty or holds something else than a TagTable.

        Examples
        --------
        >>> a = TagTable.from_mapping({"u1": ["vip"]})
        >>> b = TagTable.from_mapping({"u1": ["cn"], "u2": ["cn"]})
        >>> TagTable.concat([a, b]).tags_of("u1")
        ['cn', 'vip']
        >>> (a | b).select("vip OR cn").tolist()
        ['u1', 'u2']
        """
        items = list(tables)
        if not items:
            raise InvalidParameterError(
                "concat needs at least one TagTable, got none. Hint: pass a list of tables"
            )
        bad = [type(t).__name__ for t in items if not isinstance(t, TagTable)]
        if bad:
            raise InvalidParameterError(
                f"concat combines TagTable objects only, got {bad}. Hint: build them with "
                "TagTable.from_pairs, from_properties or from_mapping first"
            )
        users = items[0]._users
        tags = items[0]._tags
        for table in items[1:]:  # a loop over tables, not over users
            users = users.append(table._users[~table._users.isin(users)])
            tags = tags.append(table._tags[~table._tags.isin(tags)])
        user_code = [users.get_indexer(t._users)[t._user_code] for t in items]
        tag_code = [tags.get_indexer(t._tags)[t._tag_code] for t in items]
        return cls(
            users=users.rename(items[0]._users.name),
            tags=tags,
            user_code=np.concatenate(user_code),
            tag_code=np.concatenate(tag_code),
            from_ns=np.concatenate([t._from_ns for t in items]),
            to_ns=np.concatenate([t._to_ns for t in items]),
        )

    def __or__(self, other: object) -> TagTable:
        if not isinstance(other, TagTable):
            return NotImplemented
        return TagTable.concat([self, other])

    # ----------------------------------------------------------------------------- inspection

    @property
    def users(self) -> pd.Index:
        """Every user id the table knows, in order of first appearance."""
        return self._users

    @property
    def tags(self) -> pd.Index:
        """Every tag name in the table, in order of first appearance."""
        return self._tags

    @property
    def has_intervals(self) -> bool:
        """Whether any pair has a bounded validity interval (so ``as_of`` matters)."""
        return self._has_intervals

    def __len__(self) -> int:
        """Return the number of users (with or without tags)."""
        return len(self._users)

    def __repr__(self) -> str:
        counts = np.diff(self._offsets)
        top = np.argsort(-counts, kind="stable")[:5]
        common = ", ".join(f"{self._tags[i]} {counts[i]}" for i in top if counts[i])
        more = ", ..." if len(self._tags) > 5 else ""
        extra = ", with validity intervals" if self._has_intervals else ""
        return (
            f"TagTable({len(self._users)} users, {len(self._tags)} tags, "
            f"{len(self._user_code)} pairs{extra}"
            + (f"; most common: {common}{more})" if common else ")")
        )

    def to_frame(self) -> pd.DataFrame:
        """Return the pairs as a tidy frame; ``TagTable.from_pairs`` of it rebuilds the table.

        Returns
        -------
        pandas.DataFrame
            Columns: the user column, ``tag``, and when the table has validity intervals
            ``valid_from`` / ``valid_to`` (UTC, ``NaT`` for an open bound).  Users without any
            tag appear once with a missing tag, so no user is lost.

        Examples
        --------
        >>> TagTable.from_mapping({"u1": ["vip", "cn"], "u2": []}).to_frame()
          user_id  tag
        0      u1  vip
        1      u1   cn
        2      u2  NaN
        """
        untagged = np.ones(len(self._users), dtype=bool)
        untagged[self._user_code] = False
        lonely = np.flatnonzero(untagged)
        # list pairs user by user, in the table's user order
        order = np.argsort(self._user_code, kind="stable")
        user_pos = np.concatenate([self._user_code[order], lonely])
        tag_text = np.concatenate(
            [self._tags.to_numpy(dtype=object)[self._tag_code[order]], np.full(len(lonely), np.nan)]
        )
        final = np.argsort(user_pos, kind="stable")
        user_name = self._users.name if self._users.name is not None else "user_id"
        out: pd.DataFrame = pd.DataFrame(
            {user_name: self._users.take(user_pos[final]), "tag": tag_text[final]}
        ).reset_index(drop=True)
        if self._has_intervals:
            f = np.concatenate([self._from_ns[order], np.full(len(lonely), _OPEN_START)])[final]
            e = np.concatenate([self._to_ns[order], np.full(len(lonely), _OPEN_END)])[final]
            out["valid_from"] = _ns_to_utc(f, _OPEN_START)
            out["valid_to"] = _ns_to_utc(e, _OPEN_END)
        return out

    def tags_of(self, user: Hashable, *, as_of: DateLike | None = None) -> list[str]:
        """Return the tags of one user, sorted.

        Parameters
        ----------
        user : hashable
            A user id of the table.
        as_of : str, datetime or pandas.Timestamp, optional
            Timezone-aware instant at which validity intervals are read; see :meth:`evaluate`.

        Returns
        -------
        list of str

        Raises
        ------
        InvalidParameterError
            If the user is not in the table.

        Examples
        --------
        >>> TagTable.from_mapping({"u1": ["vip", "cn"]}).tags_of("u1")
        ['cn', 'vip']
        """
        loc = self._users.get_indexer(pd.Index([user], dtype=object))[0]
        if loc < 0:
            close = did_you_mean(str(user), self._users[:10_000])
            hint = f"did you mean {close[0]!r}?" if close else "check the id and its type"
            raise InvalidParameterError(
                f"User {user!r} is not in this TagTable ({len(self._users)} users). Hint: {hint}"
            )
        hit = (self._user_code == loc) & self._active(_as_of_ns(as_of))
        return sorted(str(t) for t in self._tags[np.unique(self._tag_code[hit])])

    def users_with(
        self, tag: str, *, as_of: DateLike | None = None, users: Iterable[Hashable] | None = None
    ) -> pd.Index:
        """Return the users who carry ``tag``.

        Parameters
        ----------
        tag : str
            A tag name (any string, also one a rule could not spell).
        as_of : str, datetime or pandas.Timestamp, optional
            Timezone-aware instant at which validity intervals are read; see :meth:`evaluate`.
        users : iterable, optional
            Extra users to consider (they carry no tags unless the table says so).

        Returns
        -------
        pandas.Index
            User ids, in table order.

        Warns
        -----
        UnknownTagWarning
            If no user of the table carries ``tag`` (at any time).

        Examples
        --------
        >>> tags = TagTable.from_mapping({"u1": ["vip"], "u2": [], "u3": ["vip"]})
        >>> tags.users_with("vip").tolist()
        ['u1', 'u3']
        """
        universe = self._universe(users)
        self._warn_unknown(_tag_names(tag))
        mask = self._tag_mask(str(tag), _as_of_ns(as_of), len(universe))
        out: pd.Index = universe[mask]
        return out

    def membership(
        self,
        tag_names: str | Iterable[str],
        *,
        as_of: DateLike | None = None,
        users: Iterable[Hashable] | None = None,
    ) -> pd.DataFrame:
        """Return a boolean user x tag matrix: does each user carry each tag.

        Parameters
        ----------
        tag_names : str or iterable of str
            The tags (columns of the result, in this order).
        as_of : str, datetime or pandas.Timestamp, optional
            Timezone-aware instant at which validity intervals are read; see :meth:`evaluate`.
        users : iterable, optional
            Extra users to include as rows (they carry no tags unless the table says so).

        Returns
        -------
        pandas.DataFrame
            Index: user ids; one bool column per tag.

        Warns
        -----
        UnknownTagWarning
            For tags no user carries; their column is all false.

        Examples
        --------
        >>> tags = TagTable.from_mapping({"u1": ["vip", "cn"], "u2": ["cn"]})
        >>> tags.membership(["vip", "cn"])
                   vip    cn
        user_id
        u1        True  True
        u2       False  True
        """
        names = _tag_names(tag_names)
        universe = self._universe(users)
        self._warn_unknown(names)
        t = _as_of_ns(as_of)
        data = {name: self._tag_mask(name, t, len(universe)) for name in dict.fromkeys(names)}
        out: pd.DataFrame = pd.DataFrame(data, index=universe, columns=list(data))
        return out

    # ----------------------------------------------------------------------------- evaluation

    def evaluate(
        self,
        rule: str | RuleNode,
        *,
        as_of: DateLike | None = None,
        users: Iterable[Hashable] | None = None,
    ) -> pd.Series[bool]:
        """Evaluate a tag rule for every user at once.

        Parameters
        ----------
        rule : str or RuleNode
            Rule text such as ``"vip AND (cn OR hk) AND NOT churned"``, or a parsed rule.
        as_of : str, datetime or pandas.Timestamp, optional
            Timezone-aware instant at which each tag's validity interval is read (a tag holds from
            ``valid_from`` inclusive to ``valid_to`` exclusive).  Default: the end of the recorded
            history, i.e. a tag holds if its interval has no end.  Irrelevant for tables without
            validity intervals.
        users : iterable, optional
            Users to evaluate in addition to the table's (for example every user of an event
            log); those the table does not know carry no tags, so ``NOT vip`` is true for them.

        Returns
        -------
        pandas.Series of bool
            Indexed by user id (the table's users, then the new ones of ``users``); named by the
            canonical rule text.

        Raises
        ------
        RuleSyntaxError
            If the rule text is malformed.
        InvalidParameterError
            If ``as_of`` is naive or unreadable, or ``users`` holds missing ids.

        Warns
        -----
        UnknownTagWarning
            If the rule refers to tags no user carries; they are false for everyone.

        Notes
        -----
        Each tag referenced becomes one boolean array over all users; ``AND``, ``OR`` and ``NOT``
        are ``&``, ``|`` and ``~`` on those arrays, so the cost is one pass over the pairs of the
        referenced tags plus a few passes over the users.

        Examples
        --------
        >>> tags = TagTable.from_mapping({"u1": ["vip", "cn"], "u2": ["vip", "churned"]})
        >>> tags.evaluate("vip AND NOT churned", users=["u1", "u2", "u3"])
        user_id
        u1     True
        u2    False
        u3    False
        Name: vip AND NOT churned, dtype: bool
        """
        node = _as_node(rule)
        universe = self._universe(users)
        self._warn_unknown(node.tags())
        mask = self._evaluate(node, _as_of_ns(as_of), len(universe))
        out: pd.Series[bool] = pd.Series(mask, index=universe, name=node.to_rule())
        return out

    def select(
        self,
        rule: str | RuleNode,
        *,
        as_of: DateLike | None = None,
        users: Iterable[Hashable] | None = None,
    ) -> pd.Index:
        """Return the ids of the users for whom a tag rule holds.

        Parameters
        ----------
        rule : str or RuleNode
            Rule text or a parsed rule.
        as_of : str, datetime or pandas.Timestamp, optional
            See :meth:`evaluate`.
        users : iterable, optional
            See :meth:`evaluate`.

        Returns
        -------
        pandas.Index
            User ids, in table order.

        Raises
        ------
        RuleSyntaxError
            If the rule text is malformed.
        InvalidParameterError
            If ``as_of`` is naive or unreadable, or ``users`` holds missing ids.

        Warns
        -----
        UnknownTagWarning
            If the rule refers to tags no user carries.

        Examples
        --------
        >>> tags = TagTable.from_mapping({"u1": ["kol"], "u2": ["paying"], "u3": ["paying", "churned"]})
        >>> tags.select("kol or paying and not churned").tolist()
        ['u1', 'u2']
        """  # noqa: E501
        node = _as_node(rule)
        universe = self._universe(users)
        self._warn_unknown(node.tags())
        out: pd.Index = universe[self._evaluate(node, _as_of_ns(as_of), len(universe))]
        return out

    # ------------------------------------------------------------------------------- internals

    def _universe(self, users: Iterable[Hashable] | None) -> pd.Index:
        if users is None:
            return self._users
        extra = pd.Index(users if isinstance(users, (pd.Index, pd.Series)) else list(users))
        missing = np.asarray(extra.isna(), dtype=bool)
        if missing.any():
            raise InvalidParameterError(
                f"users holds {int(missing.sum())} missing id(s); expected user ids only. "
                "Hint: drop them first, e.g. users.dropna()"
            )
        extra = extra[~extra.isin(self._users)].unique()
        out: pd.Index = self._users.append(pd.Index(extra)).rename(self._users.name)
        return out

    def _active(self, as_of_ns: int | None, sl: slice = slice(None)) -> npt.NDArray[np.bool_]:
        """Which pairs (of the slice) hold at ``as_of_ns`` (None: at the end of history)."""
        if not self._has_intervals:
            return np.ones(len(self._to_ns[sl]), dtype=bool)
        if as_of_ns is None:
            open_end: npt.NDArray[np.bool_] = self._to_ns[sl] == _OPEN_END
            return open_end
        holds: npt.NDArray[np.bool_] = (self._from_ns[sl] <= as_of_ns) & (
            as_of_ns < self._to_ns[sl]
        )
        return holds

    def _tag_mask(self, name: str, as_of_ns: int | None, n_users: int) -> npt.NDArray[np.bool_]:
        out = np.zeros(n_users, dtype=bool)
        code = self._tags.get_indexer(pd.Index([name], dtype=object))[0]
        if code >= 0:
            sl = slice(int(self._offsets[code]), int(self._offsets[code + 1]))
            holders = self._user_code[sl]
            if self._has_intervals:
                holders = holders[self._active(as_of_ns, sl)]
            out[holders] = True
        return out

    def _evaluate(
        self, node: RuleNode, as_of_ns: int | None, n_users: int
    ) -> npt.NDArray[np.bool_]:
        cache: dict[str, npt.NDArray[np.bool_]] = {}

        def visit(n: RuleNode) -> npt.NDArray[np.bool_]:
            if isinstance(n, Tag):
                if n.name not in cache:
                    cache[n.name] = self._tag_mask(n.name, as_of_ns, n_users)
                return cache[n.name]
            if isinstance(n, Not):
                return ~visit(n.operand)
            # fresh accumulator: the cached tag arrays are never modified in place
            acc: npt.NDArray[np.bool_] = visit(n.operands[0]).copy()
            for op in n.operands[1:]:
                if isinstance(n, And):
                    acc &= visit(op)
                else:
                    acc |= visit(op)
            return acc

        return visit(node)

    def _warn_unknown(self, names: list[str]) -> None:
        unknown = [n for n in dict.fromkeys(names) if n not in self._tags]
        if not unknown:
            return
        parts = []
        for name in unknown:
            close = did_you_mean(name, self._tags)
            parts.append(f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name))
        warnings.warn(
            f"No user in this TagTable carries tag(s) {', '.join(parts)}; they are treated as "
            "false for every user. Hint: check the spelling (tag names are case-sensitive)",
            UnknownTagWarning,
            stacklevel=3,
        )


def _as_node(rule: str | RuleNode) -> RuleNode:
    if isinstance(rule, (Tag, Not, And, Or)):
        return rule
    if isinstance(rule, str):
        return parse_rule(rule)
    raise InvalidParameterError(
        f"rule must be rule text such as 'vip AND NOT churned' or a parsed rule, got "
        f"{type(rule).__name__}. Hint: build it with useropslib.models.parse_rule"
    )


def _ns_to_utc(values: npt.NDArray[np.int64], open_value: int) -> pd.DatetimeIndex:
    out = values.copy()
    out[values == open_value] = np.iinfo(np.int64).min  # pandas' NaT
    stamps: pd.DatetimeIndex = pd.DatetimeIndex(out.view("M8[ns]")).tz_localize("UTC")
    return stamps
