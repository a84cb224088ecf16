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
from useropslib.campaigns._evaluate import (
    CampaignEvaluation,
    evaluate,
    evaluation_window,
    unit_outcomes,
)
from useropslib.campaigns._lasting import LastingEffect, lasting_effect
from useropslib.campaigns._quality import UserQuality, exposed_users, user_quality
from useropslib.events import EventLog, EventsLike
from useropslib.events._query import load, resolve_as_of
from useropslib.exceptions import InvalidParameterError, UseropsError
from useropslib.models import Campaign

__all__ = ["REVIEW_RULES", "CampaignReview", "Finding", "review"]

Language = Literal["en", "zh"]

REVIEW_RULES: dict[str, str] = {
    "srm": "SRM alert (p below the threshold): adjust the assignment before trusting any lift.",
    "win": "Primary lift's interval above 0 and ROI >= min_roi: repeat.",
    "win_no_roi": "Primary lift's interval above 0 and no ROI (no value per conversion or no "
    "cost data): repeat, and give a value to weigh the cost.",
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
    "messages_untagged": {
        "en": "The log's message events carry no campaign property, so the funnel counts every "
        "message sent from the launch on.",
        "zh": "日志中的消息事件没有活动（campaign）属性，漏斗统计的是活动上线后发送的全部消息。",
    },
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
        "attainment could not be measured (the goal's metric has no per-user outcome).",
        "zh": "该活动没有对照组：效果由主要目标的每日序列的反事实基准估计（基于上线前的数据）。"
        "无法计算目标达成（该目标指标没有逐用户的结果）。",
    },
    "no_control_attain": {
        "en": "The campaign has no control group: its effect is estimated from a counterfactual "
        "(below).",
        "zh": "该活动没有对照组：效果由反事实基准估计（见下文）。",
    },
    "treated_is": {
        "en": "Treated population: {who}.",
        "zh": "实验人群：{who}。",
    },
    "who_exposed": {
        "en": "every exposed user (an event tagged with the campaign id)",
        "zh": "所有触达用户（带有该活动 id 的事件）",
    },
    "who_audience": {
        "en": "every user of the audience segment (nothing marks exposure)",
        "zh": "目标人群中的所有用户（没有触达记录）",
    },
    "who_everyone": {
        "en": "every user (nothing marks exposure)",
        "zh": "所有用户（没有触达记录）",
    },
    "bottleneck": {"en": "Bottleneck: {stage}.", "zh": "瓶颈环节：{stage}。"},
    "whole_log": {
        "en": "The goal's metric has no per-user outcome, so it is measured over the whole log.",
        "zh": "该目标指标没有逐用户的结果，按整个日志计算。",
    },
    "pacing_text": {
        "en": "Pacing: {actual:,.0f} by {day} against {expected:,.0f} expected on the straight "
        "line to the target ({status}).",
        "zh": "进度：截至 {day} 达成 {actual:,.0f}，按直线到目标应达 {expected:,.0f}（{status}）。",
    },
    "ltv_method": {
        "en": "Lifetime value (for LTV:CAC): {method}.",
        "zh": "用户生命周期价值（用于 LTV:CAC）：{method}。",
    },
    "no_costs": {
        "en": "The campaign has no costs (no budget lines, channel costs or reward): ROI, CAC "
        "and cost per incremental conversion are left out.",
        "zh": "该活动没有成本数据（无预算、渠道成本或奖励）：不计算 ROI、获客成本和单位增量成本。",
    },
    "lasting_no_control": {
        "en": "Without a control group, the treated population — {who} — is compared with itself: "
        "the share active in each period after the campaign against the periods just before the "
        "launch. This is not a causal comparison.",
        "zh": "没有对照组时，实验人群——{who}——与自身比较：活动后各周期的活跃比例对比上线前"
        "相邻周期。这不是因果比较。",
    },
    "quality": {"en": "Quality of the users brought", "zh": "活动用户质量"},
    "pull_text": {
        "en": "Pull-forward share {share} (95 % interval {lo} to {hi}): the part of the "
        "campaign window's effect given back in the {days} days after it, from one "
        "counterfactual fitted on the days before the launch; net effect over both {net}.",
        "zh": "提前透支占比 {share}（95% 区间 {lo} 至 {hi}）：活动期效果在随后 {days} 天中被"
        "回吐的部分，基于上线前数据拟合的同一个反事实基准；两段合计的净效果 {net}。",
    },
    "not_computed": {"en": "Not computed: ", "zh": "未计算："},
    "quality_acquired_vs_organic": {
        "en": "Users the campaign acquired against the organic signups of the same weeks.",
        "zh": "活动获取的用户对比同期自然新增用户。",
    },
    "quality_treated_vs_control": {
        "en": "Treated users against the control (holdout) users.",
        "zh": "实验组用户对比对照组（留出）用户。",
    },
    "quality_treated_before_after": {
        "en": "No control group: the treated population after the campaign against the same "
        "users before the launch (not causal).",
        "zh": "无对照组：实验人群活动后对比上线前（非因果比较）。",
    },
    "grp_acquired": {"en": "acquired users", "zh": "活动获取用户"},
    "grp_organic": {"en": "organic users", "zh": "自然新增用户"},
    "grp_treatment": {"en": "treated users", "zh": "实验组用户"},
    "grp_control": {"en": "control users", "zh": "对照组用户"},
    "grp_after": {"en": "the treated population after", "zh": "活动后的实验人群"},
    "grp_before": {"en": "before", "zh": "上线前"},
    "hazard": {
        "en": "Churn hazard ratio of {first} against {second}: {hr:.2f} (95 % interval "
        "{lo:.2f} to {hi:.2f}; above 1 means they churn faster).",
        "zh": "{first}相对{second}的流失风险比：{hr:.2f}（95% 区间 {lo:.2f} 至 {hi:.2f}；"
        "大于 1 表示流失更快）。",
    },
    "no_hazard": {
        "en": "No churn hazard ratio: one population has nothing to compare its hazard with.",
        "zh": "不计算流失风险比：单一人群没有比较对象。",
    },
    "quality_ltv": {
        "en": "Lifetime value of {first}: {ltv} per user, LTV:CAC {ratio} ({method}).",
        "zh": "{first}的人均生命周期价值：{ltv}，LTV:CAC 为 {ratio}（{method}）。",
    },
    "ltv_bgnbd_gamma_gamma": {
        "en": "BG/NBD + Gamma-Gamma of the churn module, 12 months",
        "zh": "流失模块的 BG/NBD + Gamma-Gamma 模型，12 个月",
    },
    "ltv_ltv_curve": {
        "en": "each group's cohort ltv_curve: revenue per user observed so far",
        "zh": "各组同期群 LTV 曲线：截至目前的人均收入",
    },
    "ltv_given": {"en": "the value given", "zh": "给定值"},
    "ltv_none": {"en": "no purchases with values in the log", "zh": "日志中没有带金额的购买"},
    "conventions": {"en": "Conventions", "zh": "统计口径"},
    "repeat": {"en": "repeat", "zh": "继续"},
    "adjust": {"en": "adjust", "zh": "调整"},
    "stop": {"en": "stop", "zh": "停止"},
    "attain_all": {
        "en": "The goal reached {actual:,.0f} against a target of {target:,.0f} "
        "(baseline {baseline}): attainment {att}, OKR grade {grade:.2f}.",
        "zh": "实际达成 {actual:,.0f}，目标 {target:,.0f}（基线 {baseline}）："
        "达成率 {att}，OKR 评分 {grade:.2f}。",
    },
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

# words the review quotes from its results, in Chinese (English keeps them as they are)
_ZH_WORDS: dict[str, str] = {
    "delivered": "送达",
    "opened": "打开",
    "clicked": "点击",
    "returned": "回流",
    "attention": "注意",
    "interest": "兴趣",
    "weigh": "权衡",
    "action": "行动",
    "ahead": "超前",
    "on track": "正常",
    "behind": "落后",
    "not given": "未提供（传入 ltv='model' 或一个数值即可计算 LTV:CAC）",
    "given": "给定值",
    "churn BG/NBD + Gamma-Gamma, 12 months, 1% monthly discount": (
        "流失模块的 BG/NBD + Gamma-Gamma 模型，12 个月，月折现率 1%"
    ),
    "cohort ltv_curve at its oldest age (the model did not converge)": (
        "同期群 LTV 曲线的最大月龄值（模型未收敛）"
    ),
}
_EN_WORDS: dict[str, str] = {
    "not given": "not given (pass ltv='model' or a number to get LTV:CAC)",
}


def _word(text: str | None, lang: Language) -> str:
    if text is None:
        return "-"
    table = _ZH_WORDS if lang == "zh" else _EN_WORDS
    return table.get(text, text)


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
    "win_no_roi": {
        "en": "The campaign lifted {goal} by {est} (interval above 0): run it again. Its ROI is "
        "unknown (no value per conversion or no cost): give one to weigh the cost.",
        "zh": "活动使{goal}提升 {est}（区间高于 0）：建议继续执行。"
        "ROI 未知（缺少单次转化价值或成本），补充后可衡量投入产出。",
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
        ``actual`` (treated users' value of the primary goal's metric over the window; without
        a control group, the treated population's: every exposed user, or every user),
        ``target``, ``baseline``, ``attainment`` (share of the way from baseline to target, or
        actual / target without a baseline) and ``okr_grade`` (attainment clipped to [0, 1]).
    funnel : pandas.DataFrame or None
        The message funnel (sent → delivered → opened → clicked → returned) of the campaign's
        messages, from :func:`useropslib.metrics.message_funnel`; None without message events.
    bottleneck : str or None
        The message stage with the lowest pass rate from the stage before it: delivered /
        sent, opened / delivered or clicked / opened (the return is the outcome, counted over
        delivered messages, and is not a candidate).
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
    quality : UserQuality or None
        Quality of the users the campaign brought or touched against a baseline group
        (:func:`user_quality`): retention, Cox hazard ratio, LTV and LTV:CAC.
    pacing : pandas.DataFrame or None
        The primary goal's pacing over the window, on the same measure as ``attainment``: one
        row per day (index ``day``, the end of that day in the log's time zone), ``actual``
        (the treated users' cumulative value of the goal so far), ``expected`` (the straight
        line from 0 at the window's start to the target at its end, goals' linear curve) and
        ``target``; days after ``as_of`` are left out. None when the goal's metric has no
        per-user outcome (the reason is in ``notes["pacing"]``).
    pacing_status : str or None
        ``"ahead"``, ``"on track"`` or ``"behind"``: the last day's actual against expected,
        with a tolerance of 5 % (goals' default).
    treated : str
        Who counts as treated: ``"arm"`` (the treatment arm), or without a control group
        ``"exposed"`` (users with an event tagged with the campaign id), ``"audience"`` or
        ``"everyone"``.
    notes : dict
        Why a part of the review could not be computed, by part key (``"quality"``,
        ``"pacing"`` ...).
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
    quality: UserQuality | None = None
    pacing: pd.DataFrame | None = None
    pacing_status: str | None = None
    treated: str = "arm"
    notes: Mapping[str, str] = dataclasses.field(default_factory=dict)

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
        return [(title, text, table) for _, title, text, table in self.parts(lang)]

    def parts(self, lang: Language = "en") -> list[tuple[str, str, str, pd.DataFrame | None]]:
        """Return the review as (key, title, text, table) parts in ``lang``.

        The key names the part (``goal``, ``lift``, ``cost``, ``funnel``, ``participation``,
        ``lasting``, ``lasting_cox``, ``quality``, ``counterfactual``, ``pull``, ``findings``,
        ``conventions``), so a report can attach the part's chart.

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
        out: list[tuple[str, str, str, pd.DataFrame | None]] = []
        out.append(("goal", _T["goal"][lang], self._goal_text(lang), None))
        if isinstance(ev, CounterfactualResult):
            out.append(
                (
                    "counterfactual",
                    _T["counterfactual"][lang],
                    ev.summary(lang),
                    ev.table.reset_index(),
                )
            )
        else:
            row = ev.table.iloc[0]
            lift_cols = ["role", "estimate", "ci_low", "ci_high", "p_value", "p_adjusted"]
            lift_cols += ["chance_to_win"]
            out.append(
                (
                    "lift",
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
            out.append(("cost", _T["cost"][lang], self._cost_text(lang), econ))
        if self.funnel is not None:
            text = _T["bottleneck"][lang].format(stage=_word(self.bottleneck, lang))
            if self.notes.get("messages") == "untagged":
                text += " " + _T["messages_untagged"][lang]
            out.append(
                ("funnel", _T["funnel"][lang], self._who(lang) + text, self.funnel.reset_index())
            )
        if self.participation is not None:
            text = _T["bottleneck"][lang].format(stage=_word(self.participation_bottleneck, lang))
            out.append(
                (
                    "participation",
                    _T["participation"][lang],
                    self._who(lang) + text,
                    self.participation.reset_index(),
                )
            )
        if self.lasting is not None:
            hr = self.lasting.hazard.reset_index()
            out.append(("lasting", _T["lasting"][lang], "", self.lasting.retention.reset_index()))
            out.append(("lasting_cox", _T["lasting"][lang] + " (Cox)", "", hr))
        elif (
            isinstance(ev, CounterfactualResult)
            and self.quality is not None
            and self.quality.comparison == "treated_before_after"
        ):
            q = self.quality
            out.append(
                (
                    "lasting",
                    _T["lasting"][lang],
                    _T["lasting_no_control"][lang].format(who=_T["who_" + self.treated][lang]),
                    q.retention.reset_index(),
                )
            )
        if self.quality is not None:
            out.append(
                ("quality", _T["quality"][lang], self._quality_text(lang), self._quality_table())
            )
        elif "quality" in self.notes:
            out.append(
                (
                    "quality",
                    _T["quality"][lang],
                    _T["not_computed"][lang] + self.notes["quality"],
                    None,
                )
            )
        if self.pull_forward is not None:
            pft = self.pull_forward.table
            share = pft.loc["pull_forward_share"]
            text = _T["pull_text"][lang].format(
                share=f"{float(share['estimate']):.0%}",
                lo=f"{float(share['lower']):.0%}",
                hi=f"{float(share['upper']):.0%}",
                days=self.params.get("after_days"),
                net=_num(float(pft["estimate"]["net"]), 4),
            )
            out.append(("pull", _T["pull"][lang], text, pft.reset_index()))
        items = "\n".join(
            f"- **{_T[f.action][lang]}** ({f.rule}): {f.text(lang)}" for f in self.findings
        )
        out.append(("findings", _T["findings"][lang], items, None))
        conv = pd.DataFrame(
            {
                "convention": list(ev.conventions),
                "value": [str(v) for v in ev.conventions.values()],
            }
        )
        out.append(("conventions", _T["conventions"][lang], "", conv))
        return out

    def _who(self, lang: Language) -> str:
        if self.treated == "arm":
            return ""
        return _T["treated_is"][lang].format(who=_T["who_" + self.treated][lang]) + " "

    def _goal_text(self, lang: Language) -> str:
        a = self.attainment
        if pd.isna(a["actual"]):
            return _T["no_control"][lang]
        template = "attain" if self.treated == "arm" else "attain_all"
        text = _T[template][lang].format(
            actual=a["actual"],
            target=a["target"],
            baseline=_num(a["baseline"], 6),
            att=_pct(a["attainment"]).lstrip("+"),
            grade=a["okr_grade"],
        )
        if isinstance(self.evaluation, CounterfactualResult):
            who = (
                _T["whole_log"][lang] if self.params.get("attainment") == "log" else self._who(lang)
            )
            text = _T["no_control_attain"][lang] + " " + who + text
        if self.pacing_status is not None and self.pacing is not None:
            last = self.pacing.iloc[-1]
            text += " " + _T["pacing_text"][lang].format(
                status=_word(self.pacing_status, lang),
                actual=float(last["actual"]),
                expected=float(last["expected"]),
                day=str(self.pacing.index[-1].date()),
            )
        return text

    def _cost_text(self, lang: Language) -> str:
        ev = self.evaluation
        if isinstance(ev, CounterfactualResult):
            return ""
        method = str(ev.conventions.get("ltv", "not given"))
        parts = [_T["ltv_method"][lang].format(method=_word(method, lang))]
        if pd.isna(ev.economics.get("cost", math.nan)):
            parts.append(_T["no_costs"][lang])
        return " ".join(parts)

    def _quality_text(self, lang: Language) -> str:
        q = self.quality
        assert q is not None
        first, second = q.groups
        names = {g: _T["grp_" + g][lang] for g in q.groups}
        s = q.summary
        hr, lo, hi = q.hazard_ratio
        if math.isnan(hr):
            hr_text = _T["no_hazard"][lang]
        else:
            hr_text = _T["hazard"][lang].format(
                first=names[first], second=names[second], hr=hr, lo=lo, hi=hi
            )
        ltv_text = _T["quality_ltv"][lang].format(
            first=names[first],
            ltv=_num(float(s["ltv"].iloc[0]), 4),
            ratio=_num(float(s["ltv_to_cac"].iloc[0]), 3),
            method=_T["ltv_" + q.ltv_method][lang] if "ltv_" + q.ltv_method in _T else q.ltv_method,
        )
        lead = _T["quality_" + q.comparison][lang]
        return "\n".join([lead, hr_text, ltv_text])

    def _quality_table(self) -> pd.DataFrame:
        q = self.quality
        assert q is not None
        out: pd.DataFrame = q.to_frame().reset_index()
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
        self.parts(lang)  # checks lang
        return {
            "campaign": self.campaign.id,
            "lang": lang,
            "treated": self.treated,
            "attainment": jsonable(self.attainment),
            "evaluation": self.evaluation.to_dict(),
            "funnel": jsonable(self.funnel) if self.funnel is not None else None,
            "bottleneck": self.bottleneck,
            "participation": (
                jsonable(self.participation) if self.participation is not None else None
            ),
            "participation_bottleneck": self.participation_bottleneck,
            "lasting": self.lasting.to_dict() if self.lasting is not None else None,
            "quality": self.quality.to_dict() if self.quality is not None else None,
            "quality_text": self._quality_text(lang) if self.quality is not None else None,
            "pacing": jsonable(self.pacing) if self.pacing is not None else None,
            "pacing_status": self.pacing_status,
            "pull_forward": (
                self.pull_forward.to_dict() if self.pull_forward is not None else None
            ),
            "notes": dict(self.notes),
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
    quality_periods: int | None = 4,
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
    quality_periods : int or None, default 4
        Weeks of retention in the quality-of-users part (:func:`user_quality`: acquired vs
        organic users, or treated vs control; retention, Cox hazard ratio, LTV, LTV:CAC).
        None leaves the part out. When it cannot be computed (the window has not ended by
        ``as_of``, no organic signups ...) the review says why in ``notes["quality"]``.
    alpha : float, default 0.05
    **evaluate_options
        Passed to :func:`evaluate` (``ltv=`` also to :func:`user_quality`, so the lifetime
        value choice is the same in the cost part and the quality part; the review says which
        one was used).

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

    A campaign without a control group is evaluated against a counterfactual (see
    :func:`evaluate`); goal attainment, the participation funnel, the message funnel and the
    lasting effect then read the treated population: every exposed user (an event whose
    ``campaign`` property is the campaign id), else the audience segment, else every user. The
    review says which (``CampaignReview.treated``), and the lasting effect compares that
    population after the campaign with itself before the launch (not causal).

    Examples
    --------
    >>> import useropslib as uo
    >>> data = uo.datasets.synthetic_campaign(n_users=3000, lift=0.5, seed=1)
    >>> rv = review(data.campaign, data.log)
    >>> [f.action for f in rv.findings][:1]
    ['repeat']
    """
    if quality_periods is not None and (
        isinstance(quality_periods, bool)
        or not isinstance(quality_periods, int)
        or quality_periods < 1
    ):
        raise InvalidParameterError(
            f"quality_periods must be a whole number >= 1 or None, got {quality_periods!r}."
        )
    log = load(events, all_events=True)
    ev = evaluate(campaign, log, as_of=as_of, alpha=alpha, **evaluate_options)
    params: dict[str, Any] = {
        "min_effect": min_effect,
        "min_roi": min_roi,
        "min_open_rate": min_open_rate,
        "after_days": after_days,
        "max_pull_forward": max_pull_forward,
        "alpha": alpha,
        "rules": REVIEW_RULES,
    }
    at = resolve_as_of(log, as_of)
    assert at is not None  # evaluate raised on an empty log
    as_of_ts = at.stamp
    start_ns, end_ns = evaluation_window(campaign, log, at.ns)
    if isinstance(ev, CounterfactualResult):
        codes, who = exposed_users(log, campaign, start_ns=start_ns, end_ns=end_ns)
        treated = np.zeros(len(log.users), dtype=bool)
        treated[codes] = True
        actual, how = _goal_value(campaign, log, codes, start_ns=start_ns, end_ns=end_ns)
        params["attainment"] = how
        cum = ev.table.loc["cumulative"]
        est, lo, hi = (
            float(cum["rel_effect"]),
            float(cum["rel_effect_lower"]),
            float(cum["rel_effect_upper"]),
        )
        vals = {
            "goal": campaign.primary_goal.name or campaign.primary_goal.label,
            "est": _pct(est),
            "lo": _pct(lo),
            "hi": _pct(hi),
            "roi": "-",
            "min_effect": _num(min_effect),
        }
        findings = [_effect_finding(vals, lo, hi, math.nan, min_effect=min_effect, min_roi=0.0)]
    else:
        who = "arm"
        treated = _treated_mask(campaign, log, evaluate_options.get("assignment"))
        actual = float(ev.arms["sum"]["treatment"])
        findings = _lift_findings(ev, min_effect=min_effect, min_roi=min_roi, alpha=alpha)
    attainment = _attainment(campaign, actual)
    funnel, funnel_note = _message_funnel(campaign, log, as_of=as_of_ts)
    bottleneck = None
    if funnel is not None:
        bottleneck, open_rate = _message_bottleneck(funnel)
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
        if isinstance(ev, CounterfactualResult):
            pf = _pull_forward_counterfactual(campaign, log, ev, after_days=after_days, alpha=alpha)
        else:
            pf = _pull_forward(campaign, log, ev, treated, after_days=after_days, alpha=alpha)
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
    participation, p_bottleneck = _participation(
        campaign, log, treated, start_ns=start_ns, end_ns=end_ns, as_of=as_of_ts
    )
    lasting = None
    if lasting_periods is not None and not isinstance(ev, CounterfactualResult):
        lasting = lasting_effect(
            campaign,
            log,
            as_of=as_of_ts,
            periods=lasting_periods,
            overlap=evaluate_options.get("overlap", "error"),
            assignment=evaluate_options.get("assignment"),
        )
    notes: dict[str, str] = {}
    if funnel_note is not None:
        notes["messages"] = funnel_note
    quality = None
    if quality_periods is not None:
        try:
            quality = user_quality(
                campaign,
                log,
                as_of=as_of_ts,
                periods=lasting_periods or quality_periods,
                ltv=evaluate_options.get("ltv"),
                overlap=evaluate_options.get("overlap", "error"),
                assignment=evaluate_options.get("assignment"),
            )
        except UseropsError as exc:
            notes["quality"] = str(exc)
    pace, pace_status = None, None
    try:
        pace, pace_status = _goal_pacing(
            campaign, log, np.flatnonzero(treated), start_ns=start_ns, end_ns=end_ns, as_of_ns=at.ns
        )
    except UseropsError as exc:
        notes["pacing"] = str(exc)
    params["treated"] = who
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
        quality=quality,
        pacing=pace,
        pacing_status=pace_status,
        treated=who,
        notes=notes,
    )


def _attainment(campaign: Campaign, actual: float) -> pd.Series:
    goal = campaign.primary_goal
    if math.isnan(actual):
        att = math.nan
    elif goal.baseline is not None and goal.target != goal.baseline:
        att = (actual - goal.baseline) / (goal.target - goal.baseline)
    else:
        att = actual / goal.target if goal.target else math.nan
    out: pd.Series = pd.Series(
        {
            "actual": actual,
            "target": goal.target,
            "baseline": goal.baseline if goal.baseline is not None else math.nan,
            "attainment": att,
            "okr_grade": min(max(att, 0.0), 1.0) if not math.isnan(att) else math.nan,
        },
        name="attainment",
    )
    return out


def _lift_findings(
    ev: CampaignEvaluation, *, min_effect: float, min_roi: float, alpha: float
) -> list[Finding]:
    row = ev.table.iloc[0]
    findings: list[Finding] = []
    est, lo, hi = float(row["estimate"]), float(row["ci_low"]), float(row["ci_high"])
    roi = float(ev.economics["roi"])
    if ev.srm.flagged:
        findings.append(Finding("adjust", "srm", {"p": _num(ev.srm.p_value)}))
    vals = {
        "goal": str(ev.table.index[0]),
        "est": _pct(est),
        "lo": _pct(lo),
        "hi": _pct(hi),
        "roi": _num(roi),
        "min_effect": _num(min_effect),
    }
    findings.append(_effect_finding(vals, lo, hi, roi, min_effect=min_effect, min_roi=min_roi))
    for g, r in ev.table.iloc[1:].iterrows():
        if r["p_adjusted"] < alpha and r["estimate"] < 0:
            findings.append(
                Finding(
                    "adjust",
                    "guardrail",
                    {"goal": str(g), "est": _pct(float(r["estimate"])), "p": _num(r["p_adjusted"])},
                )
            )
    return findings


def _effect_finding(
    vals: dict[str, Any], lo: float, hi: float, roi: float, *, min_effect: float, min_roi: float
) -> Finding:
    if lo > 0:
        if math.isnan(roi):
            return Finding("repeat", "win_no_roi", vals)
        if roi >= min_roi:
            return Finding("repeat", "win", vals)
        return Finding("adjust", "costly", vals)
    if hi < 0:
        return Finding("stop", "harm", vals)
    if hi < min_effect:
        return Finding("stop", "flat", vals)
    return Finding("adjust", "inconclusive", vals)


def _message_bottleneck(funnel: pd.DataFrame) -> tuple[str | None, float]:
    """Return the message stage with the lowest pass rate, and the open rate.

    The candidates are the message's own steps, each over the stage before it: delivered /
    sent, opened / delivered, clicked / opened. The return is the outcome, counted over
    delivered messages (a user can return without clicking), so it is reported, not compared.
    """
    rates = funnel.iloc[0]
    stages = {
        "delivered": rates.get("delivery_rate", math.nan),
        "opened": rates.get("open_rate", math.nan),
        "clicked": rates.get("click_through_rate", math.nan),
    }
    known = {k: float(v) for k, v in stages.items() if not pd.isna(v)}
    bottleneck = min(known, key=lambda k: known[k]) if known else None
    return bottleneck, known.get("opened", math.nan)


def _goal_pacing(
    campaign: Campaign,
    log: EventLog,
    codes: npt.NDArray[np.int64],
    *,
    start_ns: int,
    end_ns: int,
    as_of_ns: int,
    tolerance: float = 0.05,
) -> tuple[pd.DataFrame, str]:
    """Return the treated users' cumulative goal value by day against the linear path."""
    spec = campaign.primary_goal.metric
    if spec is None or spec.kind not in _CUMULATIVE_KINDS:
        raise InvalidParameterError(
            f"the goal's metric ({getattr(spec, 'kind', None)!r}) is not a count or a sum that "
            "grows through the window, so there is no straight line to the target to pace "
            "against."
        )
    target = float(campaign.primary_goal.target)
    start = pd.Timestamp(start_ns, tz="UTC").tz_convert(log.tz)
    n_days = max(1, math.ceil((end_ns + 1 - start_ns) / 86_400e9))
    rows = []
    for k in range(1, n_days + 1):  # a loop over the window's days, not over users
        day_end = min(int((start + pd.Timedelta(days=k)).value) - 1, end_ns)
        if day_end > as_of_ns:
            break
        value, _ = _goal_value(campaign, log, codes, start_ns=start_ns, end_ns=day_end)
        share = (day_end + 1 - start_ns) / (end_ns + 1 - start_ns)
        rows.append(
            {
                "day": pd.Timestamp(day_end, tz="UTC").tz_convert(log.tz).normalize(),
                "actual": value,
                "expected": target * share,
                "target": target,
            }
        )
    if not rows:
        raise InvalidParameterError("no whole day of the campaign window has passed by as_of.")
    table = pd.DataFrame(rows).set_index("day")
    last = table.iloc[-1]
    ratio = last["actual"] / last["expected"] if last["expected"] else math.nan
    if _decreasing(campaign):
        ratio = 1 / ratio if ratio else math.inf
    status = (
        "ahead" if ratio >= 1 + tolerance else "behind" if ratio <= 1 - tolerance else "on track"
    )
    return table, status


# goal metrics whose value over [start, day] only grows: a straight line to the target applies
_CUMULATIVE_KINDS = frozenset(
    {
        "new_users",
        "active_users",
        "paying_users",
        "reactivated_users",
        "orders",
        "revenue",
        "conversion",
    }
)


def _goal_value(
    campaign: Campaign,
    log: EventLog,
    codes: npt.NDArray[np.int64],
    *,
    start_ns: int,
    end_ns: int,
) -> tuple[float, str]:
    """Return the goal's value for ``codes`` over ``[start_ns, end_ns]`` and how it was measured.

    The sum of the per-user outcome (``"users"``); for a metric without one (new users,
    retention ...), :func:`measure` over the whole log (``"log"``).
    """
    spec = campaign.primary_goal.metric
    try:
        y, _ = unit_outcomes(log, spec, codes=codes, start_ns=start_ns, end_ns=end_ns)
        return float(y.sum()), "users"
    except InvalidParameterError:
        from useropslib.campaigns._measure import measure_value

        assert spec is not None  # a Campaign's primary goal always has a metric
        value = measure_value(
            spec,
            log,
            start=pd.Timestamp(start_ns, tz="UTC"),
            end=pd.Timestamp(end_ns + 1, tz="UTC"),
        )
        return float(value), "log"


def _decreasing(campaign: Campaign) -> bool:
    """Whether the primary goal asks for a decrease (churn, cost)."""
    return str(getattr(campaign.primary_goal, "direction", "increase")) == "decrease"


def _pull_forward_counterfactual(
    campaign: Campaign, log: EventLog, ev: CounterfactualResult, *, after_days: int, alpha: float
) -> PullForwardResult:
    """Pull-forward of a campaign without control group, on the counterfactual's own series."""
    if not isinstance(after_days, int) or after_days < 1:
        raise InvalidParameterError(
            f"after_days must be a positive whole number, got {after_days!r}."
        )
    post = ev.series.index[ev.series["period"] == "post"]
    pre = ev.series.index[ev.series["period"] == "pre"]
    first_a = post[-1] + pd.Timedelta(days=1)
    last_a = post[-1] + pd.Timedelta(days=after_days)
    return pull_forward(
        campaign,
        log,
        pre=(pre[0], pre[-1]),
        campaign=(post[0], post[-1]),
        after=(first_a, last_a),
        alpha=alpha,
    )


def _message_funnel(
    campaign: Campaign, log: EventLog, *, as_of: Any
) -> tuple[pd.DataFrame | None, str | None]:
    from useropslib.metrics import message_funnel

    if "message_sent" not in set(map(str, log.event_names)):
        return None, None
    spec = campaign.primary_goal.metric
    ret = list(spec.required_events()) if spec is not None and spec.required_events() else None
    note = None
    scope = log
    which: str | None = campaign.id
    if "campaign" not in log.property_names:
        # messages not tagged with a campaign id: count those sent from the launch on
        launch = campaign.phase("launch")
        if launch is not None:
            scope = log.between(launch.start, None)
        which, note = None, "untagged"
    res = message_funnel(scope, breakdown=None, campaign=which, return_event=ret, as_of=as_of)
    table: pd.DataFrame = res.table
    if table.empty or float(table["sent"].sum()) == 0:
        return None, None
    return table, note


def _pull_forward(
    campaign: Campaign,
    log: EventLog,
    ev: CampaignEvaluation,
    treated: npt.NDArray[np.bool_],
    *,
    after_days: int,
    alpha: float,
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
    # daily value of the goal for the treated users
    codes = np.arange(len(log.users), dtype=np.int64)
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
    campaign: Campaign, log: EventLog, assignment: pd.Series | None
) -> npt.NDArray[np.bool_]:
    """Users of the treatment arm (as :func:`assign`, or ``assignment``)."""
    from useropslib.campaigns._assign import assign

    if assignment is not None:
        labels = pd.Series(assignment)
        out_a: npt.NDArray[np.bool_] = log.users.isin(labels.index[labels == "treatment"])
        return out_a
    arms = assign(log, campaign)
    treated_ids = arms.index[arms.to_numpy() == "treatment"]
    out: npt.NDArray[np.bool_] = log.users.isin(treated_ids)
    return out


def _participation(
    campaign: Campaign,
    log: EventLog,
    treated: npt.NDArray[np.bool_],
    *,
    start_ns: int,
    end_ns: int,
    as_of: pd.Timestamp,
) -> tuple[pd.DataFrame | None, str | None]:
    """Return the participation funnel among treated users in the window, and its bottleneck."""
    from useropslib.metrics import funnel

    if campaign.funnel is None or not treated.any():
        return None, None
    stages = campaign.funnel.stages
    steps: list[Any] = [names[0] if len(names) == 1 else list(names) for _, names in stages]
    start = pd.Timestamp(start_ns, tz="UTC")
    end = pd.Timestamp(end_ns, tz="UTC")
    sub = log.filter_users(log.users[treated])
    window = pd.Timedelta(end - start) + pd.Timedelta(1, "ns")
    res = funnel(sub, steps, window=window, start=start, end=end, as_of=as_of)
    table = res.table.copy()
    table.insert(0, "stage", [name for name, _ in stages])
    rates = table["step_conversion_rate"].iloc[1:]
    bottleneck = (
        str(table["stage"].iloc[1 + int(np.nanargmin(rates.to_numpy(dtype=float)))])
        if len(rates) and np.isfinite(rates.to_numpy(dtype=float)).any()
        else None
    )
    out: pd.DataFrame = table.set_index("stage")
    return out, bottleneck
