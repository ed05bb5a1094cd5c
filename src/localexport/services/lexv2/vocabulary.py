"""Custom vocabularies: one document per DRAFT locale, under the locale's key."""

from __future__ import annotations

from typing import Any

from ...core.pagination import InvalidToken, page
from ...core.runtime import RequestContext
from ...core.store import Doc
from . import resources as r
from .errors import not_found, validation
from .handlers import locale_doc, op

KIND = "custom_vocabulary"


def key_of(locale_key: str) -> str:
    return f"{locale_key}/customvocabulary"


def find(ctx: RequestContext, locale_key: str) -> Doc | None:
    return ctx.store.get(ctx.scope, KIND, key_of(locale_key))


def items_of(ctx: RequestContext, locale_key: str) -> list[dict[str, Any]] | None:
    doc = find(ctx, locale_key)
    return doc.body["items"] if doc else None


def save_items(ctx: RequestContext, locale_key: str, items: list[dict[str, Any]]) -> None:
    """Create or replace a locale's vocabulary (item ids assigned where missing)."""
    now = ctx.clock.now()
    numbered = [{**item, "itemId": item.get("itemId") or ctx.ids.short()} for item in items]
    doc = find(ctx, locale_key)
    if doc is None:
        body = {"items": numbered, r.CREATED: now, r.UPDATED: now, "customVocabularyStatus": "Ready"}
        ctx.store.put(ctx.scope, Doc(KIND, key_of(locale_key), locale_key, None, body, now, now))
    else:
        r.save(ctx, doc, {**doc.body, "items": numbered, r.UPDATED: now})


def _require(ctx: RequestContext, params: dict[str, Any]) -> tuple[Doc, Doc]:
    locale = locale_doc(ctx, params)
    doc = find(ctx, locale.key)
    if doc is None:
        raise not_found(ctx.operation, f"Bot locale {params['localeId']} of bot {params['botId']} has no custom "
                                       "vocabulary.")
    return locale, doc


@op("DescribeCustomVocabularyMetadata")
def describe_metadata(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _, doc = _require(ctx, params)
    return {**{k: params[k] for k in ("botId", "botVersion", "localeId")}, **doc.body}


@op("DeleteCustomVocabulary")
def delete(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _, doc = _require(ctx, params)
    ctx.store.remove(ctx.scope, KIND, doc.key)
    return {**{k: params[k] for k in ("botId", "botVersion", "localeId")}, "customVocabularyStatus": "Deleting"}


@op("ListCustomVocabularyItems")
def list_items(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _, doc = _require(ctx, params)
    try:
        chunk, token = page(doc.body["items"], params.get("maxResults", 100), params.get("nextToken"),
                            {k: params[k] for k in ("botId", "botVersion", "localeId")})
    except InvalidToken as error:
        raise validation(str(error)) from None
    return {**{k: params[k] for k in ("botId", "botVersion", "localeId")}, "customVocabularyItems": chunk,
            "nextToken": token}
