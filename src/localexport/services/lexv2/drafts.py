"""What another service may do to Lex V2 bots (the Lex V1 -> V2 migration): find a bot by name, check a
locale's content as an import checks an archive's, and write it into a bot's DRAFT as an import does."""

from __future__ import annotations

from typing import Any

from ...core.runtime import RequestContext, Runtime
from . import imports
from . import resources as r
from .lexjson import LocaleContent

SERVICE = "lexv2-models"


def _context(runtime: Runtime, account: str, region: str) -> RequestContext:
    return RequestContext(runtime, account, region, SERVICE, "StartImport", "")


def bot_id_named(runtime: Runtime, account: str, region: str, name: str) -> str | None:
    doc = runtime.store.find(_context(runtime, account, region).scope, r.BOT.kind, None, name)
    return doc.body["botId"] if doc else None


def problems(content: LocaleContent) -> list[str]:
    """What an import would refuse in ``content`` (the model's constraints, references between resources)."""
    reasons: list[str] = []
    imports.validate_locale(content, reasons)
    return reasons


def write(runtime: Runtime, account: str, region: str, settings: dict[str, Any], content: LocaleContent,
          bot_id: str) -> str:
    """Give bot ``bot_id`` (made now if it does not exist) ``settings`` and replace its DRAFT's locale with
    ``content``; the caller's transaction makes it all or nothing.  Raises JobFailed or the resources' AWSError."""
    ctx = _context(runtime, account, region)
    existing = r.find(ctx, r.BOT, {"botId": bot_id})
    bot = imports.write_bot(ctx, settings, existing, bot_id)
    imports.write_locale(ctx, bot["botId"], content.locale["localeId"], content, "Overwrite", {})
    return bot["botId"]
