"""Segments (分群): tags (标签), the tag-rule language, RFM, lifecycle stages, value tiers (分层).

- :class:`TagTable` says which users carry which tags (optionally with validity intervals); its
  :meth:`TagTable.evaluate` and :meth:`TagTable.select` evaluate a rule such as
  ``"vip AND (cn OR hk) AND NOT churned"`` (see :func:`useropslib.models.parse_rule`).
- :class:`~useropslib.models.Segment` (a condition tree of tag rules, user properties and
  behaviours) is evaluated by :func:`members` as of any date; :func:`membership` gives the size
  and who entered and left in each period (a :class:`MembershipResult`).  DESIGN.md's
  ``seg.members(tags, as_of=...)`` is written ``members(log, seg, tags=tags, as_of=...)``: the
  models layer holds data only and cannot import this evaluation layer.
- :func:`rfm`: recency, frequency and monetary scores with named segment maps.
- :func:`lifecycle_stages` and :func:`value_tiers`: per-user stage and tier as of a date.
- :func:`compare_segments`: sizes, overlaps and metrics per segment with significance tests.
"""

from useropslib.segments._compare import COMPARISON_METRICS, SegmentComparison, compare_segments
from useropslib.segments._evaluate import (
    MembershipResult,
    SegmentCycleError,
    evaluate_segment,
    members,
    membership,
)
from useropslib.segments._rfm import RFM_SEGMENT_MAPS, RFMResult, RFMRule, rfm
from useropslib.segments._stages import (
    LIFECYCLE_STAGES,
    VALUE_TIERS,
    LifecycleStagesResult,
    ValueTiersResult,
    lifecycle_stages,
    value_tiers,
)
from useropslib.segments._tags import TagTable, UnknownTagWarning

__all__ = [
    "COMPARISON_METRICS",
    "LIFECYCLE_STAGES",
    "RFM_SEGMENT_MAPS",
    "VALUE_TIERS",
    "LifecycleStagesResult",
    "MembershipResult",
    "RFMResult",
    "RFMRule",
    "SegmentComparison",
    "SegmentCycleError",
    "TagTable",
    "UnknownTagWarning",
    "ValueTiersResult",
    "compare_segments",
    "evaluate_segment",
    "lifecycle_stages",
    "members",
    "membership",
    "rfm",
    "value_tiers",
]
