"""The item attributes of Item-Attribute-Affinity's batch segment input lines, and the items they name.

Syntax (developer guide, "Preparing input data for user segments"): one or more conditions
``ITEMS.<field> = "<value>"`` joined by ``AND``; "batch segment input expressions support only the =
symbol" and no ``OR`` (an OR is two queries); ``\\`` escapes quotes in a value.  A field must be a
non-textual, non-reserved metadata field of the Items dataset.  A categorical field matches when one
of its ``|``-separated values is the value; another field when it equals it.  Parsed by a lark
grammar; a line that does not parse, or names a field the Items dataset lacks, is a line error.
"""

from __future__ import annotations

from contextlib import ExitStack
from functools import cache

from ...core.jobs import JobFailed
from ...core.lazy import LazyModule
from ...core.runtime import RequestContext
from . import datasets, records
from .batch import LineError

lark = LazyModule("lark")

GRAMMAR = r"""
    start: condition ("AND"i condition)*
    condition: "ITEMS"i "." FIELD "=" value
    value: ESCAPED_STRING | SINGLE_QUOTED | SIGNED_NUMBER
    FIELD: /[A-Za-z_][A-Za-z0-9_]*/
    SINGLE_QUOTED: /'(\\.|[^'\\])*'/
    %import common.ESCAPED_STRING
    %import common.SIGNED_NUMBER
    %import common.WS
    %ignore WS
"""
MAX_CONDITIONS = 10
RESERVED = {"ITEM_ID", "CREATION_TIMESTAMP"}


@cache
def _parser():
    return lark.Lark(GRAMMAR, parser="lalr")


def parse(text: str) -> list[tuple[str, str]]:
    """The (field, value) conditions of an itemAttributes expression (LineError when it is not one)."""
    try:
        tree = _parser().parse(text)
    except lark.exceptions.LarkError:
        raise LineError(f"Invalid itemAttributes expression: {text[:200]}. Use ITEMS.<field> = \"<value>\", "
                        "conditions joined by AND.") from None
    conditions = []
    for condition in tree.children:
        field, value = condition.children
        token = value.children[0]
        text_value = str(token)
        if token.type in ("ESCAPED_STRING", "SINGLE_QUOTED"):
            text_value = _unescape(text_value[1:-1])
        conditions.append((str(field).upper(), text_value))
    if len(conditions) > MAX_CONDITIONS:
        raise LineError(f"An itemAttributes expression has at most {MAX_CONDITIONS} conditions.")
    return conditions


def _unescape(text: str) -> str:
    out, escaped = [], False
    for char in text:
        if escaped or char != "\\":
            out.append(char)
            escaped = False
        else:
            escaped = True
    return "".join(out)


class Catalogue:
    """A dataset group's Items records, loaded once for a job (close() when done; one thread)."""

    def __init__(self, ctx: RequestContext, group_arn: str):
        items = datasets.of_group(ctx, group_arn, "Items")
        if items is None:
            raise JobFailed(f"The dataset group {group_arn} has no Items dataset.")
        self._stack = ExitStack()
        try:
            scratch = self._stack.enter_context(ctx.runtime.artifacts.scratch())
            self._db = self._stack.enter_context(records.connect(scratch))
            query, fields = datasets.records_query(ctx, items, self._db, scratch)
            self._db.execute(f"CREATE TEMP TABLE items AS {query}")
        except BaseException:
            self._stack.close()
            raise
        self._fields = {f.name: f for f in fields if f.name not in RESERVED and not f.textual}

    def items(self, expression: str) -> list[str]:
        """The items every condition of ``expression`` matches."""
        where, args = [], []
        for name, value in parse(expression):
            field = self._fields.get(name)
            if field is None:
                raise LineError(f"ITEMS.{name} is not a non-textual metadata field of the Items dataset.")
            column = '"' + field.name + '"'
            if field.categorical:
                where.append(f"list_contains(string_split({column}::VARCHAR, '|'), ?)")
                args.append(value)
            else:
                where.append(f"{column}::VARCHAR = ? OR TRY_CAST({column} AS DOUBLE) = TRY_CAST(? AS DOUBLE)")
                args += [value, value]
        sql = f"SELECT ITEM_ID::VARCHAR FROM items WHERE {' AND '.join(f'({w})' for w in where)} ORDER BY 1"
        return [row[0] for row in self._db.execute(sql, args).fetchall()]

    def close(self) -> None:
        self._stack.close()
