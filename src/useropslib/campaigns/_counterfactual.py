"""The result of an effect estimated from a counterfactual, and its CausalImpact-style summary.

Every method (structural time series, synthetic control, interrupted time series, the naive
year-over-year comparison, the series form of difference-in-differences) ends in the same
place: draws of the counterfactual over the post-period (or, for the frequentist methods, draws
from the estimate's sampling distribution), the observed values, and :func:`summarize_draws`,
which computes the summary with R CausalImpact's conventions.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from useropslib._checks import is_real
from useropslib._results import MetricResult, jsonable
from useropslib.exceptions import CounterfactualWarning, InvalidParameterError

__all__ = ["CounterfactualResult", "summarize_draws", "tail_p_value", "two_sided_p_value"]

SUMMARY_COLUMNS = [
    "actual",
    "predicted",
    "predicted_lower",
    "predicted_upper",
    "predicted_sd",
    "abs_effect",
    "abs_effect_lower",
    "abs_effect_upper",
    "abs_effect_sd",
    "rel_effect",
    "rel_effect_lower",
    "rel_effect_upper",
    "rel_effect_sd",
]


def tail_p_value(observed_sum: float, draw_sums: np.ndarray) -> float:
    """Return CausalImpact's one-sided posterior tail-area probability.

    ``p = min(#{s: sum_s >= obs} + 1, #{s: sum_s <= obs} + 1) / (S + 1)``: the observed sum
    counts in both tails, so ``p >= 1 / (S + 1)``.

    Parameters
    ----------
    observed_sum : float
        The sum of the observed post-period values.
    draw_sums : numpy.ndarray
        The sum of each counterfactual draw over the post-period.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> round(tail_p_value(20.0, np.full(10, 10.0)), 10)
    0.0909090909
    """
    if not is_real(observed_sum):
        raise InvalidParameterError(f"observed_sum must be a number, got {observed_sum!r:.60}.")
    try:
        s = np.asarray(draw_sums, dtype=float)
    except (TypeError, ValueError):
        raise InvalidParameterError("draw_sums must be an array of numbers.") from None
    upper = int(np.sum(s >= observed_sum)) + 1
    lower = int(np.sum(s <= observed_sum)) + 1
    return min(upper, lower) / (s.size + 1)


def two_sided_p_value(effect_draws: np.ndarray) -> float:
    """Return the two-sided posterior tail probability that agrees with the interval.

    ``p = 2 min(P(effect <= 0), P(effect >= 0))``, with the draws' distribution read the way
    the equal-tailed interval reads it (type-7 quantiles, numpy's and R's default: linear
    interpolation between adjacent sorted draws).  So for every ``alpha`` the ``1 - alpha``
    interval of the draws excludes zero exactly when ``p < alpha``.  ``p`` is 0 when every
    draw lies strictly on one side of zero (the draws cannot resolve a smaller probability
    than about ``1 / S``).

    Parameters
    ----------
    effect_draws : numpy.ndarray
        Draws of the effect (e.g. the observed post-period sum minus each counterfactual
        draw's sum), shape ``(S,)``.

    Returns
    -------
    float
        In ``[0, 1]``.

    Raises
    ------
    InvalidParameterError
        Not numbers, fewer than two draws, or NaN among them.

    Notes
    -----
    R CausalImpact reports the one-sided tail area of :func:`tail_p_value` instead and calls
    an effect significant when it is below ``alpha``, which is a two-sided test at ``2
    alpha``; this ``p`` is the one whose ``p < alpha`` matches the ``1 - alpha`` interval.

    Examples
    --------
    >>> import numpy as np
    >>> draws = np.arange(1.0, 21.0) - 2.5  # 20 draws, two of them below zero
    >>> p = two_sided_p_value(draws)
    >>> round(p, 4)
    0.1579
    >>> # the 80 % interval excludes zero (p < 0.2), the 90 % one does not (p >= 0.1)
    >>> bool(np.quantile(draws, 0.1) > 0), bool(np.quantile(draws, 0.05) > 0)
    (True, False)
    """
    try:
        d = np.sort(np.asarray(effect_draws, dtype=float).ravel())
    except (TypeError, ValueError):
        raise InvalidParameterError("effect_draws must be an array of numbers.") from None
    if d.size < 2 or not np.all(np.isfinite(d)):
        raise InvalidParameterError(
            f"effect_draws must hold at least two finite numbers; got {d.size} "
            f"({int(np.sum(~np.isfinite(d)))} not finite)."
        )
    last = d.size - 1

    def position(count: int) -> float:
        # the quantile level at which the interpolated quantile function crosses zero, given
        # that the first `count` sorted draws are on the low side
        if count == 0:
            return 0.0
        if count == d.size:
            return 1.0
        a, b = float(d[count - 1]), float(d[count])
        return (count - 1 + (0.0 - a) / (b - a)) / last

    # lower end > 0 exactly when alpha / 2 > u_low = sup{u: Q(u) <= 0};
    # upper end < 0 exactly when 1 - alpha / 2 < u_high = inf{u: Q(u) >= 0}
    u_low = position(int(np.sum(d <= 0)))
    u_high = position(int(np.sum(d < 0)))
    return float(min(1.0, 2 * min(u_low, 1 - u_high)))


def summarize_draws(
    y_post: np.ndarray,
    samples: np.ndarray,
    *,
    point_pred: np.ndarray | None = None,
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, float]:
    """Summarise counterfactual draws over the post-period as R CausalImpact does.

    Parameters
    ----------
    y_post : numpy.ndarray
        Observed values over the post-period, shape ``(H,)``.
    samples : numpy.ndarray
        Counterfactual draws, shape ``(S, H)``.
    point_pred : numpy.ndarray, optional
        The point prediction (posterior mean path); default the column means of ``samples``.
    alpha : float, default 0.05
        One minus the interval's coverage.

    Returns
    -------
    table : pandas.DataFrame
        Rows ``average`` and ``cumulative``, columns ``actual``, ``predicted`` (with
        ``_lower``, ``_upper``, ``_sd``), ``abs_effect`` (same) and ``rel_effect`` (same).
    p_value : float
        The one-sided tail-area probability of :func:`tail_p_value`.

    Warns
    -----
    CounterfactualWarning
        When some draws sum to zero or less: the relative effect is undefined (NaN).

    Notes
    -----
    Matches ``CompileSummaryTable`` of R CausalImpact (google/CausalImpact, the case
    ``counterfactual_causalimpact_summary_conventions``): interval bounds are type-7 quantiles
    (numpy's default) of the per-draw averages or sums; ``sd`` has ``ddof=1``; the relative
    effect is the mean over draws of ``sum(y) / sum(draw) - 1`` (identical in both rows, and
    not ``abs_effect / predicted``).  Where R would average ratios whose denominators cross
    zero (some draws sum to zero or less), the relative columns are NaN with a
    ``CounterfactualWarning``.

    Examples
    --------
    >>> import numpy as np
    >>> table, p = summarize_draws(np.full(10, 2.0), np.ones((10, 10)))
    >>> table.loc["cumulative", ["actual", "predicted", "abs_effect", "rel_effect"]].tolist()
    [20.0, 10.0, 10.0, 1.0]
    """
    try:
        y = np.asarray(y_post, dtype=float)
        s = np.asarray(samples, dtype=float)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            "y_post and samples must be arrays of numbers (samples: draws x periods)."
        ) from None
    if y.ndim != 1 or y.size == 0 or s.ndim != 2 or s.shape[0] == 0 or s.shape[1] != y.size:
        raise InvalidParameterError(f"samples must have shape (draws, {y.size}); got {s.shape}.")
    if not is_real(alpha) or not 0 < alpha < 1:
        raise InvalidParameterError(f"alpha must lie in (0, 1); got {alpha!r}.")
    pp = s.mean(axis=0) if point_pred is None else np.asarray(point_pred, dtype=float)
    lo_q, hi_q = alpha / 2, 1 - alpha / 2
    ddof = 1 if s.shape[0] > 1 else 0
    rows = {}
    sums = s.sum(axis=1)
    undefined = int(np.sum(sums <= 0))
    if undefined:
        # a ratio whose denominator crosses zero has no meaningful mean or quantiles
        rel = np.full(sums.shape, np.nan)
        warnings.warn(
            f"The relative effect is undefined: {undefined} of {sums.size} counterfactual draws "
            "sum to zero or less over the post-period (the series is near zero), so the "
            "relative columns are NaN. Read the absolute effect. Hint: a longer post-period, "
            "or the series per week, keeps the counterfactual away from zero.",
            CounterfactualWarning,
            stacklevel=3,
        )
    else:
        rel = y.sum() / sums - 1
    rel_summary = (
        [float("nan")] * 4
        if undefined
        else [
            float(np.mean(rel)),
            float(np.quantile(rel, lo_q)),
            float(np.quantile(rel, hi_q)),
            float(np.std(rel, ddof=ddof)),
        ]
    )
    for label, agg in (("average", np.mean), ("cumulative", np.sum)):
        per_draw = agg(s, axis=1)
        actual = float(agg(y))
        eff = actual - per_draw
        rows[label] = [
            actual,
            float(agg(pp)),
            float(np.quantile(per_draw, lo_q)),
            float(np.quantile(per_draw, hi_q)),
            float(np.std(per_draw, ddof=ddof)),
            actual - float(agg(pp)),
            float(np.quantile(eff, lo_q)),
            float(np.quantile(eff, hi_q)),
            float(np.std(eff, ddof=ddof)),
            *rel_summary,
        ]
    table = pd.DataFrame.from_dict(rows, orient="index", columns=SUMMARY_COLUMNS)
    return table, tail_p_value(float(y.sum()), sums)


def pointwise_frame(
    index: pd.DatetimeIndex,
    y: np.ndarray,
    post: np.ndarray,
    samples: np.ndarray,
    *,
    pre_pred: np.ndarray,
    pre_lower: np.ndarray,
    pre_upper: np.ndarray,
    alpha: float,
    point_pred: np.ndarray | None = None,
) -> pd.DataFrame:
    """Build the per-date frame: observed, counterfactual, pointwise and cumulative effect.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        All dates (pre and post).
    y : numpy.ndarray
        Observed values over ``index``.
    post : numpy.ndarray of bool
        Post-period mask.
    samples : numpy.ndarray
        Counterfactual draws over the post dates, shape ``(S, H)``.
    pre_pred, pre_lower, pre_upper : numpy.ndarray
        The fit over the pre dates and its band (display only).
    alpha : float
        One minus the interval's coverage.
    point_pred : numpy.ndarray, optional
        The point counterfactual over the post dates (default the draws' mean).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``date``.
    """
    n = len(index)
    lo_q, hi_q = alpha / 2, 1 - alpha / 2
    pred = np.full(n, np.nan)
    lower = np.full(n, np.nan)
    upper = np.full(n, np.nan)
    pre = ~post
    pred[pre], lower[pre], upper[pre] = pre_pred, pre_lower, pre_upper
    pred[post] = samples.mean(axis=0) if point_pred is None else point_pred
    lower[post] = np.quantile(samples, lo_q, axis=0)
    upper[post] = np.quantile(samples, hi_q, axis=0)
    eff_draws = y[post][None, :] - samples
    cum_draws = np.cumsum(eff_draws, axis=1)
    effect = y - pred
    eff_lo = y - upper
    eff_hi = y - lower
    cum = np.zeros(n)
    cum_lo = np.zeros(n)
    cum_hi = np.zeros(n)
    cum[post] = np.cumsum(effect[post])
    cum_lo[post] = np.quantile(cum_draws, lo_q, axis=0)
    cum_hi[post] = np.quantile(cum_draws, hi_q, axis=0)
    # before the launch the cumulative effect is 0 by definition (as R's series$cum.effect)
    frame = pd.DataFrame(
        {
            "period": np.where(post, "post", "pre"),
            "observed": y,
            "predicted": pred,
            "predicted_lower": lower,
            "predicted_upper": upper,
            "effect": effect,
            "effect_lower": eff_lo,
            "effect_upper": eff_hi,
            "cumulative_effect": cum,
            "cumulative_lower": cum_lo,
            "cumulative_upper": cum_hi,
        },
        index=pd.DatetimeIndex(index, name="date"),
    )
    out: pd.DataFrame = frame
    return out


_EN = {
    "sts": "a Bayesian structural time-series counterfactual",
    "synthetic_control": "a synthetic control (weighted donors)",
    "its": "an interrupted time-series regression",
    "naive": "the naive comparison with the same period of an earlier year or month",
    "did": "a difference-in-differences counterfactual (comparison mean plus the pre-period gap)",
}
_ZH = {
    "sts": "贝叶斯结构时间序列反事实",
    "synthetic_control": "合成控制（加权对照单元）",
    "its": "中断时间序列回归",
    "naive": "与去年/上月同期的朴素对比",
    "did": "双重差分反事实（对照均值加干预前差距）",
}


@dataclasses.dataclass(frozen=True, repr=False)
class CounterfactualResult(MetricResult):
    """An effect estimated against a counterfactual, with intervals and tail probabilities.

    It reads like a :class:`CampaignEvaluation` (``estimate``, ``ci``, ``p_value``,
    ``significant``, ``to_frame``, ``to_dict``, ``plot``), so callers of
    :func:`evaluate` need not branch on the type.

    Attributes
    ----------
    method : str
        ``"sts"``, ``"synthetic_control"``, ``"its"``, ``"naive"`` or ``"did"``.
    series : pandas.DataFrame
        One row per date: ``period`` (pre/post), ``observed``, ``predicted`` and its band,
        ``effect`` and its band, ``cumulative_effect`` and its band.
    table : pandas.DataFrame
        The summary over the post-period, rows ``average`` and ``cumulative`` (see
        :func:`summarize_draws`).
    p_value : float
        Two-sided posterior tail probability of the cumulative effect
        (:func:`two_sided_p_value`): ``p_value < alpha`` exactly when the ``1 - alpha``
        interval of the cumulative effect excludes zero.
    alpha : float
        One minus the intervals' coverage.
    conventions : dict
        Every convention the estimate used, by name.
    details : dict
        Method-specific diagnostics (parameters, weights, pre-period fit).
    causalimpact_p : float
        R CausalImpact's one-sided tail area (:func:`tail_p_value`), for comparison with R;
        R calls an effect significant when it is below ``alpha`` (see
        ``causalimpact_significant``).
    """

    method: str
    series: pd.DataFrame
    table: pd.DataFrame
    p_value: float
    alpha: float
    conventions: Mapping[str, Any]
    details: Mapping[str, Any]
    causalimpact_p: float = float("nan")
    _draws: np.ndarray | None = dataclasses.field(default=None, compare=False)

    @property
    def significant(self) -> bool:
        """Whether the ``1 - alpha`` interval of the cumulative effect excludes zero.

        Equivalently ``p_value < alpha`` (the two-sided tail probability), so on series with
        no effect a calibrated posterior calls about ``alpha`` of them significant.  R
        CausalImpact's rule is ``causalimpact_significant``.

        Returns
        -------
        bool
        """
        cum = self.table.loc["cumulative"]
        return bool(cum["abs_effect_lower"] > 0 or cum["abs_effect_upper"] < 0)

    @property
    def causalimpact_significant(self) -> bool:
        """R CausalImpact's verdict: the one-sided tail area ``causalimpact_p`` below ``alpha``.

        ``causalimpact_p`` is the smaller of two tails, so this is a two-sided test at level
        ``2 alpha``: it calls about ``2 alpha`` of no-effect series significant, and an effect
        with ``alpha / 2 <= causalimpact_p < alpha`` significant while its ``1 - alpha``
        interval still includes zero.

        Returns
        -------
        bool
        """
        return bool(self.causalimpact_p < self.alpha)

    @property
    def estimate(self) -> float:
        """The relative effect over the post-period (as ``CampaignEvaluation.estimate``).

        The mean over draws of ``sum(y) / sum(draw) - 1`` (CausalImpact's relative effect),
        ``table.loc["cumulative", "rel_effect"]``.

        Returns
        -------
        float
        """
        return float(self.table.loc["cumulative"]["rel_effect"])

    @property
    def ci(self) -> tuple[float, float]:
        """The relative effect's ``1 - alpha`` interval ``(low, high)``.

        Its ends are the same draws' ratios as the cumulative effect's interval, so it
        excludes zero when ``significant`` is true (up to the interpolation between two
        adjacent draws when an end lies within one draw of zero).

        Returns
        -------
        tuple of (float, float)
        """
        cum = self.table.loc["cumulative"]
        return float(cum["rel_effect_lower"]), float(cum["rel_effect_upper"])

    def to_frame(self) -> pd.DataFrame:
        """Return the per-date frame (tidy, one row per date).

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.series.reset_index()
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return every field as JSON-ready values, plus the reading interface.

        ``estimate``, ``ci``, ``significant`` and ``causalimpact_significant`` are added to
        the fields, so the dictionary says what the summary says.

        Returns
        -------
        dict
        """
        out = super().to_dict()
        out["estimate"] = jsonable(self.estimate)
        out["ci"] = [jsonable(v) for v in self.ci]
        out["significant"] = self.significant
        out["causalimpact_significant"] = self.causalimpact_significant
        return out

    def _p_text(self, p: float) -> str:
        draws = None if self._draws is None else self._draws.shape[0]
        if p == 0 and draws:
            return f"< {1 / draws:.2g}"
        return f"= {p:.3g}"

    def summary(self, lang: Literal["en", "zh"] = "en") -> str:
        """Return the result as a short report in English or Chinese.

        The verdict follows ``significant`` (the interval of the cumulative effect excludes
        zero, ``p_value < alpha``); R CausalImpact's one-sided tail area is quoted beside it.

        Parameters
        ----------
        lang : {"en", "zh"}, default "en"
            The language.

        Returns
        -------
        str
        """
        if not isinstance(lang, str) or lang not in ("en", "zh"):
            raise InvalidParameterError(f"lang must be 'en' or 'zh'; got {lang!r}.")
        avg = self.table.loc["average"]
        cum = self.table.loc["cumulative"]
        level = round(100 * (1 - self.alpha))
        post = self.series[self.series["period"] == "post"].index
        start, end = post[0].date(), post[-1].date()
        p_txt = self._p_text(self.p_value)
        ci_p = f"{self.causalimpact_p:.3g}"
        rel_ok = bool(np.isfinite(cum["rel_effect"]))
        rel_en = (
            f"relative {cum['rel_effect']:+.1%} ({cum['rel_effect_lower']:+.1%} to "
            f"{cum['rel_effect_upper']:+.1%})"
            if rel_ok
            else "relative effect undefined (the counterfactual reaches zero)"
        )
        rel_zh = (
            f"相对 {cum['rel_effect']:+.1%}（{cum['rel_effect_lower']:+.1%} 至 "
            f"{cum['rel_effect_upper']:+.1%}）"
            if rel_ok
            else "相对效果无定义（反事实基准触及零）"
        )
        if lang == "en":
            if self.significant:
                verdict = (
                    f"The {level}% interval of the cumulative effect excludes zero "
                    f"(p {p_txt} < alpha = {self.alpha:g}): the data show an effect "
                    f"({'increase' if cum['abs_effect'] > 0 else 'decrease'})."
                )
            else:
                verdict = (
                    f"The {level}% interval of the cumulative effect includes zero "
                    f"(p {p_txt}, not below alpha = {self.alpha:g}): the data do not show an "
                    "effect distinguishable from the series' own variation."
                )
                if self.causalimpact_significant:
                    verdict += (
                        f" R CausalImpact's rule (one-sided tail area {ci_p} < alpha) would "
                        f"call it significant; that rule is a two-sided test at "
                        f"{2 * self.alpha:g}, so the evidence is weak."
                    )
            lines = [
                f"Effect of the campaign from {start} to {end}, estimated against "
                f"{_EN.get(self.method, self.method)}.",
                f"Average per period: observed {avg['actual']:.4g}, expected without the "
                f"campaign {avg['predicted']:.4g} ({level}% interval "
                f"{avg['predicted_lower']:.4g} to {avg['predicted_upper']:.4g}).",
                f"Effect: {avg['abs_effect']:+.4g} per period, {cum['abs_effect']:+.4g} in total "
                f"({level}% interval {cum['abs_effect_lower']:+.4g} to "
                f"{cum['abs_effect_upper']:+.4g}); {rel_en}.",
                f"Two-sided posterior tail probability p {p_txt}; R CausalImpact's one-sided "
                f"tail area {ci_p}.",
                verdict,
            ]
        else:
            if self.significant:
                verdict = (
                    f"累计效果的{level}%区间不含零（p {p_txt} < alpha = {self.alpha:g}）："
                    f"数据显示存在效果（{'提升' if cum['abs_effect'] > 0 else '下降'}）。"
                )
            else:
                verdict = (
                    f"累计效果的{level}%区间包含零（p {p_txt}，不低于 alpha = {self.alpha:g}）："
                    "数据无法把效果与序列自身的波动区分开。"
                )
                if self.causalimpact_significant:
                    verdict += (
                        f"按 R CausalImpact 的规则（单侧尾部面积 {ci_p} < alpha）会判为显著；"
                        f"该规则相当于水平 {2 * self.alpha:g} 的双侧检验，证据较弱。"
                    )
            lines = [
                f"活动在 {start} 至 {end} 的效果，"
                f"以{_ZH.get(self.method, self.method)}为基准估计。",
                f"每期平均：实际 {avg['actual']:.4g}，无活动时预期 {avg['predicted']:.4g}"
                f"（{level}%区间 {avg['predicted_lower']:.4g} 至 {avg['predicted_upper']:.4g}）。",
                f"效果：每期 {avg['abs_effect']:+.4g}，累计 {cum['abs_effect']:+.4g}"
                f"（{level}%区间 {cum['abs_effect_lower']:+.4g} 至 "
                f"{cum['abs_effect_upper']:+.4g}）；{rel_zh}。",
                f"双侧后验尾部概率 p {p_txt}；R CausalImpact 的单侧尾部面积 {ci_p}。",
                verdict,
            ]
        return "\n".join(lines)

    def plot(self, ax: Sequence[Any] | None = None) -> Any:
        """Draw three panels: observed vs counterfactual, pointwise effect, cumulative effect.

        Parameters
        ----------
        ax : sequence of three matplotlib Axes, optional
            Where to draw; a new figure with three stacked panels when None.

        Returns
        -------
        numpy.ndarray of matplotlib.axes.Axes
            The three panels.
        """
        from useropslib.plotting import plot_counterfactual

        post = self.series.index[self.series["period"] == "post"]
        return plot_counterfactual(self.series, launch=post[0], ax=ax)
