"""Code hooks registered for the runtime: what answers a bot's Lambda invocations here.

AWS calls the Lambda function named in the alias's ``botAliasLocaleSettings``; here a test registers a
Python callable (Lambda input event -> Lambda response) per bot, alias and locale with ``register``
(in-process and embedded instances).  With none registered the bot behaves as if no code hook were
enabled (dialog.py).
"""

from __future__ import annotations

from ...core.runtime import Runtime
from .dialog import Hook

CACHE = "lexv2.code_hooks"


def register(runtime: Runtime, account: str, region: str, bot_id: str, alias_id: str, locale_id: str,
             hook: Hook | None) -> None:
    """Make ``hook`` answer the code hooks of (bot, alias, locale); None removes it."""
    hooks = runtime.caches.setdefault(CACHE, {})
    key = (account, region, bot_id, alias_id, locale_id)
    if hook is None:
        hooks.pop(key, None)
    else:
        hooks[key] = hook


def find(runtime: Runtime, account: str, region: str, bot_id: str, alias_id: str, locale_id: str) -> Hook | None:
    return runtime.caches.get(CACHE, {}).get((account, region, bot_id, alias_id, locale_id))
