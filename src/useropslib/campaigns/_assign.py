"""Treatment / control assignment from a campaign's control definition."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from useropslib.campaigns._siphash import arrow_text, salted_hashes
from useropslib.events import EventLog
from useropslib.events._query import load
from useropslib.exceptions import InsufficientDataWarning, InvalidParameterError, did_you_mean
from useropslib.models import Campaign, ExposureControl, HoldoutControl

__all__ = ["assign", "holdout_bucket"]


def holdout_bucket(users: Any, *, salt: str) -> pd.Series:
    r"""Map user ids to a uniform number in [0, 1), deterministically, by a salted hash.

    Parameters
    ----------
    users : sequence or pandas.Index of user ids
        Ids are compared as text, so ``123`` and ``"123"`` land in the same bucket.
    salt : str
        Makes the mapping independent of other campaigns' (use the campaign id).

    Returns
    -------
    pandas.Series
        Float in [0, 1), indexed by the ids (name ``bucket``).

    Notes
    -----
    The hash is SipHash-2-4 of the UTF-8 text ``salt + "\x1f" + id`` under pandas' fixed
    16-byte key (``pandas.util.hash_array``): the same on every machine, run and process
    (unlike Python's ``hash``), and a user's bucket depends on nothing but their id and the
    salt, so adding users never moves existing ones.  The top 53 bits of the 64-bit hash give
    the number.  Text and integer ids are hashed a whole column at a time (numpy runs SipHash on
    the ids' Arrow buffers, the salt's whole 8-byte blocks hashed once), bit-identical to
    ``pandas.util.hash_array`` of the salted texts; other ids go through pandas.

    Examples
    --------
    >>> b = holdout_bucket(["u1", "u2", "u3"], salt="spring")
    >>> again = holdout_bucket(["u1", "u2", "u3"], salt="spring")
    >>> bool(((b >= 0) & (b < 1)).all()), b.equals(again)
    (True, True)
    """
    if not isinstance(salt, str) or not salt:
        raise InvalidParameterError(f"salt must be a non-empty string, got {salt!r}.")
    if isinstance(users, (str, bytes)) or not hasattr(users, "__iter__"):
        raise InvalidParameterError(
            f"users must be a collection of user ids, got {type(users).__name__}. "
            "Hint: users=['u1', 'u2']."
        )
    try:
        index = pd.Index(users)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            "users must be a flat collection of user ids. Hint: users=['u1', 'u2']."
        ) from None
    if index.hasnans:
        raise InvalidParameterError(
            f"users contains {int(index.isna().sum())} missing id(s). Hint: drop them first."
        )
    arrow = arrow_text(index)
    if arrow is not None:  # text and integer ids: hashed in columns, no object per id
        hashed = salted_hashes(arrow, prefix=salt + "\x1f")
    else:
        text = (salt + "\x1f") + index.astype(str).to_series(index=index).astype(object)
        hashed = pd.util.hash_array(text.to_numpy(dtype=object), categorize=False)
    bucket = (hashed >> np.uint64(11)).astype(np.float64) * (2.0**-53)
    out: pd.Series = pd.Series(bucket, index=index, name="bucket")
    return out


def _users_of(users: Any) -> tuple[pd.Index, EventLog | None]:
    if isinstance(users, pd.DataFrame) or hasattr(users, "user_codes") or hasattr(users, "scan"):
        log = load(users)
        present = log.users[log.present_user_codes]
        return pd.Index(present, name="user_id"), log
    if isinstance(users, str | bytes):
        raise InvalidParameterError(
            "users must be a collection of user ids (or an event log), got a single string."
        )
    return pd.Index(users, name="user_id"), None


def assign(users: Any, campaign: Campaign) -> pd.Series:
    """Give each user an arm, ``"treatment"`` or ``"control"``, from the campaign's control group.

    Parameters
    ----------
    users : sequence of user ids, pandas.Index, EventLog or DataFrame
        The audience.  With an event log, its users (for a holdout) or its exposure events (for
        an exposure control) are used.
    campaign : Campaign
        Its ``control``: a :class:`~useropslib.models.HoldoutControl` (hash of the salted id
        below ``share`` is control) or an :class:`~useropslib.models.ExposureControl` (the
        variant property of each user's first exposure event).

    Returns
    -------
    pandas.Series
        Named ``arm``, indexed by user id.  With an exposure control only exposed users appear.

    Raises
    ------
    InvalidParameterError
        When the campaign has no control group, an exposure control is given plain ids instead
        of a log, or the log lacks the exposure event or the variant property.

    Warns
    -----
    InsufficientDataWarning
        When users were exposed to more than one arm (they keep the arm of their first
        exposure; the count is given).

    See Also
    --------
    holdout_bucket : The hash behind a holdout.

    Notes
    -----
    Deterministic across runs and machines, and stable when users are added: a user's arm
    depends only on their id, the salt and the share (GrowthBook and Optimizely hash the same
    way, with other hash functions, so the arms differ from theirs).

    Examples
    --------
    >>> from useropslib.models import Campaign, Goal, HoldoutControl, NewUsersSpec
    >>> camp = Campaign(id="c1", name="Spring", type="acquisition",
    ...     primary_goal=Goal(metric=NewUsersSpec(), target=10, start="2024-03-01"),
    ...     control=HoldoutControl(share=0.5, salt="c1"))
    >>> arms = assign([f"u{i}" for i in range(1000)], camp)
    >>> sorted(arms.unique()), 400 < int((arms == "control").sum()) < 600
    (['control', 'treatment'], True)
    """
    if not isinstance(campaign, Campaign):
        raise InvalidParameterError(f"campaign must be a Campaign, got {type(campaign).__name__}.")
    control = campaign.control
    if control is None:
        raise InvalidParameterError(
            f"campaign {campaign.id!r} has no control group. Hint: set control=HoldoutControl("
            "share=0.1, salt=...) or ExposureControl(event=...), or measure the effect without "
            "a holdout."
        )
    ids, log = _users_of(users)
    if isinstance(control, HoldoutControl):
        bucket = holdout_bucket(ids, salt=control.salt).to_numpy()
        arm = np.where(bucket < control.share, "control", "treatment")
        arms: pd.Series = pd.Series(arm, index=ids, name="arm", dtype=object)
        return arms
    assert isinstance(control, ExposureControl)
    if log is None:
        raise InvalidParameterError(
            "an exposure control reads the arms from exposure events: pass the event log as "
            "users, not a list of ids."
        )
    return _exposure_arms(log, control)


def _exposure_arms(log: EventLog, control: ExposureControl) -> pd.Series:
    if control.event not in set(map(str, log.event_names)):
        close = did_you_mean(control.event, log.event_names)
        raise InvalidParameterError(
            f"the log has no exposure event {control.event!r}."
            + (f" Hint: did you mean {close[0]!r}?" if close else " Hint: check its name.")
        )
    sub = log.filter_events([control.event])
    if control.variant_property not in sub.property_names:
        close = did_you_mean(control.variant_property, sub.property_names)
        raise InvalidParameterError(
            f"exposure events have no property {control.variant_property!r}; properties: "
            f"{list(sub.property_names)}." + (f" Hint: did you mean {close[0]!r}?" if close else "")
        )
    variant = sub.property_values(control.variant_property).to_numpy(dtype=object)
    codes = sub.user_codes.astype(np.int64)
    ts = sub.timestamps_ns
    known = pd.notna(variant)
    order = np.lexsort((ts[known], codes[known]))
    c = codes[known][order]
    v = variant[known][order].astype(str)
    first = np.r_[True, c[1:] != c[:-1]]
    is_control = np.isin(v, np.asarray(control.control_values, dtype=object))
    arm_rows = np.where(is_control, "control", "treatment")
    # users who saw both arms
    group_start = np.flatnonzero(first)
    any_control = np.logical_or.reduceat(is_control, group_start) if c.size else np.array([])
    all_control = np.logical_and.reduceat(is_control, group_start) if c.size else np.array([])
    mixed = int(np.count_nonzero(any_control & ~all_control))
    if mixed:
        warnings.warn(
            f"{mixed} user(s) were exposed to both control and treatment; each keeps the arm of "
            "their first exposure. Hint: check the assignment service for leaks.",
            InsufficientDataWarning,
            stacklevel=3,
        )
    unlabelled = np.setdiff1d(np.unique(codes), c[first]).size
    if unlabelled:
        warnings.warn(
            f"{unlabelled} exposed user(s) have no {control.variant_property!r} value on any "
            "exposure event and are left out of both arms. Hint: check the exposure logging.",
            InsufficientDataWarning,
            stacklevel=3,
        )
    index = pd.Index(log.users[c[first]], name="user_id")
    out: pd.Series = pd.Series(arm_rows[first], index=index, name="arm", dtype=object)
    return out
