"""Hand-checked cases for the tag-rule parser and its syntax tree."""

from __future__ import annotations

import json

import pydantic
import pytest

from useropslib.exceptions import InvalidParameterError, RuleSyntaxError
from useropslib.models import (
    MAX_RULE_DEPTH,
    And,
    Not,
    Or,
    RuleNode,
    Tag,
    parse_rule,
    rule_from_json,
)

a, b, c, d = (Tag(name=n) for n in "abcd")

# --------------------------------------------------------------------------------------------------
# precedence and associativity


@pytest.mark.parametrize(
    ("text", "sexpr"),
    [
        ("a OR b AND c", "(or a (and b c))"),
        ("a AND b OR c", "(or (and a b) c)"),
        ("(a OR b) AND c", "(and (or a b) c)"),
        ("NOT a AND b", "(and (not a) b)"),
        ("NOT a OR b", "(or (not a) b)"),
        ("NOT (a AND b)", "(not (and a b))"),
        ("a AND NOT b OR NOT c AND d", "(or (and a (not b)) (and (not c) d))"),
        ("a AND b AND c", "(and (and a b) c)"),
        ("a OR b OR c OR d", "(or (or (or a b) c) d)"),
        ("a AND (b AND c)", "(and a (and b c))"),
        ("(a AND b) AND c", "(and (and a b) c)"),
        ("a OR (b OR c)", "(or a (or b c))"),
        ("NOT NOT NOT a", "(not (not (not a)))"),
        ("((a))", "a"),
    ],
)
def test_precedence_and_left_associativity(text: str, sexpr: str) -> None:
    assert parse_rule(text).to_sexpr() == sexpr


def test_trees_are_n_ary_for_left_chains() -> None:
    assert parse_rule("a AND b AND c") == And(operands=(a, b, c))
    assert parse_rule("(a AND b) AND c") == And(operands=(a, b, c))
    assert parse_rule("a AND (b AND c)") == And(operands=(a, And(operands=(b, c))))
    assert parse_rule("a OR b AND c") == Or(operands=(a, And(operands=(b, c))))


# --------------------------------------------------------------------------------------------------
# lexical rules


@pytest.mark.parametrize("spelling", ["AND", "and", "And", "aNd"])
def test_keywords_are_case_insensitive(spelling: str) -> None:
    assert parse_rule(f"a {spelling} b") == And(operands=(a, b))
    assert parse_rule(f"not a {spelling.replace('d', 'D')} b") == And(operands=(Not(operand=a), b))
    assert parse_rule("a Or b oR c") == Or(operands=(a, b, c))


def test_tag_names_are_case_sensitive() -> None:
    assert parse_rule("VIP") == Tag(name="VIP")
    assert parse_rule("VIP") != parse_rule("vip")


@pytest.mark.parametrize(
    "name",
    [
        "channel:wechat",
        "region:cn.sh",
        "tier-2",
        "_internal",
        "a1",
        "x:y.z-w_v",
        "ANDROID",
        "or_else",
        "NOTvip",
        "not-churned",
        "a-",
    ],
)
def test_tag_characters(name: str) -> None:
    node = parse_rule(f"{name} AND ok")
    assert node == And(operands=(Tag(name=name), Tag(name="ok")))
    assert node.tags() == [name, "ok"]


def test_whitespace_and_parentheses_need_no_spaces() -> None:
    assert parse_rule("(a)AND(b)") == And(operands=(a, b))
    assert parse_rule("  a\tAND\n b  ") == And(operands=(a, b))
    assert parse_rule("NOT(a)") == Not(operand=a)


# --------------------------------------------------------------------------------------------------
# errors: what was expected, where (position and caret)


def _error(text: str) -> RuleSyntaxError:
    with pytest.raises(RuleSyntaxError) as info:
        parse_rule(text)
    return info.value


def test_missing_operand_after_and() -> None:
    with pytest.raises(
        RuleSyntaxError,
        match=r"expected a tag name, 'NOT' or '\(' after 'AND' at position 4, "
        r"found the end of the rule\n  vip AND\n         \^",
    ):
        parse_rule("vip AND")
    assert _error("vip AND").position == 7
    assert _error("vip AND").text == "vip AND"


def test_operator_at_start() -> None:
    with pytest.raises(
        RuleSyntaxError,
        match=r"expected a tag name, 'NOT' or '\(' at the start of the rule, "
        r"found 'AND' at position 0\n  AND vip\n  \^",
    ):
        parse_rule("AND vip")


def test_two_operators_in_a_row_keep_the_user_spelling() -> None:
    with pytest.raises(
        RuleSyntaxError,
        match=r"after 'and' at position 4, found 'or' at position 8\n  a   and or b\n          \^",
    ):
        parse_rule("a   and or b")


def test_unclosed_parenthesis() -> None:
    with pytest.raises(
        RuleSyntaxError,
        match=r"expected '\)' to close '\(' at position 0, found the end of the rule\. "
        r"Hint: add the missing '\)'",
    ):
        parse_rule("(vip OR cn")
    assert _error("(vip OR cn").position == 10


def test_unmatched_closing_parenthesis() -> None:
    with pytest.raises(
        RuleSyntaxError, match=r"unmatched '\)' at position 9: no '\(' is open\. Hint: remove it"
    ):
        parse_rule("vip OR cn)")


def test_empty_parentheses() -> None:
    with pytest.raises(
        RuleSyntaxError,
        match=r"expected a tag name, 'NOT' or '\(' after '\(' at position 0, "
        r"found '\)' at position 1",
    ):
        parse_rule("()")


def test_operand_missing_before_closing_parenthesis() -> None:
    with pytest.raises(
        RuleSyntaxError,
        match=r"expected a tag name, 'NOT' or '\(' after 'OR' at position 4, "
        r"found '\)' at position 7",
    ):
        parse_rule("vip OR )")


def test_two_tags_without_operator() -> None:
    with pytest.raises(
        RuleSyntaxError,
        match=r"expected 'AND', 'OR' or the end of the rule after tag 'vip' at position 0, "
        r"found tag 'cn' at position 4\. Hint: join terms with AND or OR",
    ):
        parse_rule("vip cn")
    with pytest.raises(
        RuleSyntaxError,
        match=r"expected 'AND', 'OR' or '\)' after tag 'vip' at position 1, "
        r"found tag 'cn' at position 5",
    ):
        parse_rule("(vip cn)")


def test_function_call_syntax_is_not_code() -> None:
    with pytest.raises(
        RuleSyntaxError,
        match=r"after tag '__import__' at position 0, found '\(' at position 10",
    ):
        parse_rule("__import__('os')")


@pytest.mark.parametrize(
    ("text", "op", "word", "position"),
    [
        ("vip && cn", "&&", "AND", 4),
        ("vip & cn", "&", "AND", 4),
        ("vip || cn", r"\|\|", "OR", 4),
        ("vip | cn", r"\|", "OR", 4),
        ("!vip", "!", "NOT", 0),
        ("vip AND !cn", "!", "NOT", 8),
    ],
)
def test_c_style_operators_hint_at_keywords(text: str, op: str, word: str, position: int) -> None:
    with pytest.raises(
        RuleSyntaxError,
        match=rf"'{op}' at position {position} is not a rule operator\. Hint: write {word} instead",
    ):
        parse_rule(text)
    assert _error(text).position == position


def test_bad_characters() -> None:
    with pytest.raises(
        RuleSyntaxError,
        match=r"unexpected '1' at position 0: a tag name cannot start with a digit.*'tier_1'",
    ):
        parse_rule("1st_order")
    with pytest.raises(
        RuleSyntaxError,
        match=r"unexpected character 'ï' at position 1; expected a tag name .*ASCII\n  vïp\n   \^",
    ):
        parse_rule("vïp")
    with pytest.raises(
        RuleSyntaxError, match=r"unexpected character '\"' at position 0.*without quotes"
    ):
        parse_rule('"vip"')


@pytest.mark.parametrize(("text", "what"), [("", "empty"), ("  \t", "only whitespace")])
def test_empty_rule(text: str, what: str) -> None:
    with pytest.raises(
        RuleSyntaxError,
        match=rf"the rule is {what}; expected a tag expression such as 'vip AND NOT churned'",
    ):
        parse_rule(text)


def test_errors_are_value_errors() -> None:
    assert isinstance(_error("vip AND"), ValueError)


def test_non_string_rule() -> None:
    with pytest.raises(InvalidParameterError, match=r"a rule must be a str .* got int 42"):
        parse_rule(42)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# depth limit: a RuleSyntaxError, never a RecursionError


def test_depth_limit_on_not_chains() -> None:
    ok = parse_rule("NOT " * (MAX_RULE_DEPTH - 1) + "a")
    assert ok.depth == MAX_RULE_DEPTH
    with pytest.raises(
        RuleSyntaxError, match=rf"rule is nested more than {MAX_RULE_DEPTH} levels deep"
    ):
        parse_rule("NOT " * MAX_RULE_DEPTH + "a")


@pytest.mark.parametrize("levels", [MAX_RULE_DEPTH + 1, 10_000, 200_000])
def test_depth_limit_on_parentheses(levels: int) -> None:
    with pytest.raises(RuleSyntaxError, match=r"at position 100\. Hint: simplify the rule"):
        parse_rule("(" * levels + "a" + ")" * levels)


def test_redundant_parentheses_below_the_limit_are_fine() -> None:
    assert parse_rule("(" * MAX_RULE_DEPTH + "a" + ")" * MAX_RULE_DEPTH) == a


def test_depth_limit_on_alternating_groups() -> None:
    text = "a"
    for _ in range(MAX_RULE_DEPTH // 2 - 1):
        text = f"x OR y AND ({text})"
    node = parse_rule(text)
    assert node.depth == MAX_RULE_DEPTH - 1
    assert rule_from_json(node.model_dump_json()) == node  # the deepest trees still round-trip
    with pytest.raises(RuleSyntaxError, match=r"nested more than 100 levels deep at position 0"):
        parse_rule(f"x OR y AND ({text})")


def test_long_flat_chains_are_shallow() -> None:
    text = " OR ".join(f"t{i}" for i in range(5_000))
    node = parse_rule(text)
    assert isinstance(node, Or)
    assert len(node.operands) == 5_000
    assert node.depth == 2


# --------------------------------------------------------------------------------------------------
# the tree: canonical text, s-expressions, tags, models


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("vip and (cn or hk)  and not churned", "vip AND (cn OR hk) AND NOT churned"),
        ("(a AND b) AND c", "a AND b AND c"),
        ("a AND (b AND c)", "a AND (b AND c)"),
        ("(a OR b) OR (c OR d)", "a OR b OR (c OR d)"),
        ("(a AND b) OR c", "a AND b OR c"),
        ("NOT (NOT a)", "NOT NOT a"),
        ("NOT (a OR b)", "NOT (a OR b)"),
        ("NOT (a AND b)", "NOT (a AND b)"),
        ("((a))", "a"),
    ],
)
def test_canonical_text(text: str, canonical: str) -> None:
    node = parse_rule(text)
    assert node.to_rule() == canonical
    assert str(node) == canonical
    assert parse_rule(canonical) == node


def test_tags_in_first_appearance_order() -> None:
    assert parse_rule("b AND (a OR b) AND NOT c OR a").tags() == ["b", "a", "c"]


def test_repr_is_compact() -> None:
    assert repr(parse_rule("NOT a OR b")) == (
        "Or(operands=(Not(operand=Tag(name='a')), Tag(name='b')))"
    )


def test_operators_build_trees() -> None:
    assert a & b & c == And(operands=(a, b, c))
    assert (a | b) & ~c == parse_rule("(a OR b) AND NOT c")
    assert a & (b & c) == parse_rule("a AND (b AND c)")
    assert str(a | b & c) == "a OR b AND c"


def test_leading_group_of_same_operator_is_flattened_on_construction() -> None:
    nested = And(operands=(And(operands=(a, b)), c))
    assert nested == And(operands=(a, b, c))
    assert nested.to_sexpr() == "(and (and a b) c)"
    from_dict = Or.model_validate(
        {
            "kind": "or",
            "operands": [
                {
                    "kind": "or",
                    "operands": [{"kind": "tag", "name": "a"}, {"kind": "tag", "name": "b"}],
                },
                {"kind": "tag", "name": "c"},
            ],
        }
    )
    assert from_dict == Or(operands=(a, b, c))


def test_json_round_trip_and_kind_discriminator() -> None:
    node = parse_rule("vip AND (cn OR hk) AND NOT churned")
    data = json.loads(node.model_dump_json())
    assert data["kind"] == "and"
    assert [op["kind"] for op in data["operands"]] == ["tag", "or", "not"]
    assert rule_from_json(node.model_dump_json()) == node
    assert And.model_validate(node.model_dump()) == node
    assert hash(rule_from_json(node.model_dump_json())) == hash(node)


def test_json_schema_is_published() -> None:
    schema = And.model_json_schema()
    assert set(schema["$defs"]) == {"And", "Tag", "Not", "Or"}
    assert schema["$defs"]["And"]["properties"]["kind"]["const"] == "and"
    any_node = pydantic.TypeAdapter(RuleNode).json_schema()
    assert set(any_node["discriminator"]["mapping"]) == {"tag", "not", "and", "or"}


def test_nodes_are_frozen_and_strict() -> None:
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        a.name = "b"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError, match="Extra inputs are not permitted"):
        Tag(name="a", weight=2)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a b", r"tag name 'a b' is not valid: a tag name is a letter or '_'"),
        ("1a", r"tag name '1a' is not valid"),
        ("", r"tag name '' is not valid"),
        ("Not", r"tag name 'Not' is a rule keyword \(AND, OR, NOT, in any case\)"),
    ],
)
def test_tag_name_validation(name: str, message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        Tag(name=name)


def test_junctions_need_two_operands() -> None:
    with pytest.raises(pydantic.ValidationError, match="at least 2 items"):
        And(operands=(a,))


def test_hand_built_trees_obey_the_depth_limit() -> None:
    node = a
    for _ in range(MAX_RULE_DEPTH - 1):
        node = ~node
    assert node.depth == MAX_RULE_DEPTH
    with pytest.raises(pydantic.ValidationError, match=r"rule tree is 101 levels deep"):
        Not(operand=node)


def test_rule_from_json_rejects_bad_trees() -> None:
    with pytest.raises(pydantic.ValidationError, match="does not match any of the expected tags"):
        rule_from_json('{"kind": "xor", "operands": []}')
    with pytest.raises(pydantic.ValidationError, match="is a rule keyword"):
        rule_from_json('{"kind": "tag", "name": "OR"}')
