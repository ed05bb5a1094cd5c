"""Amazon Personalize filter expressions: the grammar (Lark, LALR) and the parsed form (dataclasses).

The language, as the developer guide describes it ("Filter expression structure and elements",
"Filter expression examples", "Guidelines and requirements", "Combining multiple expressions")::

    INCLUDE|EXCLUDE ItemID|UserID|ActionID WHERE <dataset>.<field> IN|NOT IN (<values>)
        [AND|OR <condition> ...] [IF CurrentUser.<field> <op> <value> [AND ...]]
    [| <another expression> ...]

- a condition is ``field IN (v, ...)``, ``field NOT IN (v, ...)`` or ``field <op> v`` with ``=``, ``!=``,
  ``<``, ``<=``, ``>``, ``>=``; a value is a double-quoted string, a number, a ``$PARAMETER`` placeholder
  (its values come with each request) or, in related-items filters, ``CurrentItem.<field>``
  (``Items.GENRE IN CurrentItem.GENRE``, ``Items.PRICE < CurrentItem.PRICE``); a single value may be
  parenthesised (``Actions.VALUE > ($VALUE)``);
- AND binds tighter than OR (the guide is silent; it is SQL's rule); conditions chained with AND/OR use
  the dataset of the first condition;
- ``IF`` checks the ``CurrentUser`` only, once, at the end of an expression, extended with ``AND``;
- ``*`` (every event type) only with ``EVENT_TYPE``; interactions are filtered on ``EVENT_TYPE`` only;
- a placeholder cannot be used with ``NOT IN``;
- ``|`` chains expressions: INCLUDEs are a union, EXCLUDEs a union subtracted from it, whatever their
  order; every expression of a filter filters the same thing (items, users or actions).

Keywords, ``ItemID``/``UserID``/``ActionID`` and dataset names are case-insensitive (the guide's own
examples write ``EXCLUDE itemId WHERE INTERACTIONS.EVENT_TYPE in (...)``); field names are resolved against
the schemas by filters.py.  Nothing here reads data or schemas: ``parse`` turns text into a ``Filter``
or raises ``ExpressionError`` with a message naming the problem.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ...core.lazy import LazyModule

lark = LazyModule("lark")

ITEM, USER, ACTION = "ItemID", "UserID", "ActionID"
ITEMS, USERS, INTERACTIONS = "Items", "Users", "Interactions"
ACTIONS, ACTION_INTERACTIONS = "Actions", "Action_Interactions"
CURRENT_ITEM, CURRENT_USER = "CurrentItem", "CurrentUser"
DATASETS = {name.lower(): name for name in (ITEMS, USERS, INTERACTIONS, ACTIONS, ACTION_INTERACTIONS,
                                            CURRENT_ITEM, CURRENT_USER)}
TARGETS = {t.lower(): t for t in (ITEM, USER, ACTION)}
# What each kind of filter may put in its WHERE conditions (the guide's "Filter expressions" page).
WHERE_DATASETS = {ITEM: (ITEMS, INTERACTIONS), USER: (USERS, INTERACTIONS), ACTION: (ACTIONS, ACTION_INTERACTIONS)}
EVENTS = (INTERACTIONS, ACTION_INTERACTIONS)  # filtered on EVENT_TYPE only
WILDCARD = "*"
COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
ORDERING = ("<", "<=", ">", ">=")  # numeric data only

GRAMMAR = r"""
    start: expression ("|" expression)*
    expression: ACTION TARGET _WHERE where if_clause?
    ?where: either
    ?either: both (_OR both)*
    ?both: condition (_AND condition)*
    if_clause: _IF condition (_AND condition)*
    condition: REF _IN values              -> is_in
             | REF _NOT _IN values         -> not_in
             | REF OP operand              -> compare
    values: "(" value ("," value)* ")"     -> value_list
          | REF                            -> value_ref
          | "(" REF ")"                    -> value_ref
    ?operand: value | REF | "(" value ")" | "(" REF ")"
    ?value: STRING | NUMBER | PARAM

    ACTION.2: /(?i:include|exclude)(?![A-Za-z0-9_.])/
    TARGET.2: /(?i:itemid|userid|actionid)(?![A-Za-z0-9_.])/
    _WHERE.2: /(?i:where)(?![A-Za-z0-9_.])/
    _AND.2: /(?i:and)(?![A-Za-z0-9_.])/
    _OR.2: /(?i:or)(?![A-Za-z0-9_.])/
    _NOT.2: /(?i:not)(?![A-Za-z0-9_.])/
    _IN.2: /(?i:in)(?![A-Za-z0-9_.])/
    _IF.2: /(?i:if)(?![A-Za-z0-9_.])/
    OP: "<=" | ">=" | "!=" | "=" | "<" | ">"
    REF: /[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*/
    PARAM: /\$[A-Za-z0-9_]+/
    STRING: /"(?:[^"\\]|\\.)*"/
    NUMBER: /[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/
    %import common.WS
    %ignore WS
"""

# How a syntax error names what the parser expected instead.
_TERMINALS = {"ACTION": "INCLUDE or EXCLUDE", "TARGET": "ItemID, UserID or ActionID", "_WHERE": "WHERE",
              "_AND": "AND", "_OR": "OR", "_NOT": "NOT", "_IN": "IN", "_IF": "IF", "OP": "a comparison operator",
              "REF": "a dataset.field", "PARAM": "a $PARAMETER", "STRING": 'a "quoted string"',
              "NUMBER": "a number", "LPAR": "(", "RPAR": ")", "COMMA": ",", "VBAR": "|", "$END": "the end"}


class ExpressionError(ValueError):
    """A filter expression that is not well formed; the message says where and why."""


# -- the parsed form ---------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    dataset: str  # canonical: Items, Users, Interactions, Actions, Action_Interactions, CurrentItem, CurrentUser
    field: str  # as written (filters.py resolves it against the schema)

    def __str__(self) -> str:
        return f"{self.dataset}.{self.field}"

    @property
    def source(self) -> str:
        """The dataset whose field this is (CurrentItem is an Items record, CurrentUser a Users record)."""
        return {CURRENT_ITEM: ITEMS, CURRENT_USER: USERS}.get(self.dataset, self.dataset)


@dataclass(frozen=True)
class Text:
    value: str


@dataclass(frozen=True)
class Number:
    value: float
    text: str


@dataclass(frozen=True)
class Param:
    name: str  # without the $, case-sensitive (filterValues keys match it "in matching case")


Value = Text | Number | Param | Ref  # Ref: a CurrentItem field


@dataclass(frozen=True)
class In:
    field: Ref
    values: tuple[Value, ...]  # or one CurrentItem Ref
    negated: bool = False


@dataclass(frozen=True)
class Compare:
    field: Ref
    op: str
    operand: Value


@dataclass(frozen=True)
class All:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Any_:
    parts: tuple[Condition, ...]


Condition = In | Compare | All | Any_


@dataclass(frozen=True)
class Expression:
    include: bool
    target: str  # ItemID, UserID, ActionID
    where: Condition
    conditions: tuple[Condition, ...] = ()  # IF (all must hold for the expression to apply)

    @property
    def dataset(self) -> str:
        return leaves(self.where)[0].field.dataset

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p for c in (self.where, *self.conditions) for p in _params(c)))


@dataclass(frozen=True)
class Filter:
    expressions: tuple[Expression, ...]

    @property
    def target(self) -> str:
        return self.expressions[0].target

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p for e in self.expressions for p in e.parameters))

    @property
    def refs(self) -> tuple[Ref, ...]:
        """Every dataset field it names (left-hand sides and CurrentItem values)."""
        found = []
        for e in self.expressions:
            for leaf in (*leaves(e.where), *(x for c in e.conditions for x in leaves(c))):
                found.append(leaf.field)
                found.extend(v for v in _operands(leaf) if isinstance(v, Ref))
        return tuple(dict.fromkeys(found))

    @property
    def datasets(self) -> frozenset[str]:
        return frozenset(ref.source for ref in self.refs)

    @property
    def uses_current_item(self) -> bool:
        return any(ref.dataset == CURRENT_ITEM for ref in self.refs)


def leaves(condition: Condition) -> list[In | Compare]:
    if isinstance(condition, (All, Any_)):
        return [leaf for part in condition.parts for leaf in leaves(part)]
    return [condition]


def _operands(leaf: In | Compare) -> tuple[Value, ...]:
    return leaf.values if isinstance(leaf, In) else (leaf.operand,)


def _params(condition: Condition) -> list[str]:
    return [v.name for leaf in leaves(condition) for v in _operands(leaf) if isinstance(v, Param)]


# -- parsing -----------------------------------------------------------------------------


@functools.cache
def _parser():
    return lark.Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)


def _ref(token) -> Ref:
    dataset, field = str(token).split(".", 1)
    canonical = DATASETS.get(dataset.lower())
    if canonical is None:
        raise ExpressionError(f"Invalid filter expression: unknown dataset {dataset} in {token} (use "
                              f"{', '.join(DATASETS.values())}).")
    return Ref(canonical, field)


def _value(node) -> Value:
    kind = node.type
    if kind == "STRING":
        return Text(re.sub(r"\\(.)", r"\1", str(node)[1:-1]))
    if kind == "NUMBER":
        return Number(float(node), str(node))
    if kind == "PARAM":
        return Param(str(node)[1:])
    return _ref(node)


def _condition(tree) -> Condition:
    kind = tree.data
    if kind in ("either", "both"):
        parts = tuple(_condition(child) for child in tree.children)
        return Any_(parts) if kind == "either" else All(parts)
    field = _ref(tree.children[0])
    if kind == "compare":
        return Compare(field, str(tree.children[1]), _value(tree.children[2]))
    values = tree.children[1]
    found = (_ref(values.children[0]),) if values.data == "value_ref" else tuple(_value(v) for v in values.children)
    return In(field, found, negated=kind == "not_in")


def _expression(tree) -> Expression:
    action, target, where, *rest = tree.children
    conditions = tuple(_condition(c) for c in rest[0].children) if rest else ()
    return Expression(str(action).upper() == "INCLUDE", TARGETS[str(target).lower()], _condition(where), conditions)


def _syntax(text: str, error) -> ExpressionError:
    where = f"at character {error.column}" if getattr(error, "column", None) not in (None, -1) else "at its end"
    if isinstance(error, lark.exceptions.UnexpectedToken):
        expected = " or ".join(sorted({_TERMINALS.get(t, t) for t in error.expected}))
        if error.token.type == "$END":
            return ExpressionError(f"Invalid filter expression: it ends where {expected} is expected.")
        return ExpressionError(f'Invalid filter expression {where}: unexpected "{error.token}"; expected {expected}.')
    if isinstance(error, lark.exceptions.UnexpectedCharacters):
        return ExpressionError(f"Invalid filter expression {where}: unexpected character "
                               f"{text[error.pos_in_stream]!r}.")
    return ExpressionError(f"Invalid filter expression {where}.")


def parse(text: str) -> Filter:
    """The parsed, structurally checked filter (ExpressionError otherwise)."""
    return _parse(text)


@functools.lru_cache(maxsize=256)
def _parse(text: str) -> Filter:
    try:
        tree = _parser().parse(text)
    except lark.exceptions.UnexpectedInput as error:
        raise _syntax(text, error) from None
    found = Filter(tuple(_expression(child) for child in tree.children))
    check(found)
    return found


# -- the rules that need no schema ---------------------------------------------------------


def _fail(expression: int, count: int, message: str) -> ExpressionError:
    where = f"Expression {expression + 1}" if count > 1 else "The filter expression"
    return ExpressionError(f"{where} {message}")


def check(found: Filter) -> None:
    count = len(found.expressions)
    targets = {e.target for e in found.expressions}
    if len(targets) > 1:
        raise ExpressionError(f"Every expression of a filter must filter the same thing; this one mixes "
                              f"{' and '.join(sorted(targets))}.")
    for n, e in enumerate(found.expressions):
        allowed = WHERE_DATASETS[e.target]
        first = e.dataset
        if first not in allowed:
            raise _fail(n, count, f"filters {e.target} on {first}: use {' or '.join(allowed)} after WHERE.")
        for leaf in leaves(e.where):
            if leaf.field.dataset != first:
                raise _fail(n, count, f"chains {leaf.field} to a condition on {first}: conditions chained with "
                            f"AND or OR use the dataset of the first one. To filter on {first} and "
                            f"{leaf.field.dataset}, chain two expressions with |.")
            _check_leaf(n, count, e, leaf)
        if e.conditions and e.target == USER:
            raise _fail(n, count, "has an IF condition: IF checks the CurrentUser, which user filters do not have.")
        for leaf in (x for c in e.conditions for x in leaves(c)):
            if leaf.field.dataset != CURRENT_USER:
                raise _fail(n, count, f"checks {leaf.field} in its IF condition: IF checks CurrentUser fields only.")
            _check_leaf(n, count, e, leaf)


def _check_leaf(n: int, count: int, e: Expression, leaf: In | Compare) -> None:
    field = leaf.field
    if field.dataset in EVENTS and field.field.upper() != "EVENT_TYPE":
        raise _fail(n, count, f"filters on {field}: interactions are filtered on EVENT_TYPE only.")
    for value in _operands(leaf):
        if isinstance(value, Ref):
            if value.dataset != CURRENT_ITEM:
                raise _fail(n, count, f"compares {field} to {value}: a value can name CurrentItem fields only.")
            if e.target != ITEM or field.dataset != ITEMS:
                raise _fail(n, count, f"uses {value}: CurrentItem compares Items fields in item filters only.")
        if isinstance(value, Text) and value.value == WILDCARD and field.field.upper() != "EVENT_TYPE":
            raise _fail(n, count, f'uses "*" with {field}: "*" stands for every event type, with EVENT_TYPE only.')
    if isinstance(leaf, In) and leaf.negated and any(isinstance(v, Param) for v in leaf.values):
        raise _fail(n, count, f"uses a placeholder parameter with NOT IN ({field}): use IN with the opposite "
                    "action (INCLUDE instead of EXCLUDE, or the reverse).")
    if isinstance(leaf, Compare) and field.dataset in EVENTS:
        raise _fail(n, count, f"compares {field} with {leaf.op}: event types are matched with IN or NOT IN.")
