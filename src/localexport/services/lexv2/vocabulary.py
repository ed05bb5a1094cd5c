"""Custom vocabularies: one document per DRAFT locale, under the locale's key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...core.pagination import InvalidToken, page
from ...core.runtime import RequestContext
from ...core.store import Doc
from . import resources as r
from .errors import not_found, quota, validation
from .handlers import locale_doc, mark_unbuilt, op

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


# -- item batches ------------------------------------------------------------------------------

MAX_ITEMS = 500  # phrases per custom vocabulary (Lex V2 quotas)


def _draft_locale(ctx: RequestContext, params: dict[str, Any]) -> Doc:
    if params["botVersion"] != r.DRAFT:
        raise validation("Custom vocabulary items can only be changed in the DRAFT version.")
    return locale_doc(ctx, params)


def _batch(ctx: RequestContext, params: dict[str, Any], items: list[dict[str, Any]], changed: list[dict[str, Any]],
           errors: list[dict[str, Any]]) -> dict[str, Any]:
    """Save a batch's outcome: the items that passed are written (the vocabulary made if it had none)."""
    locale = locale_doc(ctx, params)
    if changed:
        if len(items) > MAX_ITEMS:
            raise quota(f"A custom vocabulary can hold at most {MAX_ITEMS} items.")
        save_items(ctx, locale.key, items)
        mark_unbuilt(ctx, params)
    return {**{k: params[k] for k in ("botId", "botVersion", "localeId")}, "resources": changed, "errors": errors}


def _failed(item_id: str | None, code: str, message: str) -> dict[str, Any]:
    return {"itemId": item_id, "errorCode": code, "errorMessage": message}


@op("BatchCreateCustomVocabularyItem")
def batch_create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    locale = _draft_locale(ctx, params)
    items = list(items_of(ctx, locale.key) or [])
    phrases = {i["phrase"].lower() for i in items}
    changed, errors, seen = [], [], set()
    for new in params["customVocabularyItemList"]:
        phrase = new["phrase"].lower()
        if phrase in seen:
            errors.append(_failed(None, "DUPLICATE_INPUT", f"The phrase {new['phrase']} is in the batch twice."))
        elif phrase in phrases:
            errors.append(_failed(None, "RESOURCE_ALREADY_EXISTS",
                                  f"The phrase {new['phrase']} is already in the custom vocabulary."))
        else:
            item = {**new, "itemId": ctx.ids.short()}
            items.append(item)
            changed.append(item)
        seen.add(phrase)
    return _batch(ctx, params, items, changed, errors)


def _edit(ctx: RequestContext, params: dict[str, Any],
          change: Callable[[dict[str, dict[str, Any]], dict[str, Any]], dict[str, Any] | str]) -> dict[str, Any]:
    """BatchUpdate and BatchDelete: each entry names an item by id; ``change`` applies it to the items by id
    and returns the item, or why it cannot (RESOURCE_ALREADY_EXISTS)."""
    _draft_locale(ctx, params)
    locale, _ = _require(ctx, params)  # items of a vocabulary that is not there do not exist
    by_id = {i["itemId"]: i for i in items_of(ctx, locale.key) or []}
    changed, errors, seen = [], [], set()
    for entry in params["customVocabularyItemList"]:
        item_id = entry["itemId"]
        if item_id in seen:
            errors.append(_failed(item_id, "DUPLICATE_INPUT", f"The item {item_id} is in the batch twice."))
        elif item_id not in by_id:
            errors.append(_failed(item_id, "RESOURCE_DOES_NOT_EXIST", f"The item {item_id} does not exist."))
        else:
            outcome = change(by_id, entry)
            if isinstance(outcome, str):
                errors.append(_failed(item_id, "RESOURCE_ALREADY_EXISTS", outcome))
            else:
                changed.append(outcome)
        seen.add(item_id)
    return _batch(ctx, params, list(by_id.values()), changed, errors)


def _update(by_id: dict[str, dict[str, Any]], update: dict[str, Any]) -> dict[str, Any] | str:
    clash = next((i for i in by_id.values() if i["itemId"] != update["itemId"]
                  and i["phrase"].lower() == update["phrase"].lower()), None)
    if clash is not None:
        return f"The phrase {update['phrase']} is already item {clash['itemId']}."
    by_id[update["itemId"]] = dict(update)  # an update replaces the item: weight and displayAs left out are cleared
    return by_id[update["itemId"]]


@op("BatchUpdateCustomVocabularyItem")
def batch_update(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _edit(ctx, params, _update)


@op("BatchDeleteCustomVocabularyItem")
def batch_delete(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _edit(ctx, params, lambda by_id, entry: by_id.pop(entry["itemId"]))
