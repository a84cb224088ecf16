"""Reference case for the tag-rule language: parse trees, evaluations and malformed rules.

Source: ``segments_tag_rule_grammar.json`` (copied from the project's shared reference cases), a
DERIVED case with no single published test suite.  Its precedence convention (NOT > AND > OR,
left-associative AND/OR) is anchored on Segment's query-language reference ("AND holds precedence
over OR, parentheses control combination", segmentio/segment-docs
``src/engage/audiences/segment-query-language.md``) and on boolean.py, SQL and CEL, which all bind
NOT > AND > OR.  Evaluation is closed-world: a missing tag is false.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from useropslib.exceptions import RuleSyntaxError
from useropslib.models import parse_rule, rule_from_json
from useropslib.segments import TagTable

CASE: dict[str, Any] = json.loads(
    (pathlib.Path(__file__).parent / "data" / "segments_tag_rule_grammar.json").read_text(
        encoding="utf-8"
    )
)
RULES: dict[str, str] = CASE["inputs"]["rules"]


@pytest.fixture(scope="module")
def table() -> TagTable:
    return TagTable.from_mapping(CASE["inputs"]["user_tags"])


@pytest.mark.parametrize("key", sorted(RULES))
def test_parse_tree(key: str) -> None:
    node = parse_rule(RULES[key])
    assert node.to_sexpr() == CASE["expected"]["parse_tree_sexpr"][key]
    # the canonical text and the JSON form rebuild the same tree
    assert parse_rule(node.to_rule()) == node
    assert rule_from_json(node.model_dump_json()) == node


@pytest.mark.parametrize("key", sorted(RULES))
def test_evaluation(table: TagTable, key: str) -> None:
    got = table.evaluate(RULES[key])
    assert got.to_dict() == CASE["expected"]["evaluation"][key]
    selected = [u for u, hit in CASE["expected"]["evaluation"][key].items() if hit]
    assert table.select(RULES[key]).tolist() == selected


def test_every_user_is_evaluated(table: TagTable) -> None:
    assert table.users.tolist() == list(CASE["inputs"]["user_tags"])  # u5 has no tag at all


@pytest.mark.parametrize("text", CASE["inputs"]["malformed_rules"])
def test_malformed_rules_raise_at_parse_time(text: str) -> None:
    assert CASE["expected"]["malformed"][text] == "syntax_error"
    with pytest.raises(RuleSyntaxError, match=r"position \d+|the rule is empty"):
        parse_rule(text)
