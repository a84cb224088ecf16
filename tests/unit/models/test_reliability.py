"""Models refuse what cannot be meant, and stay within bounded resources (issue: reliability)."""

from __future__ import annotations

import datetime as dt
import json
import tracemalloc
from typing import Any

import pytest
from pydantic import ValidationError

from useropslib.exceptions import RuleSyntaxError, clip
from useropslib.models import (
    MAX_RULE_DEPTH,
    AllOf,
    BehaviourCondition,
    Event,
    IdentityLink,
    NoneOf,
    PropertyCondition,
    Segment,
    parse_rule,
)
from useropslib.models._rule import _parse_cached, invalid_tag_names

T = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    "fields",
    [
        {"user_id": True},
        {"user_id": False},
        {"anonymous_id": True, "user_id": None},
        {"user_id": "\u200b"},
        {"user_id": "\ufeff\u2060 "},
        {"event": True},
        {"event": "\u200b\u200d"},
    ],
)
def test_event_ids_follow_the_identifier_policy(fields: dict[str, Any]) -> None:
    base: dict[str, Any] = {"user_id": "u1", "event": "open", "timestamp": T}
    with pytest.raises(ValidationError, match=r"boolean|blank|empty"):
        Event(**{**base, **fields})


@pytest.mark.parametrize("pair", [(True, "u1"), ("d1", False), ("\u200b", "u1")])
def test_identity_links_follow_the_identifier_policy(pair: tuple[Any, Any]) -> None:
    with pytest.raises(ValidationError):
        IdentityLink(anonymous_id=pair[0], user_id=pair[1])


@pytest.mark.parametrize(
    "text",
    [
        '{"property": "x", "op": "eq", "value": NaN}',
        '{"property": "x", "op": "lt", "value": Infinity}',
        '{"property": "x", "op": "in", "value": [1, NaN]}',
        '{"property": "x", "op": "ne", "value": -Infinity}',
    ],
)
def test_property_condition_refuses_nan_and_infinities(text: str) -> None:
    with pytest.raises(ValidationError, match="NaN or an infinity"):
        PropertyCondition.model_validate_json(text)


def nested(depth: int) -> Any:
    node: Any = "vip"
    for i in range(depth - 1):
        node = (AllOf if i % 2 else NoneOf)(conditions=[node])
    return node


@pytest.mark.parametrize("depth", [MAX_RULE_DEPTH + 1, 1000, 5000])
def test_condition_trees_are_depth_limited(depth: int) -> None:
    with pytest.raises(ValidationError, match=f"at most {MAX_RULE_DEPTH} are supported"):
        Segment(name="deep", condition=nested(depth))


def test_a_tree_at_the_depth_limit_works_everywhere() -> None:
    seg = Segment(name="deep", condition=nested(MAX_RULE_DEPTH))
    assert seg.condition.depth == MAX_RULE_DEPTH  # type: ignore[union-attr]
    assert str(seg).startswith("deep: ")
    assert Segment.model_validate_json(seg.model_dump_json()) == seg


@pytest.mark.parametrize(
    ("window", "text"),
    [
        ("0.5s", "0.5 seconds"),
        ("1.25s", "1.25 seconds"),
        ("12h", "12 hours"),
        ("90min", "90 minutes"),
        (dt.timedelta(microseconds=1), "1e-06 seconds"),
    ],
)
def test_windows_are_described_exactly(window: Any, text: str) -> None:
    assert BehaviourCondition(event="x", window=window).describe().endswith(f"last {text}")


@pytest.mark.parametrize("size", [10_000, 1_000_000])
def test_rule_errors_echo_a_window_of_the_input(size: int) -> None:
    rule = "a AND " * (size // 6) + "&& b"
    with pytest.raises(RuleSyntaxError) as err:
        parse_rule(rule)
    assert len(str(err.value)) < 500
    assert "&&" in str(err.value)


def test_long_tag_names_are_clipped_in_messages() -> None:
    with pytest.raises(RuleSyntaxError) as err:
        parse_rule("x" * 100_000 + " y")
    assert len(str(err.value)) < 600


def test_the_rule_cache_keeps_no_large_rules() -> None:
    _parse_cached.cache_clear()
    tracemalloc.start()
    for i in range(3):
        parse_rule(" OR ".join(f"t{i}_{j}" for j in range(20_000)))
    _, peak = tracemalloc.get_traced_memory()
    current = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert _parse_cached.cache_info().currsize == 0
    assert current < 5_000_000, (current, peak)
    parse_rule("vip AND cn")
    assert _parse_cached.cache_info().currsize == 1


@pytest.mark.parametrize(
    ("names", "bad"),
    [
        (["vip", "vip gold", "AND"], ["vip gold", "AND"]),
        (["not", "Or", "region:cn", "a-b.c"], ["not", "Or"]),
        (["1", "渠道", "_ok"], ["1", "渠道"]),
    ],
)
def test_invalid_tag_names_lists_what_no_rule_can_reference(
    names: list[str], bad: list[str]
) -> None:
    assert invalid_tag_names(names) == bad


@pytest.mark.parametrize(
    ("text", "limit"), [("x" * 100, 10), ("short", 80), (json.dumps([1] * 50), 20)]
)
def test_clip_keeps_short_text_and_cuts_long_text(text: str, limit: int) -> None:
    out = clip(text, limit)
    assert out == text if len(text) <= limit else out.endswith(f"({len(text)} characters)")
