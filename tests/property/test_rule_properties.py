"""Hypothesis invariants of the tag-rule language and its vectorised evaluation."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from useropslib.exceptions import RuleSyntaxError
from useropslib.models import And, Not, Or, RuleNode, Tag, parse_rule, rule_from_json
from useropslib.segments import TagTable, UnknownTagWarning

NAMES = ["a", "b", "c", "vip", "region:cn", "tier-2.x"]
USERS = [f"u{i}" for i in range(12)]

SETTINGS = settings(derandomize=True, deadline=None, max_examples=100)
TABLE_SETTINGS = settings(derandomize=True, deadline=None, max_examples=60)  # builds tables

tags = st.sampled_from(NAMES).map(lambda n: Tag(name=n))


def _extend(children: st.SearchStrategy[RuleNode]) -> st.SearchStrategy[RuleNode]:
    many = st.lists(children, min_size=2, max_size=4).map(tuple)
    return st.one_of(
        children.map(lambda c: Not(operand=c)),
        many.map(lambda ops: And(operands=ops)),
        many.map(lambda ops: Or(operands=ops)),
    )


rules: st.SearchStrategy[RuleNode] = st.recursive(tags, _extend, max_leaves=16)

# user -> subset of NAMES; a fixed user carries every tag so no rule tag is ever unknown
tag_sets = st.lists(
    st.sets(st.sampled_from(NAMES), max_size=len(NAMES)),
    min_size=len(USERS),
    max_size=len(USERS),
)


def _table(sets: list[set[str]]) -> TagTable:
    mapping: dict[str, list[str]] = {u: sorted(s) for u, s in zip(USERS, sets, strict=True)}
    mapping["all"] = list(NAMES)
    return TagTable.from_mapping(mapping)


def _slow_truth(node: RuleNode, carried: set[str]) -> bool:
    """The obvious per-user evaluation, to check the vectorised one against."""
    if isinstance(node, Tag):
        return node.name in carried
    if isinstance(node, Not):
        return not _slow_truth(node.operand, carried)
    if isinstance(node, And):
        return all(_slow_truth(op, carried) for op in node.operands)
    return any(_slow_truth(op, carried) for op in node.operands)


def _full_parens(node: RuleNode) -> str:
    """Fully parenthesised binary rendering, written independently of ``to_rule``."""
    if isinstance(node, Tag):
        return node.name
    if isinstance(node, Not):
        return f"(NOT {_full_parens(node.operand)})"
    word = "AND" if isinstance(node, And) else "OR"
    out = _full_parens(node.operands[0])
    for op in node.operands[1:]:
        out = f"({out} {word} {_full_parens(op)})"
    return out


@TABLE_SETTINGS
@given(rule=rules, sets=tag_sets)
def test_vectorised_evaluation_equals_the_obvious_one(rule: RuleNode, sets: list[set[str]]) -> None:
    table = _table(sets)
    got = table.evaluate(rule)
    carried = [*sets, set(NAMES)]
    assert got.tolist() == [_slow_truth(rule, s) for s in carried]


@TABLE_SETTINGS
@given(left=rules, right=rules, sets=tag_sets)
def test_de_morgan(left: RuleNode, right: RuleNode, sets: list[set[str]]) -> None:
    table = _table(sets)
    both = table.evaluate(Not(operand=And(operands=(left, right))))
    either = table.evaluate(Or(operands=(Not(operand=left), Not(operand=right))))
    assert np.array_equal(both.to_numpy(), either.to_numpy())
    neither = table.evaluate(Not(operand=Or(operands=(left, right))))
    each = table.evaluate(And(operands=(Not(operand=left), Not(operand=right))))
    assert np.array_equal(neither.to_numpy(), each.to_numpy())


@TABLE_SETTINGS
@given(rule=rules, sets=tag_sets, extra=st.lists(st.sampled_from(["x1", "x2", "u3"])))
def test_not_is_the_complement(rule: RuleNode, sets: list[set[str]], extra: list[str]) -> None:
    table = _table(sets)
    yes = table.evaluate(rule, users=extra)
    no = table.evaluate(Not(operand=rule), users=extra)
    assert yes.index.equals(no.index)
    assert (yes ^ no).all()
    assert (
        table.select(rule, users=extra)
        .union(table.select(~rule, users=extra))
        .sort_values()
        .equals(yes.index.sort_values())
    )


@SETTINGS
@given(rule=rules)
def test_canonical_text_round_trips(rule: RuleNode) -> None:
    text = rule.to_rule()
    assert parse_rule(text) == rule
    assert parse_rule(parse_rule(text).to_rule()) == parse_rule(text)


@SETTINGS
@given(rule=rules)
def test_fully_parenthesised_text_parses_to_the_same_tree(rule: RuleNode) -> None:
    assert parse_rule(_full_parens(rule)) == rule
    assert parse_rule(_full_parens(rule)).to_sexpr() == rule.to_sexpr()


@SETTINGS
@given(rule=rules)
def test_json_round_trip(rule: RuleNode) -> None:
    assert rule_from_json(rule.model_dump_json()) == rule
    assert type(rule).model_validate(rule.model_dump()) == rule


# random rule *texts*: tokens with random spelling, spacing and redundant parentheses
@st.composite
def rule_texts(draw: st.DrawFn, depth: int = 0) -> str:
    space = draw(st.sampled_from([" ", "  ", "\t", " \n "]))
    kind = draw(
        st.sampled_from(["tag", "tag", "not", "and", "or", "group"] if depth < 4 else ["tag"])
    )
    if kind == "tag":
        return draw(st.sampled_from(NAMES))
    if kind == "group":
        return f"({space}{draw(rule_texts(depth + 1))}{space})"
    if kind == "not":
        word = draw(st.sampled_from(["NOT", "not", "Not"]))
        return f"{word}{space}{draw(rule_texts(depth + 1))}"
    word = draw(st.sampled_from(["AND", "and", "And"] if kind == "and" else ["OR", "or", "oR"]))
    parts = draw(st.lists(rule_texts(depth + 1), min_size=2, max_size=3))
    return f"{space}{word}{space}".join(parts)


@SETTINGS
@given(text=rule_texts())
def test_parse_of_canonical_text_is_stable(text: str) -> None:
    node = parse_rule(text)
    assert parse_rule(str(node)) == node
    assert str(parse_rule(str(node))) == str(node)


FUZZ_TOKENS = [
    "a", "vip", "x:y", "AND", "and", "OR", "or", "NOT", "not", "(", ")", "((", "))", "&&", "||",
    "!", "&", "|", "'", '"', "1", "é", "标签", "\u200b", "\x00", " ", "\n", "-", ":", ".", "_",
]  # fmt: skip


def _parse_or_syntax_error(text: str) -> None:
    error: RuleSyntaxError | None = None
    try:
        node = parse_rule(text)
    except RuleSyntaxError as err:  # anything else (RecursionError, IndexError...) fails the test
        error = err
    if error is None:
        assert parse_rule(node.to_rule()) == node
    else:
        assert error.text == text
        assert error.position is not None
        assert 0 <= error.position <= len(text)


@SETTINGS
@given(text=st.text(max_size=40))
def test_fuzz_any_unicode_text(text: str) -> None:
    _parse_or_syntax_error(text)


@settings(derandomize=True, deadline=None, max_examples=400)
@given(parts=st.lists(st.sampled_from(FUZZ_TOKENS), max_size=25), glue=st.sampled_from(["", " "]))
def test_fuzz_token_soup(parts: list[str], glue: str) -> None:
    _parse_or_syntax_error(glue.join(parts))


@TABLE_SETTINGS
@given(rule=rules, sets=tag_sets)
def test_unknown_tags_are_false_and_warned(rule: RuleNode, sets: list[set[str]]) -> None:
    table = TagTable.from_mapping(dict(zip(USERS, [sorted(s) for s in sets], strict=True)))
    known = set(table.tags)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = table.evaluate(rule)
    unknown = [t for t in rule.tags() if t not in known]
    assert bool(caught) == bool(unknown)
    assert all(issubclass(w.category, UnknownTagWarning) for w in caught)
    assert got.tolist() == [_slow_truth(rule, s) for s in sets]
