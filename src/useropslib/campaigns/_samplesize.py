"""Sample size, power and minimum detectable effect of a two-arm test, by named convention."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd

from useropslib._checks import is_real
from useropslib.exceptions import InvalidParameterError, did_you_mean

__all__ = ["SAMPLE_SIZE_METHODS", "mde", "power", "sample_size", "weeks_to_power"]

Method = Literal["evan_miller", "pooled", "arcsine", "delta"]
Alternative = Literal["two-sided", "one-sided"]

SAMPLE_SIZE_METHODS: tuple[str, ...] = ("evan_miller", "pooled", "arcsine", "delta")
"""The conventions of :func:`sample_size`, :func:`power` and :func:`mde`."""


def _z(q: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(q))


def _phi(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _choice(value: Any, options: tuple[str, ...], name: str) -> str:
    if isinstance(value, str) and value in options:
        return value
    close = did_you_mean(str(value), options)
    hint = f"did you mean {close[0]!r}?" if close else f"use one of {list(options)}"
    raise InvalidParameterError(
        f"{name} must be one of {list(options)}, got {value!r}. Hint: {hint}"
    )


def _open_unit(value: Any, name: str, hint: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise InvalidParameterError(f"{name} must be a number, got {type(value).__name__}.")
    v = float(value)
    if not is_real(v) or not 0 < v < 1:
        raise InvalidParameterError(
            f"{name} must be strictly between 0 and 1, got {value!r}. Hint: {hint}"
        )
    return v


def _positive(value: Any, name: str, hint: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise InvalidParameterError(f"{name} must be a number, got {type(value).__name__}.")
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise InvalidParameterError(
            f"{name} must be a positive number, got {value!r}. Hint: {hint}"
        )
    return v


def _rates(baseline: Any, effect: Any, relative: bool) -> tuple[float, float]:
    p0 = _open_unit(
        baseline,
        "baseline",
        "give the control's conversion rate as a fraction, e.g. 0.2 for 20 %",
    )
    if isinstance(effect, bool) or not isinstance(effect, int | float | np.number):
        raise InvalidParameterError(f"mde must be a number, got {type(effect).__name__}.")
    d = float(effect)
    if d == 0 or not math.isfinite(d):
        raise InvalidParameterError(
            f"mde must be a non-zero finite effect, got {effect!r}: no test can detect an effect "
            "of 0. Hint: give the smallest change worth detecting, e.g. mde=0.05 (5 points)."
        )
    delta = d * p0 if relative else d
    p1 = p0 + delta
    if not is_real(p1) or not 0 < p1 < 1:
        what = f"relative mde={d!r}" if relative else f"mde={d!r}"
        raise InvalidParameterError(
            f"baseline={p0!r} with {what} gives a treatment rate {p1!r} outside (0, 1). "
            "Hint: relative=True reads mde as a share of the baseline (0.1 = +10 %)."
        )
    return p0, p1


def _common(alpha: Any, alternative: Any, method: Any, ratio: Any) -> tuple[float, str, float]:
    a = _open_unit(alpha, "alpha", "the false-positive rate, e.g. 0.05")
    alt = _choice(alternative, ("two-sided", "one-sided"), "alternative")
    _choice(method, SAMPLE_SIZE_METHODS, "method")
    k = _positive(ratio, "ratio", "treatment size over control size, e.g. 1 for equal arms")
    z_a = _z(1 - a / 2) if alt == "two-sided" else _z(1 - a)
    return z_a, alt, k


def _sds(method: str, p0: float, p1: float, k: float) -> tuple[float, float]:
    """Per-unit standard deviations of the difference under H0 and H1 (n = control size)."""
    q0, q1 = 1 - p0, 1 - p1
    if method == "evan_miller":
        return math.sqrt(p0 * q0 * (1 + 1 / k)), math.sqrt(p0 * q0 + p1 * q1 / k)
    if method == "pooled":
        pbar = (p0 + k * p1) / (1 + k)
        return math.sqrt(pbar * (1 - pbar) * (1 + 1 / k)), math.sqrt(p0 * q0 + p1 * q1 / k)
    # delta: the relative lift's standard error by the delta method, in units of the lift
    var = p1 * q1 / (k * p0**2) + p1**2 * p0 * q0 / p0**4
    return math.sqrt(var), math.sqrt(var)


def _effect(method: str, p0: float, p1: float) -> float:
    if method == "arcsine":
        return abs(2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p0)))
    if method == "delta":
        return abs(p1 / p0 - 1)
    return abs(p1 - p0)


def sample_size(
    baseline: float,
    mde: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    method: Method = "evan_miller",
    relative: bool = False,
    ratio: float = 1.0,
    alternative: Alternative = "two-sided",
) -> float:
    """Users needed in the control arm to detect a change of a conversion rate.

    Parameters
    ----------
    baseline : float
        The control's conversion rate, strictly between 0 and 1.
    mde : float
        The minimum detectable effect: an absolute change in points of rate (0.05 = 5 points),
        or with ``relative=True`` a share of the baseline (0.1 = +10 %).  Not 0; negative for
        a decrease.
    alpha : float, default 0.05
        False-positive rate.
    power : float, default 0.8
        Chance of detecting the effect when it is real.
    method : {"evan_miller", "pooled", "arcsine", "delta"}, default "evan_miller"
        The convention (see Notes).
    relative : bool, default False
        Read ``mde`` as relative to the baseline.
    ratio : float, default 1.0
        Treatment size over control size (a 10 % holdout is ``ratio=9``).  The treatment arm
        needs ``ratio`` times the returned number.
    alternative : {"two-sided", "one-sided"}, default "two-sided"

    Returns
    -------
    float
        Users in the control arm, unrounded (round up when planning).

    Raises
    ------
    InvalidParameterError
        For a baseline outside (0, 1), an ``mde`` of 0 or one that leaves (0, 1), alpha or
        power outside (0, 1), a non-positive ratio, an unknown method.

    See Also
    --------
    power, mde, weeks_to_power

    Notes
    -----
    With ``z_a`` the normal quantile of ``1 - alpha/2`` (two-sided) or ``1 - alpha`` and ``z_b``
    that of ``power``, ``p0`` the baseline, ``p1`` the treatment rate and ``k = ratio``:

    - ``"evan_miller"`` (Evan Miller's online calculator, the default): the null variance uses
      the baseline only, ``n = (z_a sqrt(p0 q0 (1 + 1/k)) + z_b sqrt(p0 q0 + p1 q1 / k))^2 /
      (p1 - p0)^2``.  20 % baseline, +5 points, alpha 0.05, power 0.8: 1,030 per arm.
    - ``"pooled"``: the null variance at the pooled rate ``(p0 + k p1) / (1 + k)``, as R's
      ``power.prop.test`` (with ``strict = FALSE``) and statsmodels'
      ``samplesize_proportions_2indep_onetail``: 1,094 per arm on the example above.
    - ``"arcsine"``: Cohen's effect size ``h = 2 asin sqrt p1 - 2 asin sqrt p0`` and ``n =
      (z_a + z_b)^2 (1 + 1/k) / h^2``, as R's ``pwr.2p.test`` and statsmodels' ``NormalIndPower``.
    - ``"delta"``: a test of the *relative* lift ``p1/p0 - 1`` with its standard error from the
      delta method (GrowthBook's convention), ``n = (z_a + z_b)^2 V / lift^2`` with ``V = p1 q1 /
      (k p0^2) + p1^2 q0 / p0^3``.

    The conventions differ most at low base rates (the reference tests show 225 against 318).
    Only the tail of the effect's sign counts (R's ``strict = FALSE``).

    Examples
    --------
    >>> round(sample_size(0.2, 0.05))
    1030
    >>> round(sample_size(0.2, 0.05, method="pooled"))
    1094
    >>> round(sample_size(0.03, -0.01, method="pooled"), 2)
    3825.15
    """
    p0, p1 = _rates(baseline, mde, relative)
    z_a, _, k = _common(alpha, alternative, method, ratio)
    z_b = _z(_open_unit(power, "power", "the chance of detecting a real effect, e.g. 0.8"))
    eff = _effect(method, p0, p1)
    if method == "arcsine":
        return (z_a + z_b) ** 2 * (1 + 1 / k) / eff**2
    sd0, sd1 = _sds(method, p0, p1, k)
    return (z_a * sd0 + z_b * sd1) ** 2 / eff**2


def power(
    baseline: float,
    mde: float,
    *,
    n: float,
    alpha: float = 0.05,
    method: Method = "evan_miller",
    relative: bool = False,
    ratio: float = 1.0,
    alternative: Alternative = "two-sided",
) -> float:
    """Chance that a test with ``n`` control users detects a change of ``mde``.

    Parameters
    ----------
    baseline, mde, alpha, method, relative, ratio, alternative
        As in :func:`sample_size`.
    n : float
        Users in the control arm (the treatment has ``ratio * n``); > 0.

    Returns
    -------
    float
        The power, in (0, 1).

    Raises
    ------
    InvalidParameterError
        As :func:`sample_size`, and for ``n <= 0``.

    See Also
    --------
    sample_size, mde

    Notes
    -----
    The inverse of :func:`sample_size` under the same convention: ``power(p, d, n=
    sample_size(p, d)) == 0.8``.

    Examples
    --------
    >>> round(power(0.2, 0.05, n=1030.2192831), 4)
    0.8
    """
    p0, p1 = _rates(baseline, mde, relative)
    z_a, _, k = _common(alpha, alternative, method, ratio)
    size = _positive(n, "n", "give the number of users in the control arm")
    eff = _effect(method, p0, p1)
    if method == "arcsine":
        return _phi(eff * math.sqrt(size / (1 + 1 / k)) - z_a)
    sd0, sd1 = _sds(method, p0, p1, k)
    return _phi((eff * math.sqrt(size) - z_a * sd0) / sd1)


def mde(
    baseline: float,
    *,
    n: float,
    alpha: float = 0.05,
    power: float = 0.8,
    method: Method = "evan_miller",
    relative: bool = False,
    ratio: float = 1.0,
    alternative: Alternative = "two-sided",
    direction: Literal["increase", "decrease"] = "increase",
) -> float:
    """Return the smallest change a test with ``n`` control users detects with the power.

    Parameters
    ----------
    baseline, alpha, power, method, relative, ratio, alternative
        As in :func:`sample_size`.
    n : float
        Users in the control arm; > 0.
    direction : {"increase", "decrease"}, default "increase"
        Which side of the baseline the effect lies on.

    Returns
    -------
    float
        The effect (absolute points, or relative to the baseline with ``relative=True``),
        negative for a decrease.

    Raises
    ------
    InsufficientDataError
        When even the largest possible change (the rate reaching 0 or 1) is not detectable.

    See Also
    --------
    sample_size, power

    Examples
    --------
    >>> round(mde(0.2, n=1030.2192831), 4)
    0.05
    """
    from scipy.optimize import brentq

    from useropslib.exceptions import InsufficientDataError

    p0 = _open_unit(baseline, "baseline", "give the control's rate as a fraction, e.g. 0.2")
    _common(alpha, alternative, method, ratio)
    target = _open_unit(power, "power", "the chance of detecting a real effect, e.g. 0.8")
    size = _positive(n, "n", "give the number of users in the control arm")
    _choice(direction, ("increase", "decrease"), "direction")
    sign = 1.0 if direction == "increase" else -1.0
    room = (1 - p0) if sign > 0 else p0
    hi = room * (1 - 1e-9)

    def gap(d: float) -> float:
        return (
            power_fn(
                p0,
                sign * d,
                n=size,
                alpha=alpha,
                method=method,
                ratio=ratio,
                alternative=alternative,
            )
            - target
        )

    if gap(hi) < 0:
        raise InsufficientDataError(
            f"with n={n!r} per control arm no change of the baseline {p0!r} reaches power "
            f"{target!r}. Hint: more users are needed; see sample_size()."
        )
    d = float(brentq(gap, 1e-12, hi, xtol=1e-12))
    return sign * d / p0 if relative else sign * d


power_fn = power


def weeks_to_power(
    baseline: float,
    mde: float,
    *,
    weekly_users: float,
    arms: int = 2,
    alpha: float = 0.05,
    power: float = 0.8,
    method: Method = "delta",
    relative: bool = True,
    max_weeks: int = 52,
) -> pd.DataFrame:
    """Power week by week when ``weekly_users`` new users are split evenly over ``arms`` arms.

    Parameters
    ----------
    baseline, mde, alpha, method, relative
        As in :func:`sample_size`; the defaults are GrowthBook's (relative effect, delta method).
    weekly_users : float
        Users entering the test each week, all arms together; > 0.
    arms : int, default 2
        Number of arms including control (>= 2); each gets ``weekly_users / arms``.
    power : float, default 0.8
        The power to reach.
    max_weeks : int, default 52
        How far to look.

    Returns
    -------
    pandas.DataFrame
        Index ``week`` (1 ...), columns ``users_per_arm`` and ``power``; ``attrs["weeks"]``
        holds the first week reaching ``power`` (None if none within ``max_weeks``).

    Raises
    ------
    InvalidParameterError
        As :func:`sample_size`, and for ``weekly_users <= 0``, ``arms < 2``.

    Notes
    -----
    As GrowthBook's power calculator, every treatment arm is compared with control at the full
    ``alpha`` (no multiple-comparison correction), with equal arms.

    Examples
    --------
    >>> table = weeks_to_power(0.2, 0.1, weekly_users=1000)
    >>> table.attrs["weeks"]
    15
    """
    users = _positive(weekly_users, "weekly_users", "give the users entering per week")
    if isinstance(arms, bool) or not isinstance(arms, int | np.integer) or arms < 2:
        raise InvalidParameterError(
            f"arms must be an integer >= 2 (control plus at least one treatment), got {arms!r}."
        )
    if (
        isinstance(max_weeks, bool)
        or not isinstance(max_weeks, int)
        or not 1 <= max_weeks <= 10_000
    ):
        raise InvalidParameterError(
            f"max_weeks must be an integer from 1 to 10000, got {max_weeks!r}."
        )
    target = _open_unit(power, "power", "the chance of detecting a real effect, e.g. 0.8")
    weeks = np.arange(1, max_weeks + 1)
    per_arm = weeks * users / arms
    values = [
        power_fn(baseline, mde, n=float(x), alpha=alpha, method=method, relative=relative)
        for x in per_arm
    ]
    out: pd.DataFrame = pd.DataFrame(
        {"users_per_arm": per_arm, "power": values}, index=pd.Index(weeks, name="week")
    )
    reached = np.flatnonzero(np.asarray(values) >= target)
    out.attrs["weeks"] = int(weeks[reached[0]]) if reached.size else None
    return out
