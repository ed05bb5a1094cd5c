"""Asset bundles: which assets an export takes, and the QUICKSIGHT_JSON (.qs) form.

A ``.qs`` file is a zip of ``{type}/{id}.json`` members (``refreshSchedule/
{dataSetId}/{scheduleId}.json`` for schedules), each the asset's Create* request
in camelCase plus ``resourceType``, as the real bundles are.  Case conversion
walks the botocore shape, so map keys (table ids, ...) are left as they are.
"""

from __future__ import annotations

import io
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from botocore.model import Shape

from ...aws.models import operation
from ...core.archives import write_zip
from ...core.runtime import RequestContext
from ...core.store import Doc
from . import assets as a

_LEADING_CAPITALS = re.compile(r"^[A-Z]+")


def camel(name: str) -> str:
    """``DataSetId`` -> ``dataSetId``, ``VPCConnectionId`` -> ``vpcConnectionId`` (as the Java SDK names them)."""
    run = _LEADING_CAPITALS.match(name)
    if not run:
        return name
    n = len(run.group())
    if n > 1 and n < len(name) and name[n].islower():
        n -= 1  # the last capital starts the next word
    return name[:n].lower() + name[n:]


def convert(shape: Shape, value: Any, to_camel: bool) -> Any:
    """A value of ``shape`` with its structure member names in camelCase (or back to the
    model's names, accepting either form and dropping names the model does not know)."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        out = {}
        if to_camel:
            for name, item in value.items():
                member = shape.members.get(name)
                if member is not None and item is not None:
                    out[camel(name)] = convert(member, item, True)
            return out
        names = {camel(m): m for m in shape.members} | {m: m for m in shape.members}
        for key, item in value.items():
            name = names.get(key)
            if name is not None and item is not None:
                out[name] = convert(shape.members[name], item, False)
        return out
    if kind == "list" and isinstance(value, list):
        return [convert(shape.member, v, to_camel) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: convert(shape.value, v, to_camel) for k, v in value.items()}
    return value


def create_shape(kind: a.AssetType) -> Shape:
    return operation(a.SERVICE, f"Create{kind.name}").input_shape


# -- what an export takes ---------------------------------------------------------------


@dataclass
class Selection:
    found: dict[tuple[str, str], tuple[a.AssetType, Doc]] = field(default_factory=dict)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (arn, type name)

    def add(self, kind: a.AssetType, doc: Doc) -> bool:
        if (kind.name, doc.key) in self.found:
            return False
        self.found[(kind.name, doc.key)] = (kind, doc)
        return True

    def ordered(self) -> list[tuple[a.AssetType, Doc]]:
        rank = {t.name: i for i, t in enumerate(a.TYPES)}
        return sorted(self.found.values(), key=lambda item: (rank[item[0].name], item[1].key))


def references(ctx: RequestContext, body: Any) -> list[str]:
    """Every ARN of an asset of this account that a document mentions (its dependencies)."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if not k.startswith("_"):
                    walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str) and value.startswith("arn:aws:quicksight:") and a.parse_arn(ctx, value):
            found.append(value)

    walk(body)
    return found


def folder_members(ctx: RequestContext, folder: Doc, recurse: bool) -> list[str]:
    arns = [a.arn(ctx, a.MEMBER_TYPES[m["MemberType"]], m["MemberId"]) for m in folder.body.get("_members") or []]
    if recurse:
        folder_arn = a.arn(ctx, a.FOLDER, folder.key)
        for child in ctx.store.all(a.scope(ctx), a.FOLDER.name):
            if child.body.get("ParentFolderArn") == folder_arn:
                arns.append(a.arn(ctx, a.FOLDER, child.key))
                arns.extend(folder_members(ctx, child, True))
    return arns


def select(ctx: RequestContext, spec: dict[str, Any]) -> Selection:
    """The assets ``spec`` (a StartAssetBundleExportJob request) exports: the named ones, with
    their dependencies, data set refresh schedules and folder members when asked."""
    chosen = Selection()
    with_dependencies = spec.get("IncludeAllDependencies", False)
    members_mode = spec.get("IncludeFolderMembers") or "NONE"
    queue = [(value, True) for value in spec["ResourceArns"]]
    while queue:
        value, named = queue.pop(0)
        parsed = a.parse_arn(ctx, value)
        doc = a.find(ctx, *parsed) if parsed else None
        if doc is None:
            kind = parsed[0].name if parsed else "Resource"
            if (value, kind) not in chosen.missing:
                chosen.missing.append((value, kind))
            continue
        kind = parsed[0]
        if not chosen.add(kind, doc):
            continue
        if with_dependencies:
            queue.extend((ref, False) for ref in references(ctx, doc.body))
            if kind is a.DATA_SET:
                queue.extend((a.arn_of(ctx, a.REFRESH_SCHEDULE, s.key), False)
                             for s in ctx.store.all(a.scope(ctx), a.REFRESH_SCHEDULE.name)
                             if s.key.startswith(doc.key + "/"))
        if named and with_dependencies and spec.get("IncludeFolderMemberships") and kind is not a.FOLDER:
            queue.extend((folder, False) for folder in memberships(ctx, kind, doc))  # the folders it is in
        if kind is a.FOLDER and named and members_mode != "NONE":
            queue.extend((ref, True) for ref in folder_members(ctx, doc, members_mode == "RECURSE"))
    return chosen


def memberships(ctx: RequestContext, kind: a.AssetType, doc: Doc) -> list[str]:
    member_type = {v.name: k for k, v in a.MEMBER_TYPES.items()}
    wanted = {"MemberId": doc.key, "MemberType": member_type.get(kind.name)}
    return [a.arn(ctx, a.FOLDER, f.key) for f in ctx.store.all(a.scope(ctx), a.FOLDER.name)
            if wanted in (f.body.get("_members") or [])]


# -- the .qs form -----------------------------------------------------------------------


def member_name(kind: a.AssetType, key: str) -> str:
    return f"{kind.bundle_dir}/{key}.json"


def to_member(ctx: RequestContext, kind: a.AssetType, doc: Doc, spec: dict[str, Any]) -> dict[str, Any]:
    request = {k: v for k, v in doc.body.items() if not k.startswith("_") and k != "Credentials"}
    if kind is not a.REFRESH_SCHEDULE:
        request[kind.id_member] = doc.key
    member = {"resourceType": kind.bundle_dir, **convert(create_shape(kind), request, True)}
    if spec.get("IncludePermissions") and doc.body.get("_permissions"):
        member["permissions"] = [{"principal": p["Principal"], "actions": p["Actions"]}
                                 for p in doc.body["_permissions"]]
    if spec.get("IncludeTags") and doc.body.get("_tags"):
        member["tags"] = [{"key": t["Key"], "value": t["Value"]} for t in doc.body["_tags"]]
    if spec.get("IncludeFolderMemberships") and kind is not a.FOLDER:
        folders = memberships(ctx, kind, doc)
        if folders:
            member["folderMemberships"] = folders
    return member


def write_qs(ctx: RequestContext, chosen: Selection, spec: dict[str, Any]) -> bytes:
    entries = [(member_name(kind, doc.key), json.dumps(to_member(ctx, kind, doc, spec), separators=(",", ":")).encode())
               for kind, doc in chosen.ordered()]
    out = io.BytesIO()
    write_zip(out, entries)
    return out.getvalue()


@dataclass
class Asset:
    """One member of a bundle, read back: the Create* request in the model's names."""

    kind: a.AssetType
    asset_id: str
    request: dict[str, Any]
    permissions: list[dict[str, Any]] | None
    tags: list[dict[str, Any]] | None
    folders: list[str] = field(default_factory=list)  # ARNs of the folders it was a member of


class BundleError(ValueError):
    pass


def read_member(name: str, data: bytes) -> Asset | None:
    """A bundle member as an Asset; None for files that are not assets (ignored, as AWS does)."""
    folder = name.split("/", 1)[0]
    kind = next((t for t in a.TYPES if t.bundle_dir.lower() == folder.lower() and t.exportable), None)
    if kind is None or not name.endswith(".json"):
        return None
    try:
        return _read_member(kind, name, data)
    except RecursionError:
        raise BundleError(f"{name} is nested too deeply.") from None


def _read_member(kind: a.AssetType, name: str, data: bytes) -> Asset:
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise BundleError(f"{name} is not valid JSON.") from None
    if not isinstance(raw, dict):
        raise BundleError(f"{name} is not a JSON object.")
    request = convert(create_shape(kind), raw, False)
    request.pop("AwsAccountId", None)
    if kind is a.REFRESH_SCHEDULE:
        schedule = request.get("Schedule") or {}
        if not request.get("DataSetId") or not schedule.get("ScheduleId"):
            raise BundleError(f"{name} has no dataSetId or schedule.scheduleId.")
        asset_id = f"{request['DataSetId']}/{schedule['ScheduleId']}"
    else:
        asset_id = request.get(kind.id_member) or name.rsplit("/", 1)[-1][: -len(".json")]
        request[kind.id_member] = asset_id
    where = _non_finite(raw)
    if where is not None:
        raise BundleError(f"{name}: {kind.name} {asset_id} has {where[1]} at {where[0]}, which is not a JSON "
                          "number (numbers must be finite).")
    permissions = [{"Principal": p.get("principal") or p.get("Principal"), "Actions": p.get("actions") or
                    p.get("Actions")} for p in raw.get("permissions") or raw.get("Permissions") or []] or None
    tags = [{"Key": t.get("key") or t.get("Key"), "Value": t.get("value") or t.get("Value")}
            for t in raw.get("tags") or raw.get("Tags") or []] or None
    folders = [f for f in raw.get("folderMemberships") or [] if isinstance(f, str)]
    return Asset(kind, asset_id, request, permissions, tags, folders)


def _non_finite(value: Any, path: str = "") -> tuple[str, str] | None:
    """(path, value) of a NaN or Infinity in a document: Python's json reads them, JSON and AWS do not."""
    if isinstance(value, float) and not math.isfinite(value):
        return path or "the top level", json.dumps(value)
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _non_finite(item, f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else key)
        if found:
            return found
    return None
