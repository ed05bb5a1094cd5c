"""Avro schemas of Personalize datasets: parsing, and the rules per dataset type and domain.

A schema is a flat Avro ``record`` of primitive fields (a union with ``null``
makes a field optional).  Which fields a dataset type requires, which names are
reserved with a fixed type, and how many metadata fields it may hold follow the
Personalize developer guide (see ``spec/personalize.md`` section 4).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .errors import invalid

PRIMITIVES = {"string": "VARCHAR", "int": "INTEGER", "long": "BIGINT", "float": "FLOAT", "double": "DOUBLE",
              "boolean": "BOOLEAN"}
NUMERIC = {"int", "long", "float", "double"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: str  # an Avro primitive other than null
    nullable: bool
    categorical: bool = False
    textual: bool = False

    @property
    def sql_type(self) -> str:
        return PRIMITIVES[self.type]

    @property
    def camel(self) -> str:
        """The key of this field in a PutEvents/PutItems/PutUsers ``properties`` document."""
        head, *rest = self.name.lower().split("_")
        return head + "".join(part.capitalize() for part in rest)


@dataclass(frozen=True, slots=True)
class DatasetType:
    name: str  # as the API spells it
    record: str  # the Avro record name the schema must carry
    arn_part: str
    id_field: str | None  # the record id newer records replace (None: records are events)
    required: dict[str, set[str]]
    reserved: dict[str, set[str]]
    max_metadata: int
    needs_metadata: bool
    exportable: bool = True


_EVENT_RESERVED = {
    "EVENT_TYPE": {"string"}, "EVENT_VALUE": {"float", "double"}, "IMPRESSION": {"string"},
    "RECOMMENDATION_ID": {"string"}, "EVENT_ATTRIBUTION_SOURCE": {"string"}, "EVENT_ID": {"string"},
}
TYPES = {
    t.name.upper(): t
    for t in (
        DatasetType("Interactions", "Interactions", "INTERACTIONS", None,
                    {"USER_ID": {"string"}, "ITEM_ID": {"string"}, "TIMESTAMP": {"long"}}, _EVENT_RESERVED, 5, False),
        DatasetType("Items", "Items", "ITEMS", "ITEM_ID", {"ITEM_ID": {"string"}}, {"CREATION_TIMESTAMP": {"long"}},
                    50, True),
        DatasetType("Users", "Users", "USERS", "USER_ID", {"USER_ID": {"string"}}, {}, 5, True),
        DatasetType("Actions", "Actions", "ACTIONS", "ACTION_ID", {"ACTION_ID": {"string"}},
                    {"CREATION_TIMESTAMP": {"long"}, "VALUE": {"long"}, "TYPE": {"string"},
                     "EXPIRATION_TIMESTAMP": {"long"}, "REPEAT_FREQUENCY": {"long"}}, 10, True, exportable=False),
        DatasetType("Action_Interactions", "ActionInteractions", "ACTION_INTERACTIONS", None,
                    {"USER_ID": {"string"}, "ACTION_ID": {"string"}, "EVENT_TYPE": {"string"}, "TIMESTAMP": {"long"}},
                    {"IMPRESSION": {"string"}, "RECOMMENDATION_ID": {"string"}, "EVENT_ID": {"string"}}, 10, False,
                    exportable=False),
    )
}
DOMAIN_REQUIRED = {  # domain dataset groups require more of their schemas
    ("ECOMMERCE", "Interactions"): {"EVENT_TYPE"},
    ("VIDEO_ON_DEMAND", "Interactions"): {"EVENT_TYPE"},
    ("VIDEO_ON_DEMAND", "Items"): {"GENRES", "CREATION_TIMESTAMP"},
    ("ECOMMERCE", "Items"): {"PRICE", "CATEGORY_L1"},
}


def dataset_type(value: str) -> DatasetType:
    found = TYPES.get(value.upper())
    if found is None:
        raise invalid(f"Invalid dataset type: {value}. Valid types are {', '.join(t.name for t in TYPES.values())}.")
    return found


def _field(raw: Any) -> Field:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise invalid("Each schema field must be an object with a name and a type.")
    name, kind = raw["name"], raw.get("type")
    if not _NAME.match(name):
        raise invalid(f"Invalid field name {name}: use letters, digits and underscores only.")
    kinds = kind if isinstance(kind, list) else [kind]
    if not kinds or not all(isinstance(k, str) for k in kinds):
        raise invalid(f"Field {name} has an unsupported type {json.dumps(kind)}: only primitive types and their "
                      "union with null are supported.")
    concrete = [k for k in kinds if k != "null"]
    if len(concrete) != 1 or concrete[0] not in PRIMITIVES or len(kinds) > 2:
        raise invalid(f"Field {name} has an unsupported type {json.dumps(kind)}: only primitive types and their "
                      "union with null are supported.")
    categorical, textual = bool(raw.get("categorical")), bool(raw.get("textual"))
    if (categorical or textual) and concrete[0] != "string":
        raise invalid(f"Field {name}: only string fields can be categorical or textual.")
    return Field(name, concrete[0], "null" in kinds, categorical, textual)


def parse(text: str) -> tuple[str, list[Field]]:
    """(record name, fields) of an Avro schema, or InvalidInputException."""
    try:
        doc = json.loads(text)
    except ValueError:
        raise invalid("The schema is not valid JSON.") from None
    if not isinstance(doc, dict) or doc.get("type") != "record":
        raise invalid('The schema must be an Avro record: {"type": "record", "name": ..., "fields": [...]}.')
    if not isinstance(doc.get("name"), str) or not isinstance(doc.get("fields"), list) or not doc["fields"]:
        raise invalid("The schema record needs a name and at least one field.")
    fields = [_field(raw) for raw in doc["fields"]]
    seen: dict[str, str] = {}
    for f in fields:
        folded = f.name.replace("_", "").upper()
        if folded in seen:
            raise invalid(f"Fields {seen[folded]} and {f.name} are duplicates: field names must be unique "
                          "ignoring case and underscores.")
        seen[folded] = f.name
    return doc["name"], fields


def check_for_dataset(text: str, kind: DatasetType, domain: str | None) -> list[Field]:
    """The schema's fields if it suits a dataset of ``kind`` (in a group of ``domain``)."""
    record, fields = parse(text)
    if record != kind.record:
        raise invalid(f"The schema record name {record} does not match the dataset type {kind.name}: "
                      f"it must be {kind.record}.")
    by_name = {f.name: f for f in fields}
    for name, types in kind.required.items():
        f = by_name.get(name)
        if f is None:
            raise invalid(f"The schema of a {kind.name} dataset must have the required field {name}.")
        if f.type not in types or f.nullable:
            raise invalid(f"Field {name} of a {kind.name} dataset must be of type {' or '.join(sorted(types))} "
                          "and not null.")
    for name, types in kind.reserved.items():
        f = by_name.get(name)
        if f is not None and f.type not in types:
            raise invalid(f"Reserved field {name} of a {kind.name} dataset must be of type "
                          f"{' or '.join(sorted(types))}.")
    if "EVENT_TYPE" in by_name and by_name["EVENT_TYPE"].categorical and kind.id_field is None:
        raise invalid("Field EVENT_TYPE cannot be categorical.")
    for name in DOMAIN_REQUIRED.get((domain, kind.name), set()) if domain else ():
        if name not in by_name:
            raise invalid(f"The schema of a {kind.name} dataset in a {domain} dataset group must have the field "
                          f"{name}.")
    metadata = [f for f in fields if f.name not in kind.required and f.name not in kind.reserved]
    if len(metadata) > kind.max_metadata:
        raise invalid(f"A {kind.name} dataset can have at most {kind.max_metadata} metadata fields; the schema has "
                      f"{len(metadata)}.")
    if kind.needs_metadata and not metadata and not any(n in by_name for n in kind.reserved):
        raise invalid(f"The schema of a {kind.name} dataset needs at least one metadata field.")
    return fields
