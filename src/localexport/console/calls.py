"""A service's own handler called in-process, as the console calls it: the input checked against the model
as the wire checks it, and the answer turned into exactly what an SDK hands its caller (serialized as on
the wire, then parsed by botocore's own parser), so the console never re-builds a Describe answer."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..aws.errors import ValidationError, not_implemented
from ..aws.models import operation, service_model
from ..aws.protocols import serialize_response
from ..aws.request_ids import new_request_id
from ..aws.validation import DEFAULT_STYLE, Problems, validate
from ..core.runtime import RequestContext

if TYPE_CHECKING:
    from ..app import LocalExport


def call(instance: LocalExport, account: str, region: str, service: str, name: str, params: dict[str, Any],
         base_url: str = "") -> dict[str, Any]:
    """The handler's output for ``params`` (AWSError as the service raises it)."""
    op = operation(service, name)
    checked: dict[str, Any] = {}
    if op.input_shape is not None:
        errors = Problems()
        checked = validate(op.input_shape, params, "", errors, instance.services.validation(service) or DEFAULT_STYLE)
        if errors:
            raise ValidationError(errors)
    try:
        handler = instance.handlers[service, name]
    except KeyError:
        raise not_implemented(service, name) from None
    ctx = RequestContext(instance.runtime, account, region, service, name, base_url, new_request_id())
    return handler(ctx, checked) or {}


def sdk_view(service: str, name: str, output: dict[str, Any]) -> dict[str, Any]:
    """What boto3 returns for ``output`` (without its ResponseMetadata)."""
    from botocore.compat import HTTPHeaders
    from botocore.parsers import create_parser

    op = operation(service, name)
    status, headers, body = serialize_response(service, op, output)
    wire_headers = HTTPHeaders()
    for key, value in headers.items():
        wire_headers[key] = value
    parsed = create_parser(service_model(service).protocol).parse(
        {"status_code": status, "headers": wire_headers, "body": body}, op.output_shape)
    parsed.pop("ResponseMetadata", None)
    return parsed


def describe(instance: LocalExport, account: str, region: str, service: str, name: str, params: dict[str, Any],
             base_url: str = "") -> dict[str, Any]:
    return sdk_view(service, name, call(instance, account, region, service, name, params, base_url))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON")


def to_json(value: Any, indent: int | None = 2) -> str:
    """An SDK answer as JSON text: timestamps in ISO 8601, blobs in base64 (as the AWS CLI prints them)."""
    return json.dumps(value, indent=indent, default=_plain, ensure_ascii=False)
