"""Segment model and its condition tree: validation, JSON round trip, JSON Schema."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pydantic import ValidationError

from useropslib.models import (
    AllOf,
    AnyOf,
    BehaviourCondition,
    NoneOf,
    PropertyCondition,
    Segment,
    SegmentRef,
    TagRule,
)


def _big_segment() -> Segment:
    return Segment(
        name="recall_targets",
        description="lapsed VIP buyers in cn",
        condition=AllOf(
            conditions=(
                TagRule(rule="vip AND NOT churned"),
                PropertyCondition(property="region", op="in", value=["cn", "hk"]),
                NoneOf(conditions=(PropertyCondition(property="age", op="lt", value=18),)),
                AnyOf(
                    conditions=(
                        BehaviourCondition(
                            event="purchase",
                            behaviour="stopped",
                            window="30D",
                            where=[PropertyCondition(property="channel", op="eq", value="app")],
                        ),
                        BehaviourCondition(
                            event=["open", "click"],
                            comparison="exactly",
                            times=0,
                            start=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
                            end=dt.datetime(2024, 2, 1, tzinfo=dt.timezone.utc),
                        ),
                        BehaviourCondition(
                            event="purchase", behaviour="started_again", window="7D"
                        ),
                    )
                ),
                SegmentRef(segment="paying"),
            )
        ),
    )


def test_json_round_trip_of_a_full_tree() -> None:
    seg = _big_segment()
    text = seg.model_dump_json()
    back = Segment.model_validate_json(text)
    assert back == seg
    assert back.model_dump_json() == text
    assert json.loads(text)["condition"]["conditions"][0] == {
        "kind": "tag_rule",
        "rule": "vip AND NOT churned",
    }


def test_json_schema_is_published_with_discriminator() -> None:
    schema = Segment.model_json_schema()
    assert schema["required"] == ["name", "condition"]
    text = json.dumps(schema)
    for kind in ("all_of", "any_of", "none_of", "tag_rule", "property", "behaviour", "segment"):
        assert f'"{kind}"' in text
    assert '"discriminator"' in text


def test_models_are_frozen_and_forbid_extra() -> None:
    seg = Segment(name="vip", rule="vip")
    with pytest.raises(ValidationError, match="frozen"):
        seg.name = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Segment(name="vip", rule="vip", colour="red")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        PropertyCondition(property="a", op="eq", value=1, unit="x")  # type: ignore[call-arg]


def test_rule_shorthand_and_string_condition() -> None:
    a = Segment(name="s", rule="vip AND cn")
    b = Segment(name="s", condition="vip AND cn")  # type: ignore[arg-type]
    c = Segment(name="s", condition=TagRule(rule="vip AND cn"))
    assert a == b == c
    with pytest.raises(ValidationError, match="either condition= or rule="):
        Segment(name="s", rule="vip", condition="cn")  # type: ignore[call-arg]


def test_malformed_tag_rule_fails_at_construction_with_position() -> None:
    with pytest.raises(ValidationError, match=r"'&&' at position 4 is not a rule operator"):
        TagRule(rule="vip && cn")
    with pytest.raises(ValidationError, match="expected a tag name"):
        Segment(name="s", rule="vip AND")


def test_operator_aliases_are_canonicalised() -> None:
    assert PropertyCondition(property="a", op=">=", value=1).op == "ge"
    assert PropertyCondition(property="a", op="Not In", value=[1]).op == "not_in"
    assert PropertyCondition(property="a", op="is set").op == "is_set"
    assert PropertyCondition(property="a", op="!=", value="x").op == "ne"


def test_unsupported_operator_is_a_validation_error_with_hint() -> None:
    with pytest.raises(ValidationError, match=r"unsupported property operator 'between'"):
        PropertyCondition(property="age", op="between", value=1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"did you mean 'not_in'\?"):
        PropertyCondition(property="age", op="notin", value=[1])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("op", "value", "message"),
    [
        ("is_set", 1, "takes no value"),
        ("in", 1, "needs a non-empty list"),
        ("in", [], "needs a non-empty list"),
        ("eq", None, "needs a single value"),
        ("lt", [1, 2], "needs a single value"),
        ("contains", 3, "needs a text value"),
    ],
)
def test_value_must_fit_operator(op: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PropertyCondition(property="p", op=op, value=value)  # type: ignore[arg-type]


def test_values_keep_their_types() -> None:
    assert PropertyCondition(property="p", op="eq", value=True).value is True
    assert PropertyCondition(property="p", op="eq", value=1).value == 1
    assert isinstance(PropertyCondition(property="p", op="eq", value=1).value, int)
    assert PropertyCondition(property="p", op="in", value=["a", "b"]).value == ("a", "b")


def test_behaviour_windows() -> None:
    c = BehaviourCondition(event="purchase", times=3, window="30D")
    assert c.window == dt.timedelta(days=30)
    assert c.event == ("purchase",)
    assert BehaviourCondition(event="x", window=dt.timedelta(hours=36)).window == dt.timedelta(
        hours=36
    )
    assert str(c) == "performed purchase at least 3 times in the last 30 days"
    g = BehaviourCondition(event="x", behaviour="started_again", window="7D")
    assert g.gap_length == dt.timedelta(days=7)
    g2 = BehaviourCondition(event="x", behaviour="started_again", window="7D", gap="30D")
    assert g2.gap_length == dt.timedelta(days=30)
    fixed = BehaviourCondition(
        event="x", behaviour="started_again", start="2024-01-10", end="2024-01-20"
    )
    assert fixed.gap_length == dt.timedelta(days=10)
    assert c.gap_length is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"window": 30}, "bare number 30"),
        ({"window": "30 parsecs"}, "Unknown|unit|Cannot"),
        ({"window": "-3D"}, "window|positive"),
        ({"window": "30D", "start": "2024-01-01"}, "not both"),
        ({"start": "2024-02-01", "end": "2024-01-01"}, "is not after start"),
        ({"start": "2024-01-01", "end": "2024-02-01T00:00:00+00:00"}, "both be naive"),
        ({"behaviour": "stopped"}, "needs window="),
        ({"behaviour": "started_again", "start": "2024-01-01"}, "needs gap="),
        ({"gap": "3D", "window": "3D"}, "gap is only used"),
        ({"times": -1}, "greater than or equal to 0"),
        ({"behaviour": "returned", "window": "3D"}, "performed"),
        ({"comparison": "more_than", "window": "3D"}, "at_least"),
    ],
)
def test_behaviour_validation_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        BehaviourCondition(event="purchase", **kwargs)  # type: ignore[arg-type]


def test_empty_event_names_and_groups_are_refused() -> None:
    with pytest.raises(ValidationError, match="non-empty"):
        BehaviourCondition(event=" ")
    with pytest.raises(ValidationError, match="at least 1 item"):
        AllOf(conditions=())
    with pytest.raises(ValidationError, match="at least 1 character"):
        SegmentRef(segment="")


def test_python_operators_build_groups() -> None:
    a, b = TagRule(rule="vip"), PropertyCondition(property="age", op="ge", value=18)
    assert (a & b) == AllOf(conditions=(a, b))
    assert (a | b) == AnyOf(conditions=(a, b))
    assert ~a == NoneOf(conditions=(a,))
    assert str(~(a | b)) == "NOT (tags(vip) OR age ge 18)"
    assert str(a & (a | b)) == "tags(vip) AND (tags(vip) OR age ge 18)"


def test_references_lists_direct_segment_refs_once() -> None:
    seg = _big_segment()
    assert seg.references() == ["paying"]
    s2 = Segment(
        name="x",
        condition=SegmentRef(segment="a") | (SegmentRef(segment="b") & ~SegmentRef(segment="a")),
    )
    assert s2.references() == ["a", "b"]
