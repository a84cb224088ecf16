"""Experiment statistics from per-arm sufficient statistics (no event log needed).

Every comparison reads one row per arm (count, sum, sum of squares; a warehouse query gives
them) and compares each variant with the control arm.  The engines follow GrowthBook's gbstats:

* per-arm variances (the population form ``p(1 - p)`` for proportions, the ``n - 1`` form for
  means), the difference of means (``"absolute"``) or the relative lift ``(m_B - m_A) / |m_A|``
  (``"relative"``) with its delta-method variance ``v_B/(n_B m_A^2) + v_A m_B^2/(n_A m_A^4)``;
* the frequentist engine: Student t with Welch–Satterthwaite degrees of freedom from the per-arm
  variances; optional sequential confidence sequences (Waudby-Smith et al. 2023, eq. 9 and the
  e-value p-value of eq. 155, mixing parameter from the tuning ``N`` of eq. 161);
* the Bayesian engine: a normal posterior on the lift (flat improper prior by default, or a
  proper Gaussian prior), the chance to win ``P(lift > 0)`` and the risk (expected loss) of
  shipping either arm;
* CUPED: the post-period mean minus ``theta`` times the pre-period mean, ``theta`` pooled over
  the two arms compared, and gbstats' delta-method variance for the relative lift;
* ratio metrics (sum of a numerator over sum of a denominator per arm) by the delta method.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib._checks import check_bool
from useropslib._results import MetricResult, axes_or_new
from useropslib.exceptions import InsufficientDataError, InvalidParameterError, did_you_mean

__all__ = [
    "ComparisonResult",
    "arm_statistics",
    "compare_means",
    "compare_proportions",
    "compare_ratios",
]

Difference = Literal["relative", "absolute"]
Engine = Literal["frequentist", "bayesian"]
Sided = Literal["two", "greater", "less"]

DEFAULT_TUNING = 5000.0
"""gbstats' default sequential tuning N (the total sample size where the sequence is tightest)."""


@dataclasses.dataclass(frozen=True)
class _Arm:
    """One arm's moments: units, (adjusted) mean, per-unit variance and the unadjusted mean."""

    n: float
    mean: float
    variance: float
    unadjusted_mean: float


@dataclasses.dataclass(frozen=True)
class _Effect:
    estimate: float
    variance: float
    dof: float
    theta: float


# ----------------------------------------------------------------------------------------------
# input checks


def _frame(arms: Any, required: Sequence[str], what: str) -> pd.DataFrame:
    if isinstance(arms, pd.DataFrame):
        frame: pd.DataFrame = pd.DataFrame(arms, copy=True)
    elif isinstance(arms, Mapping):
        try:
            frame = pd.DataFrame(dict(arms))
        except ValueError as exc:
            raise InvalidParameterError(
                f"{what}: the arms mapping could not be read as columns ({exc}). Hint: give "
                "one equal-length list per column, e.g. {'n': [100, 100], ...}."
            ) from None
    else:
        raise InvalidParameterError(
            f"{what}: arms must be a DataFrame (one row per arm) or a mapping of columns, got "
            f"{type(arms).__name__}. Hint: pd.DataFrame({{'n': [...], ...}}, "
            "index=['control', 'treatment'])."
        )
    missing = [c for c in required if c not in frame.columns]
    if missing:
        hints = []
        for m in missing:
            close = did_you_mean(m, frame.columns)
            if close:
                hints.append(f"{m!r} (did you mean {close[0]!r}?)")
            else:
                hints.append(repr(m))
        raise InvalidParameterError(
            f"{what}: missing column(s) {', '.join(hints)}; expected columns "
            f"{list(required)}, got {list(map(str, frame.columns))}."
        )
    if len(frame) < 2:
        raise InsufficientDataError(
            f"{what}: need at least 2 arms (a control and a variant), got {len(frame)}."
        )
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()].tolist()
        raise InvalidParameterError(
            f"{what}: arm names must be unique, got duplicates {dup}. Hint: index the frame by "
            "a unique arm name."
        )
    if isinstance(frame.index, pd.RangeIndex):
        names = (
            ["control", "treatment"]
            if len(frame) == 2
            else [
                "control",
                *(f"variant_{i}" for i in range(1, len(frame))),
            ]
        )
        frame.index = pd.Index(names, name="arm")
    frame.index = frame.index.map(str)
    frame.index.name = "arm"
    for col in required:
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            raise InvalidParameterError(
                f"{what}: column {col!r} must hold finite numbers, got "
                f"{frame.loc[bad, col].tolist()} for arm(s) {frame.index[bad].tolist()}."
            )
        frame[col] = values.astype(float)
    return frame


def _check_counts(frame: pd.DataFrame, what: str, min_units: int) -> None:
    n = frame["n"]
    if (n < 0).any() or (n != np.floor(n)).any():
        raise InvalidParameterError(
            f"{what}: 'n' (units per arm) must be non-negative whole numbers, got {n.tolist()}."
        )
    small = frame.index[n < min_units].tolist()
    if small:
        raise InsufficientDataError(
            f"{what}: arm(s) {small} have {n[n < min_units].astype(int).tolist()} units; at "
            f"least {min_units} per arm are needed for a variance. Hint: wait for more users "
            "or lower min_units (2 is the least the t test can use)."
        )


def _control_name(frame: pd.DataFrame, control: str | None, what: str) -> str:
    if control is None:
        return str(frame.index[0])
    if control not in frame.index:
        close = did_you_mean(control, frame.index)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InvalidParameterError(
            f"{what}: control arm {control!r} is not among the arms {list(frame.index)}.{hint}"
        )
    return control


@dataclasses.dataclass(frozen=True)
class _Options:
    """The checked options every comparison shares (one set, echoed in ``params``)."""

    difference: str
    engine: str
    alpha: float
    sided: str
    sequential: bool
    tuning: float
    prior: tuple[float, float] | None

    def result(
        self, kind: str, table: pd.DataFrame, moments: Mapping[str, _Arm], *, theta: Any
    ) -> ComparisonResult:
        """Return one comparison's result: its table, the arms' moments and these options."""
        return ComparisonResult(
            params=_params(kind, **dataclasses.asdict(self), theta=theta),
            as_of=None,
            table=table,
            arms=_arms_frame(moments),
        )


def _check_options(
    difference: str,
    engine: str,
    alpha: float,
    sided: str,
    sequential: bool,
    tuning: float,
    prior: tuple[float, float] | None,
) -> _Options:
    if not isinstance(difference, str) or difference not in ("relative", "absolute"):
        raise InvalidParameterError(
            f"difference must be 'relative' or 'absolute', got {difference!r}."
        )
    if not isinstance(engine, str) or engine not in ("frequentist", "bayesian"):
        raise InvalidParameterError(f"engine must be 'frequentist' or 'bayesian', got {engine!r}.")
    if not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise InvalidParameterError(f"alpha must lie in (0, 1), got {alpha!r}. Hint: 0.05.")
    if not isinstance(sided, str) or sided not in ("two", "greater", "less"):
        raise InvalidParameterError(f"sided must be 'two', 'greater' or 'less', got {sided!r}.")
    sequential = check_bool(sequential, "sequential")
    if sequential and engine != "frequentist":
        raise InvalidParameterError(
            "sequential=True is a frequentist method (confidence sequences); the Bayesian "
            "engine has none. Hint: use engine='frequentist' or sequential=False."
        )
    if sequential and sided != "two":
        raise InvalidParameterError(
            "sequential confidence sequences are two-sided here; got sided="
            f"{sided!r}. Hint: use sided='two'."
        )
    if not isinstance(tuning, int | float) or not tuning > 0 or not math.isfinite(tuning):
        raise InvalidParameterError(
            f"tuning must be a positive number of units, got {tuning!r}. Hint: the expected "
            f"total sample size, or gbstats' default {DEFAULT_TUNING:g}."
        )
    if prior is not None:
        if engine != "bayesian":
            raise InvalidParameterError(
                "prior= applies to the Bayesian engine only. Hint: pass engine='bayesian'."
            )
        try:
            mean, sd = (float(prior[0]), float(prior[1]))
        except (TypeError, ValueError, IndexError):
            raise InvalidParameterError(
                f"prior must be a (mean, standard deviation) pair, got {prior!r}."
            ) from None
        if not (math.isfinite(mean) and math.isfinite(sd) and sd > 0):
            raise InvalidParameterError(
                f"prior standard deviation must be positive and finite, got {prior!r}. Hint: "
                "e.g. (0.0, 0.3) for a lift rarely beyond +/-60 %."
            )
    return _Options(difference, engine, alpha, sided, sequential, tuning, prior)


# ----------------------------------------------------------------------------------------------
# the engines


def _effect(a: _Arm, b: _Arm, difference: str) -> tuple[float, float]:
    """Point estimate and its variance (gbstats' frequentist_diff / frequentist_variance)."""
    if difference == "absolute":
        return b.mean - a.mean, b.variance / b.n + a.variance / a.n
    m_a = a.unadjusted_mean
    est = (b.mean - a.mean) / abs(m_a)
    var = b.variance / (b.n * m_a**2) + a.variance * b.unadjusted_mean**2 / (a.n * m_a**4)
    return est, var


def _welch_dof(a: _Arm, b: _Arm) -> float:
    num = (b.variance / b.n + a.variance / a.n) ** 2
    den = b.variance**2 / (b.n**2 * (b.n - 1)) + a.variance**2 / (a.n**2 * (a.n - 1))
    return float(num / den) if den > 0 else float("inf")


def _frequentist(
    est: float, var: float, dof: float, alpha: float, sided: str
) -> tuple[float, float, float]:
    from scipy import stats  # scipy.stats is slow to import; only here

    se = math.sqrt(var)
    t = est / se
    if sided == "two":
        width = float(stats.t.ppf(1 - alpha / 2, dof)) * se
        p = float(2 * stats.t.sf(abs(t), dof))
        return est - width, est + width, p
    width = float(stats.t.ppf(1 - alpha, dof)) * se
    if sided == "greater":
        return est - width, math.inf, float(stats.t.sf(t, dof))
    return -math.inf, est + width, float(stats.t.cdf(t, dof))


def sequential_rho(alpha: float, tuning: float) -> float:
    """Mixing parameter of the normal-mixture confidence sequence (Waudby-Smith et al., eq. 161).

    Parameters
    ----------
    alpha : float
        Significance level.
    tuning : float
        The sample size ``N`` where the sequence should be tightest.

    Returns
    -------
    float

    Examples
    --------
    >>> round(sequential_rho(0.05, 5000), 4)
    0.0398
    """
    la = math.log(alpha)
    return math.sqrt((-2 * la + math.log(-2 * la + 1)) / tuning)


def _sequential(
    est: float, var: float, n_total: float, alpha: float, tuning: float
) -> tuple[float, float, float]:
    rho = sequential_rho(alpha, tuning)
    s2 = var * n_total  # per-unit analogue of the estimator's variance
    nr2 = n_total * rho**2
    half = math.sqrt(s2) * math.sqrt(
        2 * (nr2 + 1) * math.log(math.sqrt(nr2 + 1) / alpha) / (n_total * rho) ** 2
    )
    # always-valid p-value = 1 / e-value of the same normal mixture (eq. 155)
    log_e = (n_total**2 * rho**2 * est**2) / (2 * s2 * (nr2 + 1)) - 0.5 * math.log(nr2 + 1)
    p = 1.0 if log_e <= 0 else min(1.0, math.exp(-log_e))
    return est - half, est + half, p


def _bayesian(
    est: float, var: float, alpha: float, prior: tuple[float, float] | None
) -> tuple[float, float, float, float, float, float, float]:
    from scipy import stats

    if prior is None:
        mean, sd = est, math.sqrt(var)
    else:
        p_mean, p_sd = float(prior[0]), float(prior[1])
        prec = 1 / var + 1 / p_sd**2
        mean = (est / var + p_mean / p_sd**2) / prec
        sd = math.sqrt(1 / prec)
    lo = float(stats.norm.ppf(alpha / 2, mean, sd))
    hi = float(stats.norm.ppf(1 - alpha / 2, mean, sd))
    ctw = float(stats.norm.sf(0.0, mean, sd))
    # risk: expected loss of each decision, E[max(lift, 0)] if the control is kept and
    # E[max(-lift, 0)] if the variant is shipped (closed form of the normal's partial moments)
    pdf = float(stats.norm.pdf(mean / sd))
    risk_control = mean * ctw + sd * pdf
    risk_treatment = -mean * (1 - ctw) + sd * pdf
    return mean, sd, lo, hi, ctw, risk_control, risk_treatment


def _compare(
    arms_moments: Mapping[str, _Arm],
    *,
    control: str,
    options: _Options,
    what: str,
    variance_fn: Any = None,
) -> pd.DataFrame:
    difference, engine, alpha, sided = (
        options.difference,
        options.engine,
        options.alpha,
        options.sided,
    )
    sequential, tuning, prior = options.sequential, options.tuning, options.prior
    a = arms_moments[control]
    if difference == "relative" and a.unadjusted_mean == 0:
        raise InvalidParameterError(
            f"{what}: the control arm {control!r} has mean 0, so a relative lift is undefined. "
            "Hint: use difference='absolute'."
        )
    rows = []
    for name, b in arms_moments.items():
        if name == control:
            continue
        if a.variance <= 0 and b.variance <= 0:
            raise InsufficientDataError(
                f"{what}: zero variance in arms {control!r} and {name!r} (every unit has the "
                "same outcome), so no interval can be computed. Hint: check that the metric "
                "varies, or wait for more data."
            )
        est, var = _effect(a, b, difference)
        if variance_fn is not None:
            est, var = variance_fn(control, name, est, var)
        row: dict[str, Any] = {
            "variant": name,
            "control": control,
            "estimate": est,
            "se": math.sqrt(var),
        }
        if engine == "frequentist":
            dof = _welch_dof(a, b)
            if sequential:
                lo, hi, p = _sequential(est, var, a.n + b.n, alpha, tuning)
                # the mixture's p-value is normal-based; with few units the fixed-horizon
                # Welch t p-value can be larger, and an always-valid p-value must never claim
                # more than the fixed-horizon one (its sequence contains the interval)
                p = max(p, _frequentist(est, var, dof, alpha, sided)[2])
            else:
                lo, hi, p = _frequentist(est, var, dof, alpha, sided)
            row.update(ci_low=lo, ci_high=hi, p_value=p, dof=dof)
        else:
            mean, sd, lo, hi, ctw, rc, rt = _bayesian(est, var, alpha, prior)
            row.update(
                estimate=mean,
                se=sd,
                ci_low=lo,
                ci_high=hi,
                chance_to_win=ctw,
                risk_control=rc,
                risk_treatment=rt,
            )
        rows.append(row)
    out: pd.DataFrame = pd.DataFrame(rows).set_index("variant")
    return out


# ----------------------------------------------------------------------------------------------
# result


@dataclasses.dataclass(frozen=True, repr=False)
class ComparisonResult(MetricResult):
    """Each variant compared with the control arm.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per variant (index ``variant``): ``control``, ``estimate`` (the lift in the units
        of ``difference``; the posterior mean for the Bayesian engine), ``se`` (its standard
        error or posterior standard deviation), ``ci_low``, ``ci_high`` and, frequentist,
        ``p_value`` and ``dof`` (Welch–Satterthwaite); Bayesian, ``chance_to_win``,
        ``risk_control`` (expected loss of keeping the control) and ``risk_treatment``
        (expected loss of shipping the variant).
    arms : pandas.DataFrame
        One row per arm: ``n``, ``mean``, ``variance`` (per unit) and ``unadjusted_mean``
        (before any CUPED adjustment; CUPED's ``theta`` is a column of ``table``).
    params : dict
        Metric kind, ``difference``, ``engine``, ``alpha``, ``sided``, ``sequential``,
        ``tuning``, ``prior`` and ``theta`` (CUPED).
    as_of : None
        Pure statistics have no clock.
    """

    table: pd.DataFrame
    arms: pd.DataFrame

    def _row(self) -> pd.Series:
        return self.table.iloc[0]

    @property
    def estimate(self) -> float:
        """The first variant's lift (posterior mean for the Bayesian engine)."""
        return float(self._row()["estimate"])

    @property
    def ci(self) -> tuple[float, float]:
        """The first variant's interval ``(low, high)``."""
        r = self._row()
        return float(r["ci_low"]), float(r["ci_high"])

    @property
    def p_value(self) -> float:
        """The first variant's p-value (NaN for the Bayesian engine)."""
        r = self._row()
        return float(r["p_value"]) if "p_value" in r.index else float("nan")

    @property
    def chance_to_win(self) -> float:
        """The first variant's ``P(lift > 0)`` (NaN for the frequentist engine)."""
        r = self._row()
        return float(r["chance_to_win"]) if "chance_to_win" in r.index else float("nan")

    def to_frame(self) -> pd.DataFrame:
        """Return the comparison table (a copy), one row per variant.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.table.copy()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Draw each variant's lift with its interval (a forest plot).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import experiment_forest as forest_plot

        ax = axes_or_new(ax)
        t = self.table
        label = "relative lift" if self.params.get("difference") == "relative" else "difference"
        return forest_plot(
            t.index.to_list(),
            t["estimate"].to_numpy(float),
            t["ci_low"].to_numpy(float),
            t["ci_high"].to_numpy(float),
            xlabel=label,
            ax=ax,
        )


def _params(kind: str, **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"metric": kind}
    out.update(kw)
    if out.get("prior") is not None:
        out["prior"] = (float(out["prior"][0]), float(out["prior"][1]))
    return out


# ----------------------------------------------------------------------------------------------
# public comparisons


def compare_proportions(
    arms: pd.DataFrame | Mapping[str, Sequence[float]],
    *,
    control: str | None = None,
    difference: Difference = "relative",
    engine: Engine = "frequentist",
    alpha: float = 0.05,
    sided: Sided = "two",
    sequential: bool = False,
    tuning: float = DEFAULT_TUNING,
    prior: tuple[float, float] | None = None,
    min_units: int = 2,
) -> ComparisonResult:
    """Compare conversion rates of arms (a binomial metric), each variant against the control.

    Parameters
    ----------
    arms : pandas.DataFrame or mapping
        One row per arm, with columns ``n`` (units, e.g. users) and ``conversions`` (units that
        converted). The index names the arms; a default index gives ``control``,
        ``treatment`` (or ``variant_1``, ...).
    control : str, optional
        The control arm; default the first row.
    difference : {"relative", "absolute"}, default "relative"
        ``"relative"``: ``(p_B - p_A) / |p_A|`` with the delta-method variance (gbstats'
        default); ``"absolute"``: ``p_B - p_A``. They give different p-values on the same data.
    engine : {"frequentist", "bayesian"}, default "frequentist"
        Welch t test, or the normal posterior on the lift with chance to win and risk.
    alpha : float, default 0.05
        ``1 - alpha`` is the interval's level.
    sided : {"two", "greater", "less"}, default "two"
        The frequentist alternative ("greater": the variant is better).
    sequential : bool, default False
        Confidence sequences valid at every look (frequentist, two-sided only); the p-value is
        the normal mixture's always-valid one, never below the fixed-horizon p-value.
    tuning : float, default 5000
        Sequential tuning ``N``: the total sample size where the sequence is tightest.
    prior : (float, float), optional
        A proper Gaussian prior ``(mean, sd)`` on the lift, in the units of ``difference``
        (Bayesian engine only); default the flat improper prior.
    min_units : int, default 2
        Fewest units an arm may have.

    Returns
    -------
    ComparisonResult

    Raises
    ------
    InvalidParameterError
        Missing or non-numeric columns, conversions above ``n`` or negative, an unknown control
        arm, a relative lift on a control rate of 0, an invalid option.
    InsufficientDataError
        Fewer than 2 arms, an arm with fewer than ``min_units`` units, every unit with the same
        outcome in both arms compared.

    See Also
    --------
    compare_means : the same engines for a mean per unit (revenue per user, CUPED).
    compare_ratios : a ratio of sums (revenue per order) by the delta method.

    Notes
    -----
    Matches GrowthBook gbstats (``ProportionStatistic`` with ``TwoSidedTTest``,
    ``SequentialTwoSidedTTest`` and ``EffectBayesianABTest``): the per-arm variance is the
    population form ``p(1 - p)``, the test statistic uses Student t with Welch–Satterthwaite
    degrees of freedom (not the pooled z test of R's ``prop.test``). The Bayesian chance to win
    is ``P(lift > 0)`` under the normal posterior of the lift, not the Beta–Binomial
    ``P(p_B > p_A)`` some calculators report. Unlike gbstats, which returns an empty result when
    either arm has zero variance, a single zero-variance arm is allowed (the other arm's
    variance carries the test); both zero raises.

    Examples
    --------
    >>> r = compare_proportions({"n": [28, 30], "conversions": [14, 16]})
    >>> round(r.estimate, 5), tuple(round(x, 5) for x in r.ci), round(r.p_value, 5)
    (0.06667, (-0.47767, 0.61101), 0.80707)
    >>> b = compare_proportions({"n": [100, 100], "conversions": [49, 51]}, engine="bayesian")
    >>> round(b.chance_to_win, 5)
    0.60918
    """
    what = "compare_proportions"
    options = _check_options(difference, engine, alpha, sided, sequential, tuning, prior)
    frame = _frame(arms, ["n", "conversions"], what)
    _check_counts(frame, what, min_units)
    x = frame["conversions"]
    bad = (x < 0) | (x > frame["n"])
    if bad.any():
        raise InvalidParameterError(
            f"{what}: conversions must lie between 0 and n, got conversions "
            f"{x[bad].tolist()} with n {frame.loc[bad, 'n'].tolist()} for arm(s) "
            f"{frame.index[bad].tolist()}. Hint: count each unit once (users who converted)."
        )
    ctrl = _control_name(frame, control, what)
    p = x / frame["n"]
    moments = {
        str(k): _Arm(
            n=float(frame["n"][k]),
            mean=float(p[k]),
            variance=float(p[k] * (1 - p[k])),
            unadjusted_mean=float(p[k]),
        )
        for k in frame.index
    }
    table = _compare(moments, control=ctrl, options=options, what=what)
    return options.result("proportion", table, moments, theta=None)


def _arms_frame(moments: Mapping[str, _Arm]) -> pd.DataFrame:
    out = pd.DataFrame(
        [dataclasses.asdict(m) for m in moments.values()], index=pd.Index(list(moments), name="arm")
    )
    cols: pd.DataFrame = out[["n", "mean", "variance", "unadjusted_mean"]]
    return cols


def _sample_variance(n: pd.Series, s: pd.Series, ss: pd.Series, what: str = "") -> pd.Series:
    centred = ss - s**2 / n
    # rounding can leave a tiny negative; a clearly negative one is not one sample's statistics
    bad = centred < -1e-9 * (ss.abs() + 1.0)
    if bad.any():
        raise InvalidParameterError(
            f"{what}: sum_squares is below sum**2 / n for arm(s) {list(n.index[bad])}, which no "
            "sample can give. Hint: sum_squares is the sum of each unit's squared value, not "
            "the square of the sum."
        )
    out: pd.Series = (centred / (n - 1)).clip(lower=0.0)
    return out


def compare_means(
    arms: pd.DataFrame | Mapping[str, Sequence[float]],
    *,
    control: str | None = None,
    difference: Difference = "relative",
    engine: Engine = "frequentist",
    alpha: float = 0.05,
    sided: Sided = "two",
    sequential: bool = False,
    tuning: float = DEFAULT_TUNING,
    prior: tuple[float, float] | None = None,
    cuped: bool | None = None,
    min_units: int = 2,
) -> ComparisonResult:
    """Compare a mean per unit (revenue per user, orders per user), optionally with CUPED.

    Parameters
    ----------
    arms : pandas.DataFrame or mapping
        One row per arm with ``n``, ``sum`` and ``sum_squares`` of the per-unit outcome. For
        CUPED add the same unit's pre-period covariate: ``pre_sum``, ``pre_sum_squares`` and
        ``cross_sum`` (the sum of outcome × covariate products).
    control : str, optional
        The control arm; default the first row.
    difference, engine, alpha, sided, sequential, tuning, prior, min_units
        As in :func:`compare_proportions`.
    cuped : bool, optional
        Adjust by the pre-period covariate. Default: when the CUPED columns are present.

    Returns
    -------
    ComparisonResult
        ``params["theta"]`` holds CUPED's ``theta`` per variant (pooled over the control and
        that variant).

    Raises
    ------
    InvalidParameterError
        Missing columns (``cuped=True`` without the pre-period columns), non-numeric values, an
        unknown control, a relative lift on a control mean of 0, an invalid option.
    InsufficientDataError
        Fewer than 2 arms, an arm with fewer than ``min_units`` units, zero variance.

    See Also
    --------
    compare_proportions, compare_ratios, arm_statistics

    Notes
    -----
    Matches gbstats' ``SampleMeanStatistic`` (variance with ``n - 1``) and
    ``RegressionAdjustedStatistic``: ``theta`` is the covariance of outcome and covariate over
    the variance of the covariate, both computed over the two arms pooled; the adjusted mean is
    ``mean_post - theta * mean_pre``; the relative lift divides by the control's *unadjusted*
    mean and its variance is gbstats' delta-method form for CUPED. When the pooled covariate (or
    outcome) has no variance, ``theta`` is 0 and the plain comparison is returned, as gbstats
    does.

    Examples
    --------
    >>> arms = {"n": [3407, 3461], "sum": [1396.87, 2422.7], "sum_squares": [52377.9767, 134698.29]}
    >>> r = compare_means(arms)
    >>> round(r.estimate, 5), round(r.p_value, 5)
    (0.70732, 0.06191)
    """
    what = "compare_means"
    options = _check_options(difference, engine, alpha, sided, sequential, tuning, prior)
    cols = ["n", "sum", "sum_squares"]
    pre_cols = ["pre_sum", "pre_sum_squares", "cross_sum"]
    has_pre = isinstance(arms, pd.DataFrame | Mapping) and all(c in arms for c in pre_cols)
    use_cuped = has_pre if cuped is None else check_bool(cuped, "cuped")
    frame = _frame(arms, cols + (pre_cols if use_cuped else []), what)
    _check_counts(frame, what, min_units)
    ctrl = _control_name(frame, control, what)
    n = frame["n"]
    mean = frame["sum"] / n
    var = _sample_variance(n, frame["sum"], frame["sum_squares"], what)
    moments = {
        str(k): _Arm(float(n[k]), float(mean[k]), float(var[k]), float(mean[k]))
        for k in frame.index
    }
    if not use_cuped:
        table = _compare(moments, control=ctrl, options=options, what=what)
        return options.result("mean", table, moments, theta=None)
    tables = []
    thetas: dict[str, float] = {}
    for name in frame.index:
        if name == ctrl:
            continue
        pair = frame.loc[[ctrl, name]]
        theta = _pooled_theta(pair)
        pair_moments, var_fn = _cuped_moments(pair, theta, ctrl, str(name), difference)
        thetas[str(name)] = theta
        tables.append(
            _compare(
                pair_moments,
                control=ctrl,
                options=options,
                what=what,
                variance_fn=var_fn,
            )
        )
    table = pd.concat(tables)
    table["theta"] = [thetas[str(v)] for v in table.index]
    return options.result("mean", table, moments, theta=thetas)


def _pooled_theta(pair: pd.DataFrame) -> float:
    n = float(pair["n"].sum())
    s_post, ss_post = float(pair["sum"].sum()), float(pair["sum_squares"].sum())
    s_pre, ss_pre = float(pair["pre_sum"].sum()), float(pair["pre_sum_squares"].sum())
    cross = float(pair["cross_sum"].sum())
    var_pre = (ss_pre - s_pre**2 / n) / (n - 1)
    var_post = (ss_post - s_post**2 / n) / (n - 1)
    if var_pre <= 0 or var_post <= 0:
        return 0.0
    cov = (cross - s_post * s_pre / n) / (n - 1)
    return cov / var_pre


def _cuped_moments(
    pair: pd.DataFrame, theta: float, ctrl: str, name: str, difference: str
) -> tuple[dict[str, _Arm], Any]:
    stats: dict[str, dict[str, float]] = {}
    for k in (ctrl, name):
        r = pair.loc[k]
        n = float(r["n"])
        m_post, m_pre = float(r["sum"]) / n, float(r["pre_sum"]) / n
        v_post = max((float(r["sum_squares"]) - float(r["sum"]) ** 2 / n) / (n - 1), 0.0)
        v_pre = max((float(r["pre_sum_squares"]) - float(r["pre_sum"]) ** 2 / n) / (n - 1), 0.0)
        cov = (float(r["cross_sum"]) - float(r["sum"]) * float(r["pre_sum"]) / n) / (n - 1)
        stats[k] = {
            "n": n,
            "m_post": m_post,
            "m_pre": m_pre,
            "v_post": v_post,
            "v_pre": v_pre,
            "cov": cov,
            "v_adj": max(v_post + theta**2 * v_pre - 2 * theta * cov, 0.0),
        }
    moments = {
        k: _Arm(s["n"], s["m_post"] - theta * s["m_pre"], s["v_adj"], s["m_post"])
        for k, s in stats.items()
    }
    if difference == "absolute" or theta == 0:
        return moments, None
    a, b = stats[ctrl], stats[name]

    def var_fn(c: str, v: str, est: float, _var: float) -> tuple[float, float]:
        # gbstats' frequentist_variance_relative_cuped
        m_a = a["m_post"]
        v_trt = b["v_adj"] / (b["n"] * m_a**2)
        const = -b["m_post"]
        num = (
            a["v_post"] * const**2 / m_a**2
            + 2 * theta * a["cov"] * const / m_a
            + theta**2 * a["v_pre"]
        )
        return est, v_trt + num / (a["n"] * m_a**2)

    return moments, var_fn


def compare_ratios(
    arms: pd.DataFrame | Mapping[str, Sequence[float]],
    *,
    control: str | None = None,
    difference: Difference = "relative",
    engine: Engine = "frequentist",
    alpha: float = 0.05,
    sided: Sided = "two",
    sequential: bool = False,
    tuning: float = DEFAULT_TUNING,
    prior: tuple[float, float] | None = None,
    min_units: int = 2,
) -> ComparisonResult:
    """Compare a ratio of sums per arm (revenue per order, clicks per session) by the delta method.

    The unit of randomisation (the user) is not the unit of the ratio's denominator, so the
    per-user numerator ``M`` and denominator ``D`` enter as sufficient statistics and the ratio
    ``sum(M) / sum(D)`` gets the delta-method variance.

    Parameters
    ----------
    arms : pandas.DataFrame or mapping
        One row per arm with ``n`` (units), ``num_sum``, ``num_sum_squares``, ``den_sum``,
        ``den_sum_squares`` and ``num_den_sum`` (the sum of per-unit ``M * D``).
    control : str, optional
        The control arm; default the first row.
    difference, engine, alpha, sided, sequential, tuning, prior, min_units
        As in :func:`compare_proportions`.

    Returns
    -------
    ComparisonResult

    Raises
    ------
    InvalidParameterError
        Missing columns, a denominator summing to 0 in an arm, an invalid option.
    InsufficientDataError
        Fewer than 2 arms, an arm with fewer than ``min_units`` units, zero variance.

    See Also
    --------
    compare_means, compare_proportions

    Notes
    -----
    Matches gbstats' ``RatioStatistic``: per-unit variance of the ratio
    ``var_M/D̄² − 2 cov_MD M̄/D̄³ + M̄² var_D/D̄⁴`` (moments with ``n − 1``), then the same
    engines as the other comparisons (Deng et al. 2018, "Applying the delta method in metric
    analytics").

    Examples
    --------
    >>> arms = {"n": [4, 4], "num_sum": [10.0, 14.0], "num_sum_squares": [30.0, 54.0],
    ...         "den_sum": [5.0, 5.0], "den_sum_squares": [7.0, 7.0], "num_den_sum": [14.0, 19.0]}
    >>> round(compare_ratios(arms).estimate, 3)
    0.4
    """
    what = "compare_ratios"
    options = _check_options(difference, engine, alpha, sided, sequential, tuning, prior)
    cols = ["n", "num_sum", "num_sum_squares", "den_sum", "den_sum_squares", "num_den_sum"]
    frame = _frame(arms, cols, what)
    _check_counts(frame, what, min_units)
    ctrl = _control_name(frame, control, what)
    n = frame["n"]
    zero = frame["den_sum"] == 0
    if zero.any():
        raise InvalidParameterError(
            f"{what}: the denominator sums to 0 in arm(s) {frame.index[zero].tolist()}, so the "
            "ratio is undefined. Hint: check the denominator metric (e.g. orders) is counted."
        )
    m_bar = frame["num_sum"] / n
    d_bar = frame["den_sum"] / n
    v_m = _sample_variance(n, frame["num_sum"], frame["num_sum_squares"], what)
    v_d = _sample_variance(n, frame["den_sum"], frame["den_sum_squares"], what)
    cov = (frame["num_den_sum"] - frame["num_sum"] * frame["den_sum"] / n) / (n - 1)
    ratio = m_bar / d_bar
    var = (v_m / d_bar**2 - 2 * cov * m_bar / d_bar**3 + m_bar**2 * v_d / d_bar**4).clip(lower=0)
    moments = {
        str(k): _Arm(float(n[k]), float(ratio[k]), float(var[k]), float(ratio[k]))
        for k in frame.index
    }
    table = _compare(moments, control=ctrl, options=options, what=what)
    return options.result("ratio", table, moments, theta=None)


def arm_statistics(
    values: npt.ArrayLike,
    *,
    arm: npt.ArrayLike,
    covariate: npt.ArrayLike | None = None,
    denominator: npt.ArrayLike | None = None,
) -> pd.DataFrame:
    """Sufficient statistics per arm from per-unit values (one vectorised group-by).

    Parameters
    ----------
    values : array-like of float
        The outcome of each unit (1/0 for a conversion).
    arm : array-like
        Each unit's arm label, aligned with ``values``.
    covariate : array-like of float, optional
        Each unit's pre-period value of the same metric (adds the CUPED columns).
    denominator : array-like of float, optional
        Each unit's denominator for a ratio metric (adds the ratio columns; ``values`` is then
        the numerator).

    Returns
    -------
    pandas.DataFrame
        Indexed by arm (in order of first appearance): ``n``, ``sum``, ``sum_squares``,
        ``conversions`` (= ``sum``), and with a covariate ``pre_sum``, ``pre_sum_squares``,
        ``cross_sum``; with a denominator ``num_sum``, ``num_sum_squares``, ``den_sum``,
        ``den_sum_squares``, ``num_den_sum``. Feeds :func:`compare_proportions`,
        :func:`compare_means` and :func:`compare_ratios` directly.

    Raises
    ------
    InvalidParameterError
        Arrays of different lengths, or values that are not finite numbers.

    Examples
    --------
    >>> arm_statistics([1, 0, 1, 1], arm=["a", "a", "b", "b"])[["n", "sum", "sum_squares"]]
         n  sum  sum_squares
    arm
    a    2  1.0          1.0
    b    2  2.0          2.0
    """
    y = _float_array(values, "values")
    labels = pd.Series(
        np.asarray(arm, dtype=object)
        if not isinstance(arm, pd.Series)
        else arm.to_numpy(dtype=object)
    )
    if len(labels) != len(y):
        raise InvalidParameterError(
            f"arm_statistics: values has {len(y)} entries but arm has {len(labels)}; they must "
            "be aligned unit by unit."
        )
    if labels.isna().any():
        raise InvalidParameterError(
            f"arm_statistics: {int(labels.isna().sum())} units have no arm label. Hint: drop "
            "them explicitly or assign them."
        )
    codes, uniques = pd.factorize(labels, sort=False)
    k = len(uniques)

    def _sum(w: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.bincount(codes, weights=w, minlength=k).astype(np.float64)

    cols: dict[str, Any] = {
        "n": np.bincount(codes, minlength=k).astype(np.int64),
        "sum": _sum(y),
        "sum_squares": _sum(y * y),
    }
    cols["conversions"] = cols["sum"]
    if covariate is not None:
        x = _float_array(covariate, "covariate")
        if len(x) != len(y):
            raise InvalidParameterError(
                f"arm_statistics: covariate has {len(x)} entries, values {len(y)}."
            )
        cols.update(pre_sum=_sum(x), pre_sum_squares=_sum(x * x), cross_sum=_sum(x * y))
    if denominator is not None:
        d = _float_array(denominator, "denominator")
        if len(d) != len(y):
            raise InvalidParameterError(
                f"arm_statistics: denominator has {len(d)} entries, values {len(y)}."
            )
        cols.update(
            num_sum=cols["sum"],
            num_sum_squares=cols["sum_squares"],
            den_sum=_sum(d),
            den_sum_squares=_sum(d * d),
            num_den_sum=_sum(y * d),
        )
    out: pd.DataFrame = pd.DataFrame(cols, index=pd.Index([str(u) for u in uniques], name="arm"))
    return out


def _float_array(values: npt.ArrayLike, name: str) -> npt.NDArray[np.float64]:
    try:
        out = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"arm_statistics: {name} must be numbers, got values that are not."
        ) from None
    if out.ndim != 1:
        raise InvalidParameterError(f"arm_statistics: {name} must be one-dimensional.")
    if not np.isfinite(out).all():
        raise InvalidParameterError(
            f"arm_statistics: {name} has {int((~np.isfinite(out)).sum())} NaN or infinite "
            "values. Hint: fill missing outcomes with 0 (no conversion, no revenue) explicitly."
        )
    return out
