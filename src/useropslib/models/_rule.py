"""The tag-rule language: its syntax tree (pydantic models) and a hand-written parser.

A tag rule is a boolean expression over tag names, for example
``vip AND (cn OR hk) AND NOT churned``.  The grammar is::

    or  := and ('OR' and)*
    and := not ('AND' not)*
    not := 'NOT' not | '(' or ')' | TAG
    TAG := [A-Za-z_][A-Za-z0-9_:.-]*

``NOT`` binds tighter than ``AND``, which binds tighter than ``OR``; ``AND`` and ``OR`` are
left-associative.  Keywords are case-insensitive (``AND``, ``and``, ``And``), tag names are
case-sensitive.  ``&&``, ``||`` and ``!`` are rejected so that a rule has one spelling.

The parser is a tokenizer plus a recursive-descent parser; no user text is ever evaluated as code.
The tree is made of frozen pydantic models (:class:`Tag`, :class:`Not`, :class:`And`, :class:`Or`)
that serialise to JSON and back losslessly.
"""

from __future__ import annotations

import functools
import re
from typing import Annotated, Any, ClassVar, Literal, TypeAlias, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    field_validator,
    model_validator,
)

from useropslib.exceptions import InvalidParameterError, RuleSyntaxError, clip

__all__ = [
    "MAX_RULE_DEPTH",
    "TAG_GRAMMAR",
    "And",
    "Not",
    "Or",
    "RuleNode",
    "Tag",
    "parse_rule",
    "rule_from_json",
]

MAX_RULE_DEPTH = 100
"""Deepest rule tree accepted (a tag has depth 1; each NOT, AND, OR level adds 1).

Parentheses and ``NOT`` may also be nested at most this deep.  The limit keeps parsing, evaluation
and JSON round-trips far from any recursion limit; real rules are a few levels deep.
"""

_TAG_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_:.\-]*")
_SPACE_RE = re.compile(r"\s*")
_KEYWORDS = {"and": "AND", "or": "OR", "not": "NOT"}
TAG_GRAMMAR = "a letter or '_' followed by letters, digits, '_', ':', '.' or '-'"


class _RuleBase(BaseModel):
    """Behaviour shared by every node of a rule tree."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @property
    def depth(self) -> int:
        """Height of the tree below and including this node (a tag has depth 1)."""
        return 1

    def to_rule(self) -> str:
        """Return the canonical rule text of this tree.

        Keywords are upper case, operators are separated by single spaces and parentheses appear
        only where precedence or grouping needs them, so ``parse_rule(node.to_rule()) == node``.

        Returns
        -------
        str
            The rule text.

        Examples
        --------
        >>> parse_rule("vip and (cn or hk)  and not churned").to_rule()
        'vip AND (cn OR hk) AND NOT churned'
        """
        return _to_rule(cast("RuleNode", self))

    def to_sexpr(self) -> str:
        """Return the tree as an s-expression in binary, left-associative form.

        ``a AND b AND c`` prints as ``(and (and a b) c)``: the form a textbook binary parser
        produces, whatever the n-ary storage of the tree.

        Returns
        -------
        str
            The s-expression.

        Examples
        --------
        >>> parse_rule("vip AND (cn OR hk) AND NOT churned").to_sexpr()
        '(and (and vip (or cn hk)) (not churned))'
        """
        return _to_sexpr(cast("RuleNode", self))

    def tags(self) -> list[str]:
        """Return the tag names the rule refers to, each once, in order of first appearance.

        Returns
        -------
        list of str
            Tag names.

        Examples
        --------
        >>> parse_rule("vip AND (cn OR vip) AND NOT churned").tags()
        ['vip', 'cn', 'churned']
        """
        seen: dict[str, None] = {}
        _collect_tags(cast("RuleNode", self), seen)
        return list(seen)

    def __str__(self) -> str:
        return self.to_rule()

    def __and__(self, other: RuleNode) -> And:
        if not isinstance(other, _RuleBase):
            return NotImplemented
        return And(operands=(cast("RuleNode", self), other))

    def __or__(self, other: RuleNode) -> Or:
        if not isinstance(other, _RuleBase):
            return NotImplemented
        return Or(operands=(cast("RuleNode", self), other))

    def __invert__(self) -> Not:
        return Not(operand=cast("RuleNode", self))


class Tag(_RuleBase):
    """A tag name: true for a user who carries the tag.

    Parameters
    ----------
    name : str
        The tag, matching ``[A-Za-z_][A-Za-z0-9_:.-]*`` and not a keyword (AND, OR, NOT).

    Examples
    --------
    >>> Tag(name="channel:wechat")
    Tag(name='channel:wechat')
    >>> str(Tag(name="vip") & ~Tag(name="churned"))
    'vip AND NOT churned'
    """

    kind: Literal["tag"] = Field(default="tag", repr=False)
    name: str

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if _TAG_RE.fullmatch(value) is None:
            raise ValueError(
                f"tag name {clip(repr(value))} is not valid: a tag name is {TAG_GRAMMAR}. "
                "Hint: rename the tag (for example replace spaces with '_')"
            )
        if value.lower() in _KEYWORDS:
            raise ValueError(
                f"tag name {clip(repr(value))} is a rule keyword (AND, OR, NOT, in any case). "
                "Hint: rename the tag"
            )
        return value


def invalid_tag_names(names: Any) -> list[str]:
    """Return the names a rule could never reference (bad characters or a keyword), in order.

    One regular-expression match per distinct name (a tag table checks its vocabulary once).

    Parameters
    ----------
    names : iterable of str

    Returns
    -------
    list of str

    Examples
    --------
    >>> invalid_tag_names(["vip", "vip gold", "AND", "region:cn"])
    ['vip gold', 'AND']
    """
    return [
        str(n) for n in names if _TAG_RE.fullmatch(str(n)) is None or str(n).lower() in _KEYWORDS
    ]


def _child_depth(node: Any) -> int:
    return node.depth if isinstance(node, _RuleBase) else 1


def _check_depth(depth: int) -> int:
    if depth > MAX_RULE_DEPTH:
        raise ValueError(
            f"rule tree is {depth} levels deep; at most {MAX_RULE_DEPTH} are supported. "
            "Hint: simplify the rule (drop double NOTs, flatten repeated groups)"
        )
    return depth


class Not(_RuleBase):
    """Negation: true for a user for whom ``operand`` is false.

    Parameters
    ----------
    operand : RuleNode
        The negated rule.

    Examples
    --------
    >>> Not(operand=Tag(name="churned"))
    Not(operand=Tag(name='churned'))
    >>> str(Not(operand=parse_rule("vip OR kol")))
    'NOT (vip OR kol)'
    """

    kind: Literal["not"] = Field(default="not", repr=False)
    operand: RuleNode
    _depth: int = PrivateAttr(default=2)

    @model_validator(mode="after")
    def _set_depth(self) -> Not:
        self._depth = _check_depth(1 + _child_depth(self.operand))
        return self

    @property
    def depth(self) -> int:
        return self._depth


class _Junction(_RuleBase):
    """An n-ary AND or OR, stored flat for left-associative chains."""

    _keyword: ClassVar[str] = ""
    _depth: int = PrivateAttr(default=2)
    kind: str = Field(default="", repr=False)  # narrowed to a Literal by And and Or
    operands: tuple[RuleNode, ...] = Field(min_length=2)

    @model_validator(mode="before")
    @classmethod
    def _flatten_leading(cls, data: Any) -> Any:
        # ``(a AND b) AND c`` and ``a AND b AND c`` are the same binary tree
        # ``(and (and a b) c)``: store both as And(a, b, c).  Only the *first* operand is
        # merged: ``a AND (b AND c)`` is the different tree ``(and a (and b c))``.
        if not isinstance(data, dict) or not isinstance(data.get("operands"), (list, tuple)):
            return data
        ops = list(data["operands"])
        kind = cls._keyword.lower()
        while ops:
            first = ops[0]
            if isinstance(first, cls):
                ops[:1] = list(first.operands)
            elif (
                isinstance(first, dict)
                and first.get("kind") == kind
                and isinstance(first.get("operands"), (list, tuple))
            ):
                ops[:1] = list(first["operands"])
            else:
                break
        return {**data, "operands": tuple(ops)}

    @model_validator(mode="after")
    def _set_depth(self) -> _Junction:
        self._depth = _check_depth(1 + max(_child_depth(op) for op in self.operands))
        return self

    @property
    def depth(self) -> int:
        return self._depth


class And(_Junction):
    """Conjunction: true for a user for whom every operand is true.

    ``a AND b AND c`` is stored as one ``And`` with three operands (a left-associative chain);
    ``a AND (b AND c)`` keeps its inner group.

    Parameters
    ----------
    operands : tuple of RuleNode
        Two or more rules.

    Examples
    --------
    >>> node = And(operands=(Tag(name="vip"), Tag(name="cn"), Tag(name="hk")))
    >>> str(node)
    'vip AND cn AND hk'
    >>> node.to_sexpr()
    '(and (and vip cn) hk)'
    >>> node == parse_rule("(vip AND cn) AND hk")
    True
    """

    _keyword: ClassVar[str] = "AND"
    kind: Literal["and"] = Field(default="and", repr=False)


class Or(_Junction):
    """Disjunction: true for a user for whom at least one operand is true.

    Parameters
    ----------
    operands : tuple of RuleNode
        Two or more rules.

    Examples
    --------
    >>> node = parse_rule("vip AND cn OR hk")
    >>> node
    Or(operands=(And(operands=(Tag(name='vip'), Tag(name='cn'))), Tag(name='hk')))
    >>> node.to_sexpr()
    '(or (and vip cn) hk)'
    """

    _keyword: ClassVar[str] = "OR"
    kind: Literal["or"] = Field(default="or", repr=False)


RuleNode: TypeAlias = Annotated[Tag | Not | And | Or, Field(discriminator="kind")]
"""Any node of a rule tree; in JSON the ``kind`` field tells which."""

Not.model_rebuild()
And.model_rebuild()
Or.model_rebuild()

_RULE_ADAPTER: TypeAdapter[RuleNode] = TypeAdapter(RuleNode)


def _to_rule(node: RuleNode) -> str:
    if isinstance(node, Tag):
        return node.name
    if isinstance(node, Not):
        inner = _to_rule(node.operand)
        return f"NOT ({inner})" if isinstance(node.operand, (And, Or)) else f"NOT {inner}"
    parts = []
    for i, op in enumerate(node.operands):
        text = _to_rule(op)
        # AND binds tighter than OR; a nested group of the same operator keeps its parentheses
        # unless it leads the chain (left associativity makes those parentheses redundant).
        grouped = isinstance(op, Or) if isinstance(node, And) else False
        grouped = grouped or (i > 0 and type(op) is type(node))
        parts.append(f"({text})" if grouped else text)
    return f" {node._keyword} ".join(parts)


def _to_sexpr(node: RuleNode) -> str:
    if isinstance(node, Tag):
        return node.name
    if isinstance(node, Not):
        return f"(not {_to_sexpr(node.operand)})"
    word = node._keyword.lower()
    out = _to_sexpr(node.operands[0])
    for op in node.operands[1:]:
        out = f"({word} {out} {_to_sexpr(op)})"
    return out


def _collect_tags(node: RuleNode, seen: dict[str, None]) -> None:
    if isinstance(node, Tag):
        seen[node.name] = None
    elif isinstance(node, Not):
        _collect_tags(node.operand, seen)
    else:
        for op in node.operands:
            _collect_tags(op, seen)


def rule_from_json(data: str | bytes) -> RuleNode:
    """Rebuild a rule tree from the JSON written by ``node.model_dump_json()``.

    Parameters
    ----------
    data : str or bytes
        JSON of any node (``Tag``, ``Not``, ``And`` or ``Or``); its ``kind`` field tells which.

    Returns
    -------
    RuleNode
        The tree, equal to the one that was dumped.

    Raises
    ------
    pydantic.ValidationError
        If the JSON is not a valid rule tree.

    Examples
    --------
    >>> node = parse_rule("vip AND NOT churned")
    >>> node.model_dump_json()
    '{"kind":"and","operands":[{"kind":"tag","name":"vip"},{"kind":"not","operand":{"kind":"tag","name":"churned"}}]}'
    >>> rule_from_json(node.model_dump_json()) == node
    True
    """
    return _RULE_ADAPTER.validate_json(data)


# --------------------------------------------------------------------------------------------------
# tokenizer


class _Token:
    __slots__ = ("kind", "pos", "text")

    def __init__(self, kind: str, text: str, pos: int) -> None:
        self.kind = kind  # "TAG", "AND", "OR", "NOT", "(", ")" or "END"
        self.text = text
        self.pos = pos

    def describe(self) -> str:
        if self.kind == "END":
            return "the end of the rule"
        if self.kind == "TAG":
            return f"tag {clip(repr(self.text))} at position {self.pos}"
        return f"'{self.text}' at position {self.pos}"


_BAD_OPERATORS = {"&&": "AND", "||": "OR", "&": "AND", "|": "OR", "!": "NOT"}


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def next(self) -> _Token:
        text = self.text
        match = _SPACE_RE.match(text, self.pos)
        i = match.end() if match else self.pos
        if i >= len(text):
            self.pos = len(text)
            return _Token("END", "", len(text))
        char = text[i]
        if char in "()":
            self.pos = i + 1
            return _Token(char, char, i)
        tag = _TAG_RE.match(text, i)
        if tag is not None:
            word = tag.group()
            self.pos = tag.end()
            return _Token(_KEYWORDS.get(word.lower(), "TAG"), word, i)
        raise self._bad_character(i)

    def _bad_character(self, i: int) -> RuleSyntaxError:
        text = self.text
        char = text[i]
        two = text[i : i + 2]
        op = two if two in _BAD_OPERATORS else char if char in _BAD_OPERATORS else None
        if op is not None:
            word = _BAD_OPERATORS[op]
            return RuleSyntaxError(
                f"{op!r} at position {i} is not a rule operator. "
                f"Hint: write {word} instead (rules use AND, OR, NOT and parentheses)",
                text=text,
                position=i,
            )
        if char.isdigit():
            return RuleSyntaxError(
                f"unexpected {char!r} at position {i}: a tag name cannot start with a digit; "
                f"it is {TAG_GRAMMAR}. Hint: rename the tag, e.g. 'tier_{char}'",
                text=text,
                position=i,
            )
        return RuleSyntaxError(
            f"unexpected character {char!r} at position {i}; expected a tag name "
            f"({TAG_GRAMMAR}), AND, OR, NOT, '(' or ')'. "
            "Hint: tag names are written bare, without quotes, in ASCII",
            text=text,
            position=i,
        )


# --------------------------------------------------------------------------------------------------
# recursive-descent parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lexer = _Lexer(text)
        self.prev: _Token | None = None
        self.tok = self.lexer.next()
        self.nesting = 0

    def advance(self) -> _Token:
        tok = self.tok
        self.prev = tok
        self.tok = self.lexer.next()
        return tok

    def error(self, message: str, position: int) -> RuleSyntaxError:
        return RuleSyntaxError(message, text=self.text, position=position)

    def too_deep(self, position: int) -> RuleSyntaxError:
        return self.error(
            f"rule is nested more than {MAX_RULE_DEPTH} levels deep at position {position}. "
            "Hint: simplify the rule (drop double NOTs and redundant parentheses)",
            position,
        )

    def parse(self) -> RuleNode:
        if self.tok.kind == "END":
            return_text = "only whitespace" if self.text else "empty"
            raise self.error(
                f"the rule is {return_text}; expected a tag expression such as "
                "'vip AND NOT churned'",
                self.tok.pos,
            )
        node = self.parse_or()
        tok = self.tok
        if tok.kind == ")":
            raise self.error(
                f"unmatched ')' at position {tok.pos}: no '(' is open. "
                "Hint: remove it or add the matching '('",
                tok.pos,
            )
        if tok.kind != "END":
            raise self.error(
                f"expected 'AND', 'OR' or the end of the rule after {self.describe_prev()}, "
                f"found {tok.describe()}. Hint: join terms with AND or OR",
                tok.pos,
            )
        return node

    def describe_prev(self) -> str:
        prev = self.prev
        assert prev is not None  # only called after a complete operand was read
        return prev.describe()

    def parse_or(self) -> RuleNode:
        start = self.tok.pos
        operands = [self.parse_and()]
        while self.tok.kind == "OR":
            self.advance()
            operands.append(self.parse_and())
        return self.combine(Or, operands, start)

    def parse_and(self) -> RuleNode:
        start = self.tok.pos
        operands = [self.parse_not()]
        while self.tok.kind == "AND":
            self.advance()
            operands.append(self.parse_not())
        return self.combine(And, operands, start)

    def combine(self, cls: type[And] | type[Or], operands: list[RuleNode], start: int) -> RuleNode:
        if len(operands) == 1:
            return operands[0]
        if 1 + max(op.depth for op in operands) > MAX_RULE_DEPTH:
            raise self.too_deep(start)
        return cls(operands=tuple(operands))

    def parse_not(self) -> RuleNode:
        tok = self.tok
        if tok.kind == "TAG":
            self.advance()
            return Tag(name=tok.text)
        if tok.kind == "NOT":
            self.enter(tok)
            self.advance()
            operand = self.parse_not()
            self.nesting -= 1
            if operand.depth + 1 > MAX_RULE_DEPTH:
                raise self.too_deep(tok.pos)
            return Not(operand=operand)
        if tok.kind == "(":
            self.enter(tok)
            self.advance()
            node = self.parse_or()
            closing = self.tok
            if closing.kind == "END":
                raise self.error(
                    f"expected ')' to close '(' at position {tok.pos}, found the end of the rule. "
                    "Hint: add the missing ')'",
                    closing.pos,
                )
            if closing.kind != ")":
                raise self.error(
                    f"expected 'AND', 'OR' or ')' after {self.describe_prev()}, "
                    f"found {closing.describe()}. Hint: join terms with AND or OR",
                    closing.pos,
                )
            self.advance()
            self.nesting -= 1
            return node
        raise self.error(
            f"expected a tag name, 'NOT' or '(' {self.context()}, found {tok.describe()}",
            tok.pos,
        )

    def enter(self, tok: _Token) -> None:
        self.nesting += 1
        if self.nesting > MAX_RULE_DEPTH:
            raise self.too_deep(tok.pos)

    def context(self) -> str:
        prev = self.prev
        if prev is None:
            return "at the start of the rule"
        return f"after '{clip(prev.text)}' at position {prev.pos}"


_CACHED_RULE_CHARS = 4096
"""Rules longer than this are parsed each time, not cached: the cache holds at most 512 trees
of at most this much text, so its memory is bounded whatever rules a caller sends."""


@functools.lru_cache(maxsize=512)
def _parse_cached(text: str) -> RuleNode:
    return _Parser(text).parse()


def _parse(text: str) -> RuleNode:
    if len(text) > _CACHED_RULE_CHARS:
        return _Parser(text).parse()
    return _parse_cached(text)


def parse_rule(text: str) -> RuleNode:
    """Parse a tag rule such as ``"vip AND (cn OR hk) AND NOT churned"`` into a tree.

    Parameters
    ----------
    text : str
        The rule.  Grammar: ``or := and ('OR' and)*``, ``and := not ('AND' not)*``,
        ``not := 'NOT' not | '(' or ')' | TAG``, ``TAG := [A-Za-z_][A-Za-z0-9_:.-]*``.
        Keywords are case-insensitive, tag names case-sensitive.

    Returns
    -------
    RuleNode
        A frozen tree of :class:`Tag`, :class:`Not`, :class:`And` and :class:`Or`.  Parse once,
        evaluate many times; the tree serialises to JSON.

    Raises
    ------
    RuleSyntaxError
        For any malformed rule, saying what was expected at which position (shown with a caret),
        including ``&&``, ``||`` and ``!`` (use AND, OR, NOT) and nesting deeper than
        :data:`MAX_RULE_DEPTH`.
    InvalidParameterError
        If ``text`` is not a string.

    See Also
    --------
    useropslib.segments.TagTable.evaluate : Evaluate a rule for every user at once.

    Notes
    -----
    Precedence is NOT > AND > OR with left-associative AND/OR, as in SQL, CEL, boolean.py and
    Segment's query language ("AND holds precedence over OR").  Evaluation is closed-world: a
    tag a user does not carry is false.

    Examples
    --------
    >>> rule = parse_rule("vip AND (cn OR hk) and not churned")
    >>> str(rule)
    'vip AND (cn OR hk) AND NOT churned'
    >>> rule.to_sexpr()
    '(and (and vip (or cn hk)) (not churned))'
    >>> rule.tags()
    ['vip', 'cn', 'hk', 'churned']
    >>> parse_rule("vip && cn")
    Traceback (most recent call last):
    useropslib.exceptions.RuleSyntaxError: '&&' at position 4 is not a rule operator. Hint: write AND instead (rules use AND, OR, NOT and parentheses)
      vip && cn
          ^
    """  # noqa: E501
    if not isinstance(text, str):
        raise InvalidParameterError(
            f"a rule must be a str such as 'vip AND NOT churned', got {type(text).__name__} "
            f"{clip(repr(text))}. Hint: pass the rule text, or a parsed rule where a RuleNode is "
            "accepted"
        )
    return _parse(text)
