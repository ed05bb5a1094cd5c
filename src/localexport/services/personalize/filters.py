"""Filters: CreateFilter, DescribeFilter, ListFilters, DeleteFilter, and applying a filter to recommendations
(``prepare``: personalize-runtime's calls and batch jobs).

A filter is a document (``filter/<name>``, child of its dataset group) whose status settles like every
Personalize resource's; its expression (filter_expressions.py) is checked at CreateFilter against the
group's schemas, so a refused call creates nothing.  The rules, from the developer guide:

- "Guidelines and requirements": no textual or boolean fields; interactions on EVENT_TYPE only, whose
  values alone match ignoring case (every other value is an exact, case-sensitive string); at most 10
  distinct dataset fields in a filter and 20 across the filters of a dataset group; CurrentItem only
  for related-items recommendations; no placeholder with NOT IN.
- "Filter expressions": a filter considers up to 100 of a user's most recent interactions per event type
  (by TIMESTAMP); categorical values ("Action|Comedy") match IN when any of them does.
- "Combining multiple expressions": INCLUDEs unite, EXCLUDEs unite and are subtracted, in any order.
- GetRecommendations ``filterValues``: values of a parameter are double-quoted and comma-separated
  (``"\\"a\\",\\"b\\""``); an INCLUDE expression needs all its parameters, an EXCLUDE expression whose
  values are missing is not used.
- Quotas: 10 filters per dataset group (LimitExceeded).
- "Importing individual records" / "Updating data in datasets after training": filters see new records
  within 20 minutes; here the next call sees them (each call checks the datasets' files, and loads only
  what is new).

Not modelled: "if you don't import item interactions for a user for three months, your filters no longer
consider the user's historical data" (records carry no per-user import time here).

The records a filter reads are loaded once per dataset group and kept up to date (group_records.py).  What
an Items or Users condition matches is computed once per table version and values (one scan),
then looked up; so a call costs a few set and dictionary lookups, and a batch job that prepares once
filters each record the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...core.runtime import RequestContext
from . import datasets, group_records, jobs, schemas, tags
from . import filter_expressions as fx
from . import resources as r
from .errors import in_use, invalid, limit
from .handlers import op
from .recommend import ItemFilter
from .records import duckdb
from .schemas import Field

MAX_FILTERS = 10  # per dataset group (an adjustable quota)
MAX_FIELDS, MAX_GROUP_FIELDS = 10, 20  # distinct dataset fields in a filter, and across a group's filters
# GetRecommendations' filterValues holds at most 25 entries: a filter with more parameters could not be used.
MAX_PARAMETERS = 25
SUMMARY = ("name", "filterArn", "datasetGroupArn", "status", "failureReason", r.CREATED, r.UPDATED)
KINDS = {fx.ITEMS: "Items", fx.USERS: "Users", fx.INTERACTIONS: "Interactions"}  # the datasets filters read
LABEL = {fx.ITEM: "items (ItemID)", fx.USER: "users (UserID)", fx.ACTION: "actions (ActionID)"}


# -- checking an expression against the group's schemas ------------------------------------


def _schemas(ctx: RequestContext, group_arn: str) -> dict[str, dict[str, Field]]:
    """The fields of each dataset of the group, by dataset type and upper-case name."""
    return {d.body["datasetType"]: {f.name.upper(): f for f in datasets.fields_of(ctx, d)}
            for d in r.children_of(ctx, r.DATASET, group_arn)}


def _field(found: dict[str, dict[str, Field]], ref: fx.Ref) -> Field | None:
    return found.get(ref.source, {}).get(ref.field.upper())


def _numeric(f: Field) -> bool:
    return f.type in schemas.NUMERIC


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _resolve(found: dict[str, dict[str, Field]], ref: fx.Ref) -> Field:
    f = _field(found, ref)
    if f is None:
        if ref.source not in found:
            raise invalid(f"Invalid filter expression: {ref} names the {ref.source} dataset, which the dataset "
                          "group does not have.")
        raise invalid(f"Invalid filter expression: the {ref.source} dataset's schema has no field {ref.field} "
                      f"(its fields: {', '.join(x.name for x in found[ref.source].values())}).")
    if f.type == "boolean":
        raise invalid(f"Invalid filter expression: {ref} is a boolean field, which filters cannot use; store "
                      'such values as strings ("True", "False") or numbers (0, 1).')
    if f.textual:
        raise invalid(f"Invalid filter expression: {ref} is a textual field, which filters cannot use.")
    return f


def _check_value(found: dict[str, dict[str, Field]], ref: fx.Ref, f: Field, value: fx.Value, ordering: bool) -> None:
    if isinstance(value, fx.Ref):
        other = _resolve(found, value)
        if _numeric(other) != _numeric(f):
            raise invalid(f"Invalid filter expression: {ref} ({f.type}) cannot be compared with {value} "
                          f"({other.type}).")
        if ordering and not _numeric(other):
            raise invalid(f"Invalid filter expression: {value} is not numeric; <, <=, > and >= compare numbers.")
    elif isinstance(value, fx.Text) and _numeric(f) and _number(value.value) is None:
        raise invalid(f'Invalid filter expression: {ref} is a {f.type} field; "{value.value}" is not a number.')


def validate(ctx: RequestContext, group_arn: str, text: str) -> fx.Filter:
    """The parsed filter, if the group's schemas have what it names (InvalidInputException otherwise)."""
    return _validate(_schemas(ctx, group_arn), text)


def _validate(found: dict[str, dict[str, Field]], text: str) -> fx.Filter:
    try:
        parsed = fx.parse(text)
    except fx.ExpressionError as error:
        raise invalid(str(error)) from None
    if parsed.target == fx.ACTION:  # (refused here, not at the first GetActionRecommendations that names it)
        raise invalid("Action filters (INCLUDE/EXCLUDE ActionID) are not offered by this implementation.")
    for e in parsed.expressions:
        for leaf in (*fx.leaves(e.where), *(x for c in e.conditions for x in fx.leaves(c))):
            f = _resolve(found, leaf.field)
            ordering = isinstance(leaf, fx.Compare) and leaf.op in fx.ORDERING
            if ordering and not _numeric(f):
                raise invalid(f"Invalid filter expression: {leaf.field} is a {f.type} field; <, <=, > and >= "
                              "compare numeric data only.")
            for value in (leaf.values if isinstance(leaf, fx.In) else (leaf.operand,)):
                _check_value(found, leaf.field, f, value, ordering)
    fields = _dataset_fields(found, parsed)
    if len(fields) > MAX_FIELDS:
        raise invalid(f"A filter can use at most {MAX_FIELDS} distinct dataset fields; this one uses {len(fields)}.")
    if len(parsed.parameters) > MAX_PARAMETERS:
        raise invalid(f"A filter can have at most {MAX_PARAMETERS} placeholder parameters; this one has "
                      f"{len(parsed.parameters)}.")
    return parsed


def _dataset_fields(found: dict[str, dict[str, Field]], parsed: fx.Filter) -> set[tuple[str, str]]:
    return {(ref.source, _field(found, ref).name) for ref in parsed.refs if _field(found, ref) is not None}


# -- filter values -----------------------------------------------------------------------

_VALUE = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?))\s*(?:,|$)')


def _values(name: str, text: str) -> list[str]:
    """The values of one filterValues entry: ``"a","b"`` (numbers may go unquoted)."""
    found, at = [], 0
    while at < len(text):
        match = _VALUE.match(text, at)
        if match is None or match.end() == at:
            break
        found.append(re.sub(r"\\(.)", r"\1", match[1]) if match[1] is not None else match[2])
        at = match.end()
    if at < len(text) or not found or text.rstrip().endswith(","):
        shown = text if len(text) <= 60 else text[:60] + "..."
        raise invalid(f"Invalid value for filter parameter {name}: {shown}. Give each value in double quotes, "
                      'separated by commas, e.g. "\\"comedy\\",\\"drama\\"".')
    return found


def _bind(arn: str, parsed: fx.Filter, given: dict[str, str]) -> tuple[list[fx.Expression], dict[str, list[str]]]:
    """The expressions that apply with these values (INCLUDEs need all theirs; an EXCLUDE whose values are
    missing is left out), and the parsed values."""
    unknown = sorted(set(given) - set(parsed.parameters))
    if unknown:
        raise invalid(f"The filter {arn} has no parameter {', '.join(unknown)} (its parameters, in matching "
                      f"case: {', '.join(parsed.parameters) or 'none'}).")
    values = {name: _values(name, text) for name, text in given.items()}
    used = []
    for e in parsed.expressions:
        missing = [p for p in e.parameters if p not in values]
        if missing and e.include:
            raise invalid(f"The filter {arn} needs a value for {', '.join('$' + p for p in missing)}: every "
                          "parameter of an INCLUDE expression must be given in filterValues.")
        if not missing:
            used.append(e)
    return used, values


# -- conditions as SQL (Items, Users) and as tests of event types (Interactions) ------------


@dataclass(frozen=True)
class _Current:
    """An argument taken from the current item's record, per call."""

    field: Field
    many: bool  # a list of values (IN), not one (a comparison)


@dataclass(frozen=True)
class _Sql:
    text: str
    args: tuple[Any, ...]

    def bind(self, current: dict[str, Any] | None) -> tuple[Any, ...]:
        return tuple(_current(a, current) if isinstance(a, _Current) else a for a in self.args)


def _current(arg: _Current, row: dict[str, Any] | None) -> Any:
    value = None if row is None else row.get(arg.field.name)
    if not arg.many:
        return value
    if value is None:
        return ()
    return tuple(str(value).split("|")) if arg.field.categorical else (value,)


class _Compiler:
    """A condition of one expression as a SQL predicate over ``t``, its values bound as arguments."""

    def __init__(self, arn: str, tables: dict[str, group_records.Table], values: dict[str, list[str]]):
        self.arn, self.tables, self.values = arn, tables, values
        self.args: list[Any] = []

    def compile(self, condition: fx.Condition) -> _Sql:
        self.args = []
        return _Sql(self._sql(condition), tuple(self.args))

    def events(self, condition: fx.Condition) -> Callable[[str | None], bool]:
        """A test of an event type (lower case; None where the schema has none)."""
        if isinstance(condition, (fx.All, fx.Any_)):
            tests = [self.events(p) for p in condition.parts]
            combine = all if isinstance(condition, fx.All) else any
            return lambda kind: combine(test(kind) for test in tests)
        texts = {t.lower() for v in condition.values for t in self._texts(v)}
        if fx.WILDCARD in texts:  # every event type
            return lambda kind: not condition.negated
        return lambda kind: (kind is not None and kind in texts) != condition.negated

    def _column(self, ref: fx.Ref) -> Field | None:
        table = self.tables.get(KINDS.get(ref.source, ""))
        return None if table is None else table.fields.get(ref.field.upper())

    def _sql(self, c: fx.Condition) -> str:
        if isinstance(c, (fx.All, fx.Any_)):
            joiner = " AND " if isinstance(c, fx.All) else " OR "
            return "(" + joiner.join(self._sql(p) for p in c.parts) + ")"
        column = self._column(c.field)
        if column is None:  # its dataset was deleted since: nothing matches
            return "FALSE"
        return self._in(c, column) if isinstance(c, fx.In) else self._compare(c, column)

    def _texts(self, value: fx.Value) -> list[str]:
        if isinstance(value, fx.Param):
            return self.values[value.name]
        return [value.text if isinstance(value, fx.Number) else value.value]

    def _typed(self, column: Field, texts: list[str], where: fx.Ref) -> tuple[Any, ...]:
        if column.type not in schemas.NUMERIC:
            return tuple(texts)
        numbers = [_number(t) for t in texts]
        if None in numbers:
            raise invalid(f"Filter {self.arn}: {where} is a {column.type} field; "
                          f"{texts[numbers.index(None)]!r} is not a number.")
        return tuple(numbers)

    def _in(self, c: fx.In, column: Field) -> str:
        col = f"t.{group_records.quote(column.name)}"
        numeric = column.type in schemas.NUMERIC
        if len(c.values) == 1 and isinstance(c.values[0], fx.Ref):  # IN CurrentItem.FIELD
            other = self._column(c.values[0])
            if other is None:
                return "TRUE" if c.negated else "FALSE"
            self.args.append(_Current(other, many=True))
        else:
            self.args.append(self._typed(column, [t for v in c.values for t in self._texts(v)], c.field))
        if numeric:
            test = f"list_contains(?::DOUBLE[], {col}::DOUBLE)"
        elif column.categorical:  # "Action|Comedy": any of its values
            test = f"list_has_any(string_split({col}, '|'), ?::VARCHAR[])"
        else:
            test = f"list_contains(?::VARCHAR[], {col})"
        return f"NOT coalesce({test}, FALSE)" if c.negated else f"coalesce({test}, FALSE)"

    def _compare(self, c: fx.Compare, column: Field) -> str:
        numeric = column.type in schemas.NUMERIC
        if isinstance(c.operand, fx.Ref):  # CurrentItem.FIELD
            other = self._column(c.operand)
            if other is None:
                return "FALSE"
            self.args.append(_Current(other, many=False))
        else:
            texts = self._texts(c.operand)
            if len(texts) != 1:
                raise invalid(f"Filter {self.arn}: {c.field} {c.op} takes one value, not {len(texts)}.")
            self.args.append(self._typed(column, texts, c.field)[0])
        op = "<>" if c.op == "!=" else c.op
        if numeric:
            return f"coalesce(t.{group_records.quote(column.name)}::DOUBLE {op} ?::DOUBLE, FALSE)"
        return f"coalesce(t.{group_records.quote(column.name)} {op} ?::VARCHAR, FALSE)"


# -- applying a filter -------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    include: bool
    kind: str  # the dataset type its WHERE reads
    where: _Sql | Callable[[str | None], bool]  # SQL (Items, Users), or a test of event types (Interactions)
    conditions: _Sql | None  # IF, over the current user's record


class Prepared:
    """A filter with its values bound, over the group's records (as the latest call found them)."""

    def __init__(self, arn: str, parsed: fx.Filter, parts: list[_Part], group: group_records.Group):
        self.arn, self.parsed, self._parts, self._group = arn, parsed, parts, group
        self.target = parsed.target
        self.uses_current_item = parsed.uses_current_item

    def _wrong(self, wanted: str) -> Exception:
        return invalid(f"The filter {self.arn} filters {LABEL[self.target]}; this call needs a filter of "
                       f"{LABEL[wanted]}.")

    def _matches(self, kind: str, sql: _Sql, current: dict[str, Any] | None) -> frozenset[str]:
        """The ids of the records of ``kind`` (Items, Users) the condition matches: one scan, then cached."""
        group, args = self._group, sql.bind(current)
        for attempt in (1, 2):
            table = group.tables.get(kind)
            if table is None or table.name is None:
                return frozenset()
            key = (table.version, sql.text, args)
            with group.cache_lock:
                found = group.matches.get(key)
                if found is not None:
                    group.matches.move_to_end(key)
                    return found
            id_field = schemas.dataset_type(kind).id_field
            try:
                with group.db.cursor() as cur:
                    rows = cur.execute(f"SELECT {id_field} FROM {group_records.quote(table.name)} t WHERE {sql.text}",
                                       [list(a) if isinstance(a, tuple) else a for a in args]).fetchall()
            except duckdb.CatalogException:  # reloaded meanwhile: read the new table
                if attempt == 2:
                    raise
                continue
            found = frozenset(row[0] for row in rows)
            with group.cache_lock:
                group.matches[key] = found
                while len(group.matches) > group_records.MATCHES:
                    group.matches.popitem(last=False)
            return found
        raise AssertionError("unreachable")

    def _current_item(self, item_id: str) -> dict[str, Any] | None:
        group = self._group
        table = group.tables.get("Items")
        if table is None or table.name is None:
            return None
        key = (table.version, item_id)
        with group.cache_lock:
            if key in group.rows:
                return group.rows[key]
        with group.db.cursor() as cur:
            cur.execute(f"SELECT * FROM {group_records.quote(table.name)} WHERE ITEM_ID = ?", [item_id])
            row = cur.fetchone()
            found = None if row is None else dict(zip([d[0] for d in cur.description], row))
        with group.cache_lock:
            group.rows[key] = found
            while len(group.rows) > group_records.ROWS:
                group.rows.popitem(last=False)
        return found

    def _recent(self, user_id: str | None) -> dict[str | None, list[tuple[int, str]]]:
        table = self._group.tables.get("Interactions")
        return {} if table is None or user_id is None else table.recent.get(user_id, {})

    def items(self, user_id: str | None = None, item_id: str | None = None) -> ItemFilter:
        """What the filter keeps of a list of items recommended to ``user_id`` (for ``item_id``, the current
        item of related-items recommendations).  The work is done here; the filter it returns only looks up."""
        if self.target != fx.ITEM:
            raise self._wrong(fx.ITEM)
        if self.uses_current_item and not item_id:
            raise invalid(f"The filter {self.arn} uses CurrentItem: it applies only to related-items "
                          "recommendations (an itemId of a RELATED_ITEMS recipe).")
        current = self._current_item(item_id) if self.uses_current_item else None
        tests = []
        for part in self._parts:
            if part.conditions is not None and (user_id is None or user_id not in self._matches(
                    "Users", part.conditions, current)):
                continue  # its IF does not hold for this user: the expression does not apply
            if part.kind == "Interactions":
                found = {item for kind, events in self._recent(user_id).items() if part.where(kind)
                         for _, item in events}
            else:
                found = self._matches("Items", part.where, current)
            tests.append((part.include, found.__contains__))
        return lambda candidates: _combine(tests, candidates)

    def users(self) -> Callable[[list[str]], list[str]]:
        """What the filter keeps of a list of users (a user segment)."""
        if self.target != fx.USER:
            raise self._wrong(fx.USER)
        tests = []
        for part in self._parts:
            if part.kind == "Interactions":
                def test(user: str, where: Callable = part.where) -> bool:
                    return any(where(kind) for kind in self._recent(user))
            else:
                test = self._matches("Users", part.where, None).__contains__
            tests.append((part.include, test))
        return lambda candidates: _combine(tests, candidates)


def _combine(tests: list[tuple[bool, Callable[[str], bool]]], candidates: list[str]) -> list[str]:
    """INCLUDEs unite, EXCLUDEs unite and are subtracted (Combining multiple expressions)."""
    includes = [test for include, test in tests if include]
    excludes = [test for include, test in tests if not include]
    return [c for c in candidates if (not includes or any(t(c) for t in includes)) and not any(t(c) for t in excludes)]


def check_for_job(ctx: RequestContext, filter_arn: str, group_arn: str, target: str, related: bool,
                  interactions: bool = True) -> None:
    """A batch job's filter, checked when the job is created (its values come with each input line): ACTIVE,
    of the model's dataset group, of ``target`` (items or users), CurrentItem only for ``related`` items, and
    no interactions filter where ``interactions`` is False ("You can't use item interactions filters with
    the Item-Attribute-Affinity recipe")."""
    body = r.view(ctx, r.load(ctx, r.FILTER, filter_arn))
    if body["datasetGroupArn"] != group_arn:
        raise invalid(f"The filter {filter_arn} belongs to dataset group {body['datasetGroupArn']}, not to "
                      f"{group_arn}, the dataset group of the solution version.")
    if body.get("status") != r.ACTIVE:
        raise invalid(f"The filter {filter_arn} is {body.get('status')}; it must be ACTIVE.")
    parsed = fx.parse(body["filterExpression"])
    if parsed.target != target:
        raise invalid(f"The filter {filter_arn} filters {LABEL[parsed.target]}; this job needs a filter of "
                      f"{LABEL[target]}.")
    if parsed.uses_current_item and not related:
        raise invalid(f"The filter {filter_arn} uses CurrentItem: it applies only to related-items "
                      "recommendations.")
    if not interactions and fx.INTERACTIONS in parsed.datasets:
        raise invalid(f"The filter {filter_arn} filters on interactions, which this recipe does not take.")


def prepare(ctx: RequestContext, filter_arn: str | None, filter_values: dict[str, str] | None,
            group_arn: str) -> Prepared | None:
    """The filter a recommendation call (or a batch job) names, ready to apply to a model of ``group_arn``;
    None when it names none."""
    if not filter_arn:
        if filter_values:
            raise invalid("filterValues are only allowed with a filterArn.")
        return None
    doc = r.load(ctx, r.FILTER, filter_arn)
    body = r.view(ctx, doc)
    if body["datasetGroupArn"] != group_arn:
        raise invalid(f"The filter {filter_arn} belongs to dataset group {body['datasetGroupArn']}, not to "
                      f"{group_arn}, the dataset group of the recommendations.")
    if body.get("status") != r.ACTIVE:
        raise invalid(f"The filter {filter_arn} is {body.get('status')}; it must be ACTIVE.")
    try:
        parsed = fx.parse(body["filterExpression"])
    except fx.ExpressionError as error:  # (checked at CreateFilter: only a grammar change could get here)
        raise invalid(str(error)) from None
    used, values = _bind(filter_arn, parsed, filter_values or {})
    group = group_records.group(ctx, group_arn)
    group_records.refresh(ctx, group, group_arn, {KINDS[d] for d in parsed.datasets if d in KINDS})
    compiler = _Compiler(filter_arn, dict(group.tables), values)
    parts = []
    for e in used:
        kind = KINDS.get(e.dataset, e.dataset)
        where = compiler.events(e.where) if kind == "Interactions" else compiler.compile(e.where)
        parts.append(_Part(e.include, kind, where, compiler.compile(fx.All(e.conditions)) if e.conditions else None))
    return Prepared(filter_arn, parsed, parts, group)


# -- the operations ----------------------------------------------------------------------


@op("CreateFilter")
def create_filter(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    group = r.load_active(ctx, r.DATASET_GROUP, params["datasetGroupArn"])
    found = _schemas(ctx, params["datasetGroupArn"])
    parsed = _validate(found, params["filterExpression"])
    others = r.children_of(ctx, r.FILTER, params["datasetGroupArn"])
    if len(others) >= MAX_FILTERS:
        raise limit(f"Dataset group {params['datasetGroupArn']} has {len(others)} filters, the maximum.")
    fields = _dataset_fields(found, parsed)
    for other in others:
        try:
            fields |= _dataset_fields(found, fx.parse(other.body["filterExpression"]))
        except fx.ExpressionError:
            continue
    if len(fields) > MAX_GROUP_FIELDS:
        raise limit(f"The filters of a dataset group can use at most {MAX_GROUP_FIELDS} distinct dataset fields; "
                    f"with this one, dataset group {params['datasetGroupArn']} would use {len(fields)}.")
    tags.check(params.get("tags"))
    body = {"name": params["name"], "datasetGroupArn": params["datasetGroupArn"],
            "filterExpression": params["filterExpression"], "_tags": params.get("tags") or []}
    doc = r.create(ctx, r.FILTER, f"filter/{params['name']}", body, parent=group.key)
    return {"filterArn": doc.body["filterArn"]}


@op("DescribeFilter")
def describe_filter(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"filter": r.view(ctx, r.load(ctx, r.FILTER, params["filterArn"]))}


@op("ListFilters")
def list_filters(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    chunk, token = r.of_groups(ctx, r.FILTER, params, SUMMARY, "ListFilters")
    return {"Filters": chunk, "nextToken": token}


@op("DeleteFilter")
def delete_filter(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = r.load(ctx, r.FILTER, params["filterArn"])
    # "You can't delete a filter while a batch inference job is in progress" (Deleting a filter)
    running = [j.spec.get("arn") for j in jobs.active(ctx) if j.spec.get("filterArn") == params["filterArn"]]
    if running:
        raise in_use(f"Filter {params['filterArn']} is used by a job in progress: {running[0]}.")
    r.delete(ctx, r.FILTER, doc)
    return {}

