"""Code hooks registered for the runtime: what answers a bot's Lambda invocations here.

AWS calls the Lambda function named in the alias's ``botAliasLocaleSettings``; here a code hook is, per
account, region, bot, alias and locale, either

- an HTTP endpoint, registered through the test controls (the console action ``lexv2-runtime``
  ``PutCodeHook``, in Python, over ``/_localexport/control/console/...`` and from ``RemoteControls``): the
  runtime POSTs the Lambda input event as JSON and takes the JSON body of a 2xx answer as the Lambda's
  response.  Kept in the store, so every server of a shared instance calls it and a restart keeps it; or
- a Python callable (Lambda input event -> Lambda response) registered with ``register``, for in-process
  and embedded instances (kept in the instance's memory; it wins over an endpoint).

With neither, the bot behaves as if no code hook were enabled (dialog.py).  An endpoint that cannot be
reached, times out, answers an error status or something other than a JSON object is a Lambda failing:
DependencyFailedException, as AWS answers for a Lambda error.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from ...aws.errors import AWSError
from ...core.runtime import RequestContext, Runtime
from ...core.store import Doc
from .dialog import Hook

CACHE = "lexv2.code_hooks"
KIND = "lex_code_hook"
TIMEOUT = 30.0  # seconds: Lex waits this long for a dialog code hook's Lambda before it gives up
MAX_RESPONSE = 6 * 1024 * 1024  # bytes: a synchronous Lambda invocation's response payload limit


def register(runtime: Runtime, account: str, region: str, bot_id: str, alias_id: str, locale_id: str,
             hook: Hook | None) -> None:
    """Make the Python callable ``hook`` answer the code hooks of (bot, alias, locale); None removes it."""
    hooks = runtime.caches.setdefault(CACHE, {})
    key = (account, region, bot_id, alias_id, locale_id)
    if hook is None:
        hooks.pop(key, None)
    else:
        hooks[key] = hook


def _key(bot_id: str, alias_id: str, locale_id: str) -> str:
    return f"{bot_id}/{alias_id}/{locale_id}"


def put_endpoint(ctx: RequestContext, bot_id: str, alias_id: str, locale_id: str, url: str | None) -> None:
    """Make the endpoint ``url`` answer the code hooks of (bot, alias, locale) in the caller's account and
    region; None removes it."""
    key = _key(bot_id, alias_id, locale_id)
    if url is None:
        ctx.store.remove(ctx.scope, KIND, key)
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AWSError("ValidationException", f"url must be an http:// or https:// URL, not {url!r}.")
    now = ctx.clock.now()
    doc = Doc(KIND, key, f"{bot_id}/{alias_id}", locale_id, {"url": url}, now, now)
    if ctx.store.get(ctx.scope, KIND, key) is None:
        ctx.store.put(ctx.scope, doc)
    else:
        ctx.store.replace(ctx.scope, doc)


def find(ctx: RequestContext, bot_id: str, alias_id: str, locale_id: str) -> Hook | None:
    python = ctx.runtime.caches.get(CACHE, {}).get((ctx.account, ctx.region, bot_id, alias_id, locale_id))
    if python is not None:
        return python
    doc = ctx.store.get(ctx.scope, KIND, _key(bot_id, alias_id, locale_id))
    return _endpoint(doc.body["url"]) if doc else None


def _endpoint(url: str) -> Hook:
    parts = urlsplit(url)
    shown = f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"  # no secrets in errors

    def call(event: dict[str, Any]) -> Any:
        import httpx  # (at the first hook's call: a bot without one never needs it)

        # straight to the registered URL: no proxy from the server's environment, no redirect followed
        try:
            with httpx.Client(trust_env=False, follow_redirects=False, timeout=TIMEOUT) as client, \
                    client.stream("POST", url, json=event) as answer:
                if not answer.is_success:
                    raise RuntimeError(f"{shown} answered HTTP {answer.status_code}")
                body = bytearray()
                for chunk in answer.iter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE:
                        raise RuntimeError(f"{shown} answered more than {MAX_RESPONSE} bytes")
        except httpx.HTTPError as error:
            raise RuntimeError(f"{shown} could not be reached ({error.__class__.__name__})") from None
        try:
            return json.loads(body)
        except ValueError:
            raise RuntimeError(f"{shown} did not answer JSON") from None

    return call
