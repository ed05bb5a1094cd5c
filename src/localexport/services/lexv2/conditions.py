"""Lex V2 conditional branches: the expressions of ``conditionalBranches[].condition.expressionString``.

The language, as the developer guide's "Adding conditions to branch conversations" (paths-branching.html)
describes it::

    {age} < 24
    ({make} = "Honda") AND ({model} = "Civic")
    {toppings} CONTAINS "pineapple"
    [sessionAttribute] != "x" OR $.inputMode = "Text"

- the left side is a reference: ``{slot}`` (its interpreted value; a multi-valued slot is the comma-separated
  list of its values), ``[attribute]`` (a session attribute), ``$.inputMode`` or ``$.inputTranscript``;
  the right side a constant: a double-quoted string or a number;
- comparisons ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, and ``CONTAINS`` (a multi-valued slot holds the
  value); strings compare case-insensitively, numbers as numbers where both sides are numbers;
- ``AND`` (``&&``), ``OR`` (``||``), ``NOT`` (``!``), parentheses; AND binds tighter than OR;
- an expression that refers to something not set is not evaluated: its branch is not taken.

Parsed once per expression text (cached); ``holds(text, facts)`` answers whether a branch is taken.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ...core.lazy import LazyModule

lark = LazyModule("lark")

GRAMMAR = r"""
    ?start: either
    ?either: both ((_OR) both)*
    ?both: unary ((_AND) unary)*
    ?unary: _NOT unary      -> negation
          | "(" either ")"
          | comparison
    comparison: REF OP constant
    ?constant: STRING -> string
             | NUMBER -> number
    REF: /\{[^{}]+\}/ | /\[[^\[\]]+\]/ | /\$\.[A-Za-z]+/
    OP: "!=" | "<=" | ">=" | "=" | "<" | ">" | /CONTAINS/i
    _AND: /AND/i | "&&"
    _OR: /OR/i | "||"
    _NOT: /NOT/i | "!"
    STRING: /"[^"]*"/ | /'[^']*'/
    NUMBER: /-?\d+(\.\d+)?/
    %import common.WS
    %ignore WS
"""

Facts = Callable[[str], Any]  # a reference (``{slot}``, ``[attr]``, ``$.inputMode``) -> its value or None


class _Unset(Exception):
    """The expression names something not set: it is not evaluated."""


@functools.cache
def _parser():
    return lark.Lark(GRAMMAR, parser="lalr")


@functools.lru_cache(maxsize=1024)
def _parse(text: str):
    try:
        return _parser().parse(text)
    except lark.exceptions.LarkError:
        return None


def holds(text: str, facts: Facts) -> bool:
    """Whether the condition ``text`` is true of ``facts``; an unparsable or unevaluable condition is not."""
    tree = _parse(text)
    if tree is None:
        return False
    try:
        return _eval(tree, facts)
    except _Unset:
        return False


def _eval(tree, facts: Facts) -> bool:
    kind = tree.data
    if kind == "either":
        return any(_eval(c, facts) for c in tree.children)
    if kind == "both":
        return all(_eval(c, facts) for c in tree.children)
    if kind == "negation":
        return not _eval(tree.children[0], facts)
    ref, op, constant = tree.children
    value = facts(str(ref))
    if value is None:
        raise _Unset(str(ref))
    wanted = _constant(constant)
    return _compare(value, str(op).upper(), wanted)


def _constant(node) -> str | float:
    token = str(node.children[0])
    return token[1:-1] if node.data == "string" else float(token)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(value: Any, op: str, wanted: str | float) -> bool:
    values = value if isinstance(value, list) else [value]
    if op == "CONTAINS":
        return any(_equal(v, wanted) for v in values)
    joined = ",".join(str(v) for v in values)
    if op == "=":
        return _equal(joined, wanted)
    if op == "!=":
        return not _equal(joined, wanted)
    left, right = _number(joined), _number(wanted)
    if left is None or right is None:
        left, right = joined.lower(), str(wanted).lower()
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def _equal(value: Any, wanted: str | float) -> bool:
    left, right = _number(value), _number(wanted)
    if left is not None and right is not None:
        return left == right
    return str(value).lower() == str(wanted).lower()
