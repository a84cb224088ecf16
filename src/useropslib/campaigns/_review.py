"""The campaign review (复盘): attainment, lift, cost, funnel and findings (repeat/adjust/stop)."""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib._results import jsonable
from useropslib.campaigns._counterfactual import CounterfactualResult
from useropslib.campaigns._effect import PullForwardResult, pull_forward
from useropslib.campaigns._evaluate import CampaignEvaluation, evaluate, unit_outcomes
from useropslib.campaigns._lasting import LastingEffect, lasting_effect
from useropslib.events import EventLog, EventsLike
from useropslib.events._query import load
from useropslib.exceptions import InvalidParameterError
from useropslib.models import Campaign

__all__ = ["REVIEW_RULES", "CampaignReview", "Finding", "review"]

Language = Literal["en", "zh"]

REVIEW_RULES: dict[str, str] = {
    "srm": "SRM alert (p below the threshold): adjust the assignment before trusting any lift.",
    "win": "Primary lift's interval above 0 and ROI >= min_roi (or no cost data): repeat.",
    "costly": "Primary lift's interval above 0 but ROI < min_roi: adjust (cost or targeting).",
    "harm": "Primary lift's interval below 0: stop.",
    "flat": "Interval contains 0 and the upper bound is below min_effect: stop (no worthwhile "
    "effect is plausible).",
    "inconclusive": "Interval contains 0 and a worthwhile effect is still plausible: adjust "
    "(a larger audience or a longer window).",
    "guardrail": "A secondary goal's adjusted p-value below alpha with a negative lift: adjust.",
    "open_rate": "Message open rate below min_open_rate: adjust the message (subject, timing).",
    "pull_forward": "Pull-forward share's lower bound above max_pull_forward: adjust (the lift "
    "was largely taken from the weeks after).",
}
"""Every rule :func:`review` applies, with its threshold parameter."""

_T: dict[str, dict[str, str]] = {
    "title": {"en": "Campaign review: {name}", "zh": "活动复盘：{name}"},
    "goal": {"en": "Goal attainment", "zh": "目标达成"},
    "lift": {"en": "Lift with confidence", "zh": "效果与置信区间"},
    "cost": {"en": "Cost and return", "zh": "成本与回报"},
    "funnel": {"en": "Message funnel", "zh": "消息触达漏斗"},
    "pull": {"en": "Pull-forward", "zh": "提前透支（Pull-forward）"},
    "participation": {"en": "Participation funnel", "zh": "参与漏斗"},
    "lasting": {"en": "Lasting effect", "zh": "长期效果"},
    "findings": {"en": "Findings", "zh": "结论与建议"},
    "counterfactual": {
        "en": "Effect against a counterfactual (no control group)",
        "zh": "与反事实基准对比的效果（无对照组）",
    },
    "no_control": {
        "en": "The campaign has no control group: its effect is estimated from a counterfactual "
        "of the primary goal's daily series, learnt from the days before the launch. Goal "
        "attainment per treated user is not measured without arms.",
        "zh": "该活动没有对照组：效果由主要目标的每日序列的反事实基准估计（基于上线前的数据）。"
        "没有分组时不计算实验组的目标达成。",
    },
    "conventions": {"en": "Conventions", "zh": "统计口径"},
    "repeat": {"en": "repeat", "zh": "继续"},
    "adjust": {"en": "adjust", "zh": "调整"},
    "stop": {"en": "stop", "zh": "停止"},
    "attain": {
        "en": "Treated users reached {actual:,.0f} against a target of {target:,.0f} "
        "(baseline {baseline}): attainment {att}, OKR grade {grade:.2f}.",
        "zh": "实验组实际达成 {actual:,.0f}，目标 {target:,.0f}（基线 {baseline}）："
        "达成率 {att}，OKR 评分 {grade:.2f}。",
    },
    "lift_text": {
        "en": "Primary goal {goal}: lift {est} (95 % interval {lo} to {hi}), p = {p}; "
        "chance to win {ctw}. SRM p = {srm}.",
        "zh": "主要目标 {goal}：提升 {est}（95% 区间 {lo} 至 {hi}），p = {p}；"
        "胜出概率 {ctw}。样本比例检验 p = {srm}。",
    },
}

_FINDING_TEXT: dict[str, dict[str, str]] = {
    "srm": {
        "en": "Sample-ratio mismatch (p = {p}): the arms are not the planned split; find why "
        "before reading the lift.",
        "zh": "样本比例失衡（p = {p}）：分组与计划不符，先查明原因再看效果。",
    },
    "win": {
        "en": "The campaign lifted {goal} by {est} (interval above 0) at ROI {roi}: run it again.",
        "zh": "活动使{goal}提升 {est}（区间高于 0），ROI {roi}：建议继续执行。",
    },
    "costly": {
        "en": "The lift on {goal} is real ({est}) but ROI is {roi}: cut cost per contact or "
        "target the users who respond.",
        "zh": "{goal}的提升真实存在（{est}），但 ROI 为 {roi}："
        "降低单次触达成本或更精准地圈选人群。",
    },
    "harm": {
        "en": "The campaign lowered {goal} ({est}, interval below 0): stop it.",
        "zh": "活动降低了{goal}（{est}，区间低于 0）：建议停止。",
    },
    "flat": {
        "en": "No worthwhile effect on {goal} is plausible (upper bound {hi} < {min_effect}): "
        "stop running this design.",
        "zh": "{goal}没有值得的提升（上限 {hi} < {min_effect}）：建议停止该方案。",
    },
    "inconclusive": {
        "en": "The effect on {goal} is inconclusive ({lo} to {hi}): run it on a larger audience "
        "or longer before deciding.",
        "zh": "{goal}的效果尚无定论（{lo} 至 {hi}）：扩大人群或延长周期后再判断。",
    },
    "guardrail": {
        "en": "Secondary goal {goal} fell ({est}, adjusted p = {p}): adjust the offer.",
        "zh": "次要目标{goal}下降（{est}，校正后 p = {p}）：调整活动权益。",
    },
    "pull_forward": {
        "en": "About {share} of the lift was pulled forward from the {days} days after the "
        "campaign (interval {lo} to {hi}): the net effect is smaller than the lift; adjust "
        "the offer so it does not only move purchases earlier.",
        "zh": "约 {share} 的提升是从活动后 {days} 天提前透支的（区间 {lo} 至 {hi}）："
        "净效果小于活动期提升，调整权益避免只是提前消费。",
    },
    "open_rate": {
        "en": "Only {rate} of delivered messages were opened (< {min_rate}): adjust the "
        "subject line, sender or send time.",
        "zh": "送达消息的打开率仅 {rate}（< {min_rate}）：优化标题、发送方或发送时间。",
    },
}


def _pct(x: float) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:+.1%}"


def _num(x: float, digits: int = 3) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}g}"


@dataclasses.dataclass(frozen=True)
class Finding:
    """One recommendation of a review.

    Attributes
    ----------
    action : {"repeat", "adjust", "stop"}
    rule : str
        The key of :data:`REVIEW_RULES` that produced it.
    values : dict
        The numbers the rule read (JSON-ready).
    """

    action: Literal["repeat", "adjust", "stop"]
    rule: str
    values: Mapping[str, Any]

    def text(self, lang: Language = "en") -> str:
        """Return the finding in words.

        Parameters
        ----------
        lang : {"en", "zh"}

        Returns
        -------
        str
        """
        return _FINDING_TEXT[self.rule][lang].format(**self.values)


@dataclasses.dataclass(frozen=True, repr=False)
class CampaignReview:
    """A campaign's review (复盘), renderable in English and Chinese.

    Attributes
    ----------
    campaign : Campaign
    evaluation : CampaignEvaluation or CounterfactualResult
        The latter for a campaign without a control group (see :func:`evaluate`).
    attainment : pandas.Series
        ``actual`` (treated users' value of the primary goal's metric over the window),
        ``target``, ``baseline``, ``attainment`` (share of the way from baseline to target, or
        actual / target without a baseline) and ``okr_grade`` (attainment clipped to [0, 1]).
    funnel : pandas.DataFrame or None
        The message funnel (sent → delivered → opened → clicked → returned) of the campaign's
        messages, from :func:`useropslib.metrics.message_funnel`; None without message events.
    bottleneck : str or None
        The funnel stage with the lowest pass rate.
    participation : pandas.DataFrame or None
        The campaign's participation funnel (attention → interest → weigh → action of
        ``Campaign.funnel``) among treated users in the window, from
        :func:`useropslib.metrics.funnel` (ordered, first step as entry, window = the campaign
        window); None when the plan has no funnel.
    participation_bottleneck : str or None
        The stage with the lowest step conversion rate.
    lasting : LastingEffect or None
        With ``lasting_periods``: retention by arm after the window and the churn hazard ratio.
    pull_forward : PullForwardResult or None
        With ``after_days``: the pull-forward share of the treated users' daily goal series
        (:func:`useropslib.campaigns.pull_forward`, a structural time-series counterfactual
        fitted on the pre-period).
    findings : tuple of Finding
    params : dict
    """

    campaign: Campaign
    evaluation: CampaignEvaluation | CounterfactualResult
    attainment: pd.Series
    funnel: pd.DataFrame | None
    bottleneck: str | None
    findings: tuple[Finding, ...]
    params: Mapping[str, Any]
    pull_forward: PullForwardResult | None = None
    participation: pd.DataFrame | None = None
    participation_bottleneck: str | None = None
    lasting: LastingEffect | None = None

    def __repr__(self) -> str:
        acts = ", ".join(f"{f.action} ({f.rule})" for f in self.findings)
        return f"CampaignReview({self.campaign.id!r}; findings: {acts})"

    def sections(self, lang: Language = "en") -> list[tuple[str, str, pd.DataFrame | None]]:
        """Return the review as (title, text, table) sections in ``lang``.

        Parameters
        ----------
        lang : {"en", "zh"}

        Returns
        -------
        list of tuple
        """
        if not isinstance(lang, str) or lang not in ("en", "zh"):
            raise InvalidParameterError(f"lang must be 'en' or 'zh', got {lang!r}.")
        ev = self.evaluation
        if isinstance(ev, CounterfactualResult):
            return self._sections_without_control(ev, lang)
        a = self.attainment
        row = ev.table.iloc[0]
        out: list[tuple[str, str, pd.DataFrame | None]] = []
        out.append(
            (
                _T["goal"][lang],
                _T["attain"][lang].format(
                    actual=a["actual"],
                    target=a["target"],
                    baseline=_num(a["baseline"], 6),
                    att=_pct(a["attainment"]).lstrip("+"),
                    grade=a["okr_grade"],
                ),
                None,
            )
        )
        lift_cols = ["role", "estimate", "ci_low", "ci_high", "p_value", "p_adjusted"]
        lift_cols += ["chance_to_win"]
        out.append(
            (
                _T["lift"][lang],
                _T["lift_text"][lang].format(
                    goal=ev.table.index[0],
                    est=_pct(row["estimate"]),
                    lo=_pct(row["ci_low"]),
                    hi=_pct(row["ci_high"]),
                    p=_num(row["p_value"]),
                    ctw=_pct(row["chance_to_win"]).lstrip("+"),
                    srm=_num(ev.srm.p_value),
                ),
                ev.table[lift_cols].reset_index(),
            )
        )
        econ = ev.economics.rename("value").reset_index().rename(columns={"index": "metric"})
        out.append((_T["cost"][lang], "", econ))
        if self.funnel is not None:
            text = (
                f"bottleneck: {self.bottleneck}" if lang == "en" else f"瓶颈环节：{self.bottleneck}"
            )
            out.append((_T["funnel"][lang], text, self.funnel.reset_index()))
        if self.participation is not None:
            label = "bottleneck" if lang == "en" else "瓶颈环节"
            out.append(
                (
                    _T["participation"][lang],
                    f"{label}: {self.participation_bottleneck}",
                    self.participation.reset_index(),
                )
            )
        if self.lasting is not None:
            hr = self.lasting.hazard.reset_index()
            out.append((_T["lasting"][lang], "", self.lasting.retention.reset_index()))
            out.append((_T["lasting"][lang] + " (Cox)", "", hr))
        if self.pull_forward is not None:
            pf = self.pull_forward.table.reset_index()
            out.append((_T["pull"][lang], "", pf))
        items = "\n".join(
            f"- **{_T[f.action][lang]}** ({f.rule}): {f.text(lang)}" for f in self.findings
        )
        out.append((_T["findings"][lang], items, None))
        conv = pd.DataFrame(
            {"convention": list(ev.conventions), "value": list(ev.conventions.values())}
        )
        out.append((_T["conventions"][lang], "", conv))
        return out

    def _sections_without_control(
        self, ev: CounterfactualResult, lang: Language
    ) -> list[tuple[str, str, pd.DataFrame | None]]:
        out: list[tuple[str, str, pd.DataFrame | None]] = [
            (_T["goal"][lang], _T["no_control"][lang], None),
            (_T["counterfactual"][lang], ev.summary(lang), ev.table.reset_index()),
        ]
        if self.pull_forward is not None:
            out.append((_T["pull"][lang], "", self.pull_forward.table.reset_index()))
        items = "\n".join(
            f"- **{_T[f.action][lang]}** ({f.rule}): {f.text(lang)}" for f in self.findings
        )
        out.append((_T["findings"][lang], items, None))
        conv = pd.DataFrame(
            {
                "convention": list(ev.conventions),
                "value": [str(v) for v in ev.conventions.values()],
            }
        )
        out.append((_T["conventions"][lang], "", conv))
        return out

    def to_markdown(self, lang: Language = "en") -> str:
        """Render the review as Markdown.

        Parameters
        ----------
        lang : {"en", "zh"}

        Returns
        -------
        str
        """
        sections = self.sections(lang)
        lines = [f"# {_T['title'][lang].format(name=self.campaign.name)}", ""]
        for title, text, table in sections:
            lines += [f"## {title}", ""]
            if text:
                lines += [text, ""]
            if table is not None:
                lines += [_md_table(table), ""]
        return "\n".join(lines)

    def to_html(self, lang: Language = "en") -> str:
        """Render the review as a standalone HTML page.

        Parameters
        ----------
        lang : {"en", "zh"}

        Returns
        -------
        str
        """
        sections = self.sections(lang)
        title = html.escape(_T["title"][lang].format(name=self.campaign.name))
        parts = [
            "<!DOCTYPE html>",
            f'<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head><body>',
            f"<h1>{title}</h1>",
        ]
        for sec_title, text, table in sections:
            parts.append(f"<h2>{html.escape(sec_title)}</h2>")
            for para in text.split("\n") if text else []:
                parts.append(f"<p>{html.escape(para)}</p>")
            if table is not None:
                parts.append(table.to_html(index=False, border=0, na_rep=""))
        parts.append("</body></html>")
        return "\n".join(parts)

    def to_dict(self, lang: Language = "en") -> dict[str, Any]:
        """Return the review as JSON-ready values, findings worded in ``lang``.

        Parameters
        ----------
        lang : {"en", "zh"}

        Returns
        -------
        dict
        """
        self.sections(lang)  # checks lang
        return {
            "campaign": self.campaign.id,
            "lang": lang,
            "attainment": jsonable(self.attainment),
            "evaluation": self.evaluation.to_dict(),
            "funnel": jsonable(self.funnel) if self.funnel is not None else None,
            "bottleneck": self.bottleneck,
            "participation": (
                jsonable(self.participation) if self.participation is not None else None
            ),
            "participation_bottleneck": self.participation_bottleneck,
            "lasting": self.lasting.to_dict() if self.lasting is not None else None,
            "pull_forward": (
                self.pull_forward.to_dict() if self.pull_forward is not None else None
            ),
            "findings": [
                {
                    "action": f.action,
                    "rule": f.rule,
                    "values": jsonable(f.values),
                    "text": f.text(lang),
                }
                for f in self.findings
            ],
            "params": jsonable(self.params),
        }


def _md_table(df: pd.DataFrame) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "" if math.isnan(v) else f"{v:.4g}"
        return str(v).replace("|", "\\|")

    head = "| " + " | ".join(map(str, df.columns)) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def review(
    campaign: Campaign,
    events: EventsLike,
    *,
    as_of: Any = None,
    min_effect: float = 0.0,
    min_roi: float = 0.0,
    min_open_rate: float = 0.2,
    after_days: int | None = None,
    max_pull_forward: float = 0.5,
    lasting_periods: int | None = None,
    alpha: float = 0.05,
    **evaluate_options: Any,
) -> CampaignReview:
    """Review a campaign (复盘): attainment, lift, cost and return, funnel, findings.

    Parameters
    ----------
    campaign : Campaign
    events : EventLog, LazyEventLog or DataFrame
    as_of : datetime-like, optional
    min_effect : float, default 0.0
        Minimum worthwhile effect on the primary goal (units of ``difference``).
    min_roi : float, default 0.0
        ROI below which a real lift still calls for adjusting cost or targeting.
    min_open_rate : float, default 0.2
        Open rate (over delivered) below which the message needs work.
    after_days : int, optional
        Days after the campaign window to check for pull-forward (the log must cover them);
        default no check.
    max_pull_forward : float, default 0.5
        Pull-forward share whose exceedance (by the interval's lower bound) calls for adjusting.
    lasting_periods : int, optional
        Weeks after the window for :func:`lasting_effect` (retention by arm, churn hazard
        ratio); default not computed.
    alpha : float, default 0.05
    **evaluate_options
        Passed to :func:`evaluate`.

    Returns
    -------
    CampaignReview

    Raises
    ------
    InvalidParameterError, InsufficientDataError
        As :func:`evaluate`.

    Notes
    -----
    The rules and their thresholds are listed in :data:`REVIEW_RULES`; each finding names the
    rule that produced it. The message funnel reads messages whose ``campaign`` property is the
    campaign id, returns being the primary goal's events within 7 days of the first send.

    Examples
    --------
    >>> import useropslib as uo
    >>> data = uo.datasets.synthetic_campaign(n_users=3000, lift=0.5, seed=1)
    >>> rv = review(data.campaign, data.log)
    >>> [f.action for f in rv.findings][:1]
    ['repeat']
    """
    log = load(events, all_events=True)
    ev = evaluate(campaign, log, as_of=as_of, alpha=alpha, **evaluate_options)
    params = {
        "min_effect": min_effect,
        "min_roi": min_roi,
        "min_open_rate": min_open_rate,
        "after_days": after_days,
        "max_pull_forward": max_pull_forward,
        "alpha": alpha,
        "rules": REVIEW_RULES,
    }
    if isinstance(ev, CounterfactualResult):
        return _review_without_control(
            campaign,
            log,
            ev,
            min_effect=min_effect,
            after_days=after_days,
            max_pull_forward=max_pull_forward,
            alpha=alpha,
            params=params,
        )
    row = ev.table.iloc[0]
    econ = ev.economics
    goal = campaign.primary_goal
    actual = float(ev.arms["sum"]["treatment"])
    if goal.baseline is not None and goal.target != goal.baseline:
        att = (actual - goal.baseline) / (goal.target - goal.baseline)
    else:
        att = actual / goal.target if goal.target else math.nan
    attainment = pd.Series(
        {
            "actual": actual,
            "target": goal.target,
            "baseline": goal.baseline if goal.baseline is not None else math.nan,
            "attainment": att,
            "okr_grade": min(max(att, 0.0), 1.0) if not math.isnan(att) else math.nan,
        },
        name="attainment",
    )
    findings: list[Finding] = []
    name = str(ev.table.index[0])
    est, lo, hi = float(row["estimate"]), float(row["ci_low"]), float(row["ci_high"])
    roi = float(econ["roi"])
    if ev.srm.flagged:
        findings.append(Finding("adjust", "srm", {"p": _num(ev.srm.p_value)}))
    vals = {
        "goal": name,
        "est": _pct(est),
        "lo": _pct(lo),
        "hi": _pct(hi),
        "roi": _num(roi),
        "min_effect": _num(min_effect),
    }
    if lo > 0:
        if math.isnan(roi) or roi >= min_roi:
            findings.append(Finding("repeat", "win", vals))
        else:
            findings.append(Finding("adjust", "costly", vals))
    elif hi < 0:
        findings.append(Finding("stop", "harm", vals))
    elif hi < min_effect:
        findings.append(Finding("stop", "flat", vals))
    else:
        findings.append(Finding("adjust", "inconclusive", vals))
    for g, r in ev.table.iloc[1:].iterrows():
        if r["p_adjusted"] < alpha and r["estimate"] < 0:
            findings.append(
                Finding(
                    "adjust",
                    "guardrail",
                    {"goal": str(g), "est": _pct(float(r["estimate"])), "p": _num(r["p_adjusted"])},
                )
            )
    funnel, bottleneck = _message_funnel(campaign, log, as_of=ev.as_of)
    if funnel is not None:
        rates = funnel.iloc[0]
        stages = {
            "delivered": rates.get("delivery_rate", math.nan),
            "opened": rates.get("open_rate", math.nan),
            "clicked": rates.get("click_through_rate", math.nan),
            "returned": rates.get("return_rate_delivered", math.nan),
        }
        known = {k: float(v) for k, v in stages.items() if not pd.isna(v)}
        bottleneck = min(known, key=lambda k: known[k]) if known else None
        open_rate = known.get("opened", math.nan)
        if not math.isnan(open_rate) and open_rate < min_open_rate:
            findings.append(
                Finding(
                    "adjust",
                    "open_rate",
                    {"rate": f"{open_rate:.1%}", "min_rate": f"{min_open_rate:.0%}"},
                )
            )
    pf = None
    if after_days is not None:
        pf = _pull_forward(campaign, log, ev, after_days=after_days, alpha=alpha)
        row_pf = pf.table.loc["pull_forward_share"]
        if float(row_pf["lower"]) > max_pull_forward:
            findings.append(
                Finding(
                    "adjust",
                    "pull_forward",
                    {
                        "share": f"{pf.share:.0%}",
                        "days": after_days,
                        "lo": f"{float(row_pf['lower']):.0%}",
                        "hi": f"{float(row_pf['upper']):.0%}",
                    },
                )
            )
    participation, p_bottleneck = _participation(campaign, log, ev)
    lasting = None
    if lasting_periods is not None:
        lasting = lasting_effect(
            campaign,
            log,
            as_of=ev.as_of,
            periods=lasting_periods,
            overlap=evaluate_options.get("overlap", "error"),
            assignment=evaluate_options.get("assignment"),
        )
    return CampaignReview(
        participation=participation,
        participation_bottleneck=p_bottleneck,
        lasting=lasting,
        pull_forward=pf,
        campaign=campaign,
        evaluation=ev,
        attainment=attainment,
        funnel=funnel,
        bottleneck=bottleneck,
        findings=tuple(findings),
        params=params,
    )


def _effect_finding(
    vals: dict[str, Any], lo: float, hi: float, roi: float, *, min_effect: float, min_roi: float
) -> Finding:
    if lo > 0:
        if math.isnan(roi) or roi >= min_roi:
            return Finding("repeat", "win", vals)
        return Finding("adjust", "costly", vals)
    if hi < 0:
        return Finding("stop", "harm", vals)
    if hi < min_effect:
        return Finding("stop", "flat", vals)
    return Finding("adjust", "inconclusive", vals)


def _review_without_control(
    campaign: Campaign,
    log: EventLog,
    ev: CounterfactualResult,
    *,
    min_effect: float,
    after_days: int | None,
    max_pull_forward: float,
    alpha: float,
    params: dict[str, Any],
) -> CampaignReview:
    """Review a campaign without a control group from its counterfactual (relative effect)."""
    cum = ev.table.loc["cumulative"]
    est, lo, hi = (
        float(cum["rel_effect"]),
        float(cum["rel_effect_lower"]),
        float(cum["rel_effect_upper"]),
    )
    vals = {
        "goal": campaign.primary_goal.label,
        "est": _pct(est),
        "lo": _pct(lo),
        "hi": _pct(hi),
        "roi": "-",
        "min_effect": _num(min_effect),
    }
    findings = [_effect_finding(vals, lo, hi, math.nan, min_effect=min_effect, min_roi=0.0)]
    pf = None
    if after_days is not None:
        if not isinstance(after_days, int) or after_days < 1:
            raise InvalidParameterError(
                f"after_days must be a positive whole number, got {after_days!r}."
            )
        post = ev.series.index[ev.series["period"] == "post"]
        pre = ev.series.index[ev.series["period"] == "pre"]
        first_a = post[-1] + pd.Timedelta(days=1)
        last_a = post[-1] + pd.Timedelta(days=after_days)
        pf = pull_forward(
            campaign,
            log,
            pre=(pre[0], pre[-1]),
            campaign=(post[0], post[-1]),
            after=(first_a, last_a),
            alpha=alpha,
        )
        row_pf = pf.table.loc["pull_forward_share"]
        if float(row_pf["lower"]) > max_pull_forward:
            findings.append(
                Finding(
                    "adjust",
                    "pull_forward",
                    {
                        "share": f"{pf.share:.0%}",
                        "days": after_days,
                        "lo": f"{float(row_pf['lower']):.0%}",
                        "hi": f"{float(row_pf['upper']):.0%}",
                    },
                )
            )
    nan = math.nan
    attainment = pd.Series(
        {
            "actual": nan,
            "target": campaign.primary_goal.target,
            "baseline": nan
            if campaign.primary_goal.baseline is None
            else campaign.primary_goal.baseline,
            "attainment": nan,
            "okr_grade": nan,
        },
        name="attainment",
    )
    return CampaignReview(
        campaign=campaign,
        evaluation=ev,
        attainment=attainment,
        funnel=None,
        bottleneck=None,
        findings=tuple(findings),
        params=params,
        pull_forward=pf,
    )


def _message_funnel(
    campaign: Campaign, log: EventLog, *, as_of: Any
) -> tuple[pd.DataFrame | None, str | None]:
    from useropslib.metrics import message_funnel

    if "message_sent" not in set(map(str, log.event_names)):
        return None, None
    spec = campaign.primary_goal.metric
    ret = list(spec.required_events()) if spec is not None and spec.required_events() else None
    res = message_funnel(log, breakdown=None, campaign=campaign.id, return_event=ret, as_of=as_of)
    table: pd.DataFrame = res.table
    if table.empty or float(table["sent"].sum()) == 0:
        return None, None
    return table, None


def _pull_forward(
    campaign: Campaign, log: EventLog, ev: CampaignEvaluation, *, after_days: int, alpha: float
) -> PullForwardResult:
    """Return the pull-forward of the treated users' daily goal series (cf. ``pull_forward``)."""
    if not isinstance(after_days, int) or after_days < 1:
        raise InvalidParameterError(
            f"after_days must be a positive whole number, got {after_days!r}."
        )
    start, end = ev.params["window"]
    pre_days = int(ev.params["pre_period"])
    tz = log.tz
    day0 = (start.tz_convert(tz) - pd.Timedelta(days=pre_days)).normalize()
    first_c = start.tz_convert(tz).normalize()
    last_c = end.tz_convert(tz).normalize()
    last_a = last_c + pd.Timedelta(days=after_days)
    if log.end is None or log.end < last_a:
        raise InvalidParameterError(
            f"review: pull-forward needs the log to cover {after_days} days after the campaign "
            f"(to {last_a.date()}), but it ends at {log.end}. Hint: wait, or lower after_days."
        )
    days = pd.date_range(day0, last_a, freq="D")
    spec = campaign.primary_goal.metric
    # daily value of the goal for the treated users (every user when there is no control)
    users = log.users
    codes = np.arange(len(users), dtype=np.int64)
    treated = _treated_mask(campaign, log, ev)
    series = []
    for d in days:
        s_ns = int(d.value)
        e_ns = int((d + pd.Timedelta(days=1)).value) - 1
        y, _ = unit_outcomes(log, spec, codes=codes[treated], start_ns=s_ns, end_ns=e_ns)
        series.append(float(y.sum()))
    data = pd.Series(series, index=days.tz_localize(None))
    return pull_forward(
        data,
        pre=(days[0].tz_localize(None), (first_c - pd.Timedelta(days=1)).tz_localize(None)),
        campaign=(first_c.tz_localize(None), last_c.tz_localize(None)),
        after=(
            (last_c + pd.Timedelta(days=1)).tz_localize(None),
            last_a.tz_localize(None),
        ),
        alpha=alpha,
    )


def _treated_mask(
    campaign: Campaign, log: EventLog, ev: CampaignEvaluation
) -> npt.NDArray[np.bool_]:
    from useropslib.campaigns._assign import assign

    if campaign.control is None:
        return np.ones(len(log.users), dtype=bool)
    arms = assign(log, campaign)
    treated_ids = arms.index[arms.to_numpy() == "treatment"]
    out: npt.NDArray[np.bool_] = log.users.isin(treated_ids)
    return out


def _participation(
    campaign: Campaign, log: EventLog, ev: CampaignEvaluation
) -> tuple[pd.DataFrame | None, str | None]:
    """Return the participation funnel among treated users in the window, and its bottleneck."""
    from useropslib.metrics import funnel

    if campaign.funnel is None:
        return None, None
    stages = campaign.funnel.stages
    steps: list[Any] = [names[0] if len(names) == 1 else list(names) for _, names in stages]
    start, end = ev.params["window"]
    treated = _treated_mask(campaign, log, ev)
    sub = log.filter_users(log.users[treated])
    window = pd.Timedelta(end - start) + pd.Timedelta(1, "ns")
    res = funnel(sub, steps, window=window, start=start, end=end, as_of=ev.as_of)
    table = res.table.copy()
    table.insert(0, "stage", [name for name, _ in stages])
    rates = table["step_conversion_rate"].iloc[1:]
    bottleneck = (
        str(table["stage"].iloc[1 + int(rates.to_numpy().argmin())]) if len(rates) else None
    )
    out: pd.DataFrame = table.set_index("stage")
    return out, bottleneck
