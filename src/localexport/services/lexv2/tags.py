"""Lex V2 TagResource, UntagResource, ListTagsForResource: bots, bot aliases and test sets.

A bot's tags start as CreateBot's ``botTags``, its TestBotAlias's as
``testBotAliasTags``, a test set's as ``testSetTags``; UpdateBot and
UpdateBotAlias do not change them (as AWS: only these operations do).
"""

from __future__ import annotations

from typing import Any

from ...core import tags
from ...core.runtime import RequestContext
from ...core.store import Doc
from . import resources as r
from .errors import validation
from .handlers import op
from .testsets import TEST_SET

MAX_TAGS = 200  # per resource through the API (the model's TagMap size; the console stops at 50)
TAGGABLE = {**r.ARN_TYPES, "test-set": (TEST_SET, ("testSetId",))}


def _tagged(ctx: RequestContext, params: dict[str, Any]) -> Doc:
    return r.by_arn(ctx, params["resourceARN"], TAGGABLE)


def _current(doc: Doc) -> dict[str, str]:
    body = doc.body
    return body["_tags"] if "_tags" in body else dict(body.get("testSetTags") or {})


@op.claim("TagResource", "UntagResource", "ListTagsForResource")
def _is_v2_arn(ctx: RequestContext, params: dict[str, Any]) -> bool:
    return r.is_v2_arn(params["resourceARN"])


@op("ListTagsForResource")
def list_tags(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"tags": _current(_tagged(ctx, params))}


@op("TagResource")
def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = _tagged(ctx, params)
    reserved = sorted(k for k in params["tags"] if k.lower().startswith("aws:"))
    if reserved:
        raise validation(f"Tag keys starting with aws: are reserved for AWS use: {', '.join(reserved)}.")
    try:
        merged = tags.merge(_current(doc), params["tags"], MAX_TAGS)
    except tags.TooManyTags as error:
        raise validation(str(error)) from None
    r.save(ctx, doc, {**doc.body, "_tags": merged})
    return {}


@op("UntagResource")
def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = _tagged(ctx, params)
    r.save(ctx, doc, {**doc.body, "_tags": tags.remove(_current(doc), params["tagKeys"])})
    return {}
