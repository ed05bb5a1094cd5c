"""An import started from an archive dropped on the console, through the services' own operations (the
same handlers an SDK's calls reach): Lex V2 CreateUploadUrl + the upload + StartImport, Lex V1
StartImport, QuickSight StartAssetBundleImportJob with the bundle as its body."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ..core.urls import PREFIX
from .calls import call

if TYPE_CHECKING:
    from ..app import LocalExport

KINDS = ("lexv2", "lexv1", "quicksight")
QS_FOLDERS = ("dashboard/", "analysis/", "dataset/", "datasource/", "theme/", "folder/", "vpcConnection/")


class UploadProblem(ValueError):
    """An archive the console cannot tell what to do with (said on the page)."""


@dataclass(frozen=True)
class Started:
    service: str
    aws_id: str  # what the service's Describe/Get call takes


def _zip(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UploadProblem("the file is not a zip archive (a Lex export .zip or a QuickSight .qs)") from None


def detect(filename: str, data: bytes) -> str:
    """Which service's archive this is: Lex V2 (Manifest.json), QuickSight (asset folders, or .qs), Lex V1."""
    names = _zip(data).namelist()
    if filename.lower().endswith(".qs") or any(n.startswith(QS_FOLDERS) for n in names):
        return "quicksight"
    if any(n.rsplit("/", 1)[-1] == "Manifest.json" for n in names):
        return "lexv2"
    if any(n.endswith(".json") for n in names):
        return "lexv1"
    raise UploadProblem("the archive holds neither a Lex export nor a QuickSight bundle")


def _json(archive: zipfile.ZipFile, name: str) -> dict[str, Any]:
    try:
        value = json.loads(archive.read(name))
    except (ValueError, RuntimeError):  # not JSON, or encrypted (RuntimeError: password required)
        return {}
    return value if isinstance(value, dict) else {}


def _lexv2_spec(data: bytes, account: str, form: dict[str, str]) -> dict[str, Any]:
    archive = _zip(data)
    bot_file = next((n for n in archive.namelist() if n.count("/") == 1 and n.endswith("/Bot.json")), None)
    bot = _json(archive, bot_file) if bot_file else {}
    name = form.get("botName") or bot.get("name")
    if not name:
        raise UploadProblem("the archive has no readable Bot.json: give the bot's name")
    return {"botImportSpecification": {
        "botName": name,
        "roleArn": form.get("roleArn") or f"arn:aws:iam::{account}:role/LexV2ConsoleImport",
        "dataPrivacy": bot.get("dataPrivacy") or {"childDirected": False},
        "idleSessionTTLInSeconds": int(bot.get("idleSessionTTLInSeconds") or 300),
    }}


def _lexv1_type(data: bytes) -> str:
    archive = _zip(data)
    document = next((_json(archive, n) for n in archive.namelist() if n.endswith(".json")), {})
    resource = document.get("resource") or {}
    if "intents" in resource:
        return "BOT"
    return "SLOT_TYPE" if "enumerationValues" in resource else "INTENT"


def _upload(instance: LocalExport, url: str, data: bytes) -> None:
    """The PUT an SDK user sends to the upload URL, done in-process with the same checks."""
    parts = urlsplit(url)
    key = unquote(parts.path.removeprefix(PREFIX))
    runtime = instance.runtime
    runtime.urls.verify("PUT", key, dict(parse_qsl(parts.query)))
    incoming = runtime.artifacts.incoming(key)
    try:
        incoming.write(data)
        incoming.publish(True)
    finally:
        incoming.discard()


def start(instance: LocalExport, account: str, region: str, filename: str, data: bytes, form: dict[str, str],
          base_url: str) -> Started:
    """Start the import of ``data`` (AWSError as the service answers it)."""
    kind = form.get("kind") or "auto"
    if kind == "auto":
        kind = detect(filename, data)
    if kind not in KINDS:
        raise UploadProblem(f"unknown archive kind {kind}")
    if kind == "lexv2":
        service = "lexv2-models"
        slot = call(instance, account, region, service, "CreateUploadUrl", {}, base_url)
        _upload(instance, slot["uploadUrl"], data)
        params: dict[str, Any] = {"importId": slot["importId"], "resourceSpecification": _lexv2_spec(data, account, form),
                                  "mergeStrategy": form.get("mergeStrategy") or "FailOnConflict"}
        if form.get("filePassword"):
            params["filePassword"] = form["filePassword"]
        started = call(instance, account, region, service, "StartImport", params, base_url)
        return Started(service, started["importId"])
    if kind == "lexv1":
        service = "lex-models"
        v1_strategy = form.get("mergeStrategy") if form.get("mergeStrategy") in ("OVERWRITE_LATEST",) else None
        started = call(instance, account, region, service, "StartImport",
                       {"payload": data, "resourceType": form.get("resourceType") or _lexv1_type(data),
                        "mergeStrategy": v1_strategy or "FAIL_ON_CONFLICT"}, base_url)
        return Started(service, started["importId"])
    service = "quicksight"
    job_id = form.get("jobId") or f"console-{instance.runtime.ids.uuid()}"
    params = {"AwsAccountId": account, "AssetBundleImportJobId": job_id, "AssetBundleImportSource": {"Body": data}}
    if form.get("failureAction") in ("DO_NOTHING", "ROLLBACK"):
        params["FailureAction"] = form["failureAction"]
    started = call(instance, account, region, service, "StartAssetBundleImportJob", params, base_url)
    return Started(service, started["AssetBundleImportJobId"])
