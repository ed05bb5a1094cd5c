"""personalize-events: PutEvents, PutUsers, PutItems, PutActions, PutActionInteractions.

These records are a dataset's "PUT" data: kept in its put logs (see
``records``), never stored one per row in the metadata store.  ``properties``
is a JSON object whose keys are the schema's field names in camelCase.
"""

from __future__ import annotations

import json
from typing import Any

from ...core.runtime import Operations, RequestContext
from ...core.store import Doc
from . import datasets
from . import resources as r
from .errors import invalid
from .handlers import find_tracker
from .schemas import Field

op = Operations("personalize-events")


_BAD = object()


def _convert(field: Field, value: Any) -> Any:
    """``value`` as the field's type, or _BAD."""
    if field.type == "string":
        return _BAD if isinstance(value, (dict, list, bool)) else str(value)
    if field.type == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        return text == "true" if text in ("true", "false") else _BAD
    if isinstance(value, (bool, dict, list)):
        return _BAD
    try:
        number = float(value)
    except (TypeError, ValueError):
        return _BAD
    if field.type in ("int", "long"):
        return int(number) if number.is_integer() else _BAD
    return number


def _coerce(field: Field, value: Any) -> Any:
    converted = _convert(field, value)
    if converted is _BAD:
        raise invalid(f"Invalid value {json.dumps(value)} for field {field.name} of type {field.type}.")
    return converted


def _row(fields: list[Field], direct: dict[str, Any], properties: str | None, what: str) -> dict[str, Any]:
    """One record: the call's named members (schema names) plus its ``properties``."""
    by_name = {f.name: f for f in fields}
    by_camel = {f.camel: f for f in fields if f.name not in direct}
    row = {name: _coerce(by_name[name], value) for name, value in direct.items() if value is not None
           and name in by_name}
    if properties:
        try:
            extra = json.loads(properties)
        except ValueError:
            raise invalid(f"The properties of {what} are not valid JSON.") from None
        if not isinstance(extra, dict):
            raise invalid(f"The properties of {what} must be a JSON object.")
        for key, value in extra.items():
            field = by_camel.get(key)
            if field is None:
                raise invalid(f"Property {key} of {what} does not match a field of the dataset's schema "
                              f"(expected one of: {', '.join(sorted(by_camel))}).")
            if value is not None:
                row[field.name] = _coerce(field, value)
    missing = [f.name for f in fields if not f.nullable and f.name not in row]
    if missing:
        raise invalid(f"{what} has no value for the required field {', '.join(missing)}.")
    return row


def _tracked_dataset(ctx: RequestContext, tracking_id: str, arn_part: str) -> Doc:
    tracker = find_tracker(ctx, tracking_id)
    if tracker is None:
        raise invalid(f"Invalid tracking ID: {tracking_id}. No event tracker has this tracking ID.")
    group = tracker.body["datasetGroupArn"]
    dataset = r.find(ctx, r.DATASET, f"{group.replace(':dataset-group/', ':dataset/')}/{arn_part}")
    if dataset is None:
        raise invalid(f"The dataset group {group} of tracking ID {tracking_id} has no {arn_part.lower()} dataset.")
    return dataset


def _impression(ids: list[str] | None) -> str | None:
    return "|".join(ids) if ids else None


@op("PutEvents")
def put_events(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    dataset = _tracked_dataset(ctx, params["trackingId"], "INTERACTIONS")
    fields = datasets.fields_of(ctx, dataset)
    rows = []
    for i, event in enumerate(params["eventList"]):
        direct = {
            "USER_ID": params.get("userId") or params["sessionId"],  # anonymous events count for the session
            "ITEM_ID": event.get("itemId"),
            "TIMESTAMP": int(event["sentAt"]),
            "EVENT_TYPE": event["eventType"],
            "EVENT_VALUE": event.get("eventValue"),
            "EVENT_ID": event.get("eventId"),
            "IMPRESSION": _impression(event.get("impression")),
            "RECOMMENDATION_ID": event.get("recommendationId"),
            "EVENT_ATTRIBUTION_SOURCE": (event.get("metricAttribution") or {}).get("eventAttributionSource"),
        }
        rows.append(_row(fields, direct, event.get("properties"), f"event {i}"))
    datasets.append(ctx, dataset, rows)
    return {}


@op("PutActionInteractions")
def put_action_interactions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    dataset = _tracked_dataset(ctx, params["trackingId"], "ACTION_INTERACTIONS")
    fields = datasets.fields_of(ctx, dataset)
    rows = []
    for i, item in enumerate(params["actionInteractions"]):
        direct = {
            "USER_ID": item.get("userId") or item["sessionId"],
            "ACTION_ID": item["actionId"],
            "TIMESTAMP": int(item["timestamp"]),
            "EVENT_TYPE": item["eventType"],
            "EVENT_ID": item.get("eventId"),
            "RECOMMENDATION_ID": item.get("recommendationId"),
            "IMPRESSION": _impression(item.get("impression")),
        }
        rows.append(_row(fields, direct, item.get("properties"), f"action interaction {i}"))
    datasets.append(ctx, dataset, rows)
    return {}


def _put_records(ctx: RequestContext, params: dict[str, Any], member: str, id_member: str, arn_part: str,
                 id_field: str) -> dict[str, Any]:
    dataset = r.load_active(ctx, r.DATASET, params["datasetArn"])
    if not dataset.key.endswith("/" + arn_part):
        raise invalid(f"Dataset {params['datasetArn']} is not a {arn_part.lower()} dataset.")
    fields = datasets.fields_of(ctx, dataset)
    rows = [_row(fields, {id_field: item[id_member]}, item.get("properties"), f"{id_member} {item[id_member]}")
            for item in params[member]]
    datasets.append(ctx, dataset, rows)
    return {}


@op("PutUsers")
def put_users(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _put_records(ctx, params, "users", "userId", "USERS", "USER_ID")


@op("PutItems")
def put_items(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _put_records(ctx, params, "items", "itemId", "ITEMS", "ITEM_ID")


@op("PutActions")
def put_actions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _put_records(ctx, params, "actions", "actionId", "ACTIONS", "ACTION_ID")
