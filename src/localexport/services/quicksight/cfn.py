"""The CLOUDFORMATION_JSON form of an asset bundle: one template, shaped as the real
exports are (description, ``ResourceIdPrefixForAllResources``, generated logical
ids, ``Fn::Sub`` for account and ids, ``Fn::GetAtt`` between exported assets),
with a parameter for every property ``CloudFormationOverridePropertyConfiguration``
names."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from typing import Any

from botocore.model import Shape

from ...core.runtime import RequestContext
from . import assets as a
from .bundle import Selection, create_shape, memberships

PREFIX = "ResourceIdPrefixForAllResources"
IDENTITY_REGION = "IdentityRegion"

# The Create* request members written as properties of each AWS::QuickSight type (read-only
# attributes and request-only members such as FolderArns are not properties).
PROPERTIES = {
    "DataSource": {"AlternateDataSourceParameters", "Credentials", "DataSourceId", "DataSourceParameters",
                   "Name", "Permissions", "SslProperties", "Tags", "Type", "VpcConnectionProperties"},
    "DataSet": {"ColumnGroups", "ColumnLevelPermissionRules", "DataSetId", "DataSetRefreshProperties",
                "DataSetUsageConfiguration", "DatasetParameters", "FieldFolders", "ImportMode", "LogicalTableMap",
                "Name", "Permissions", "PhysicalTableMap", "RowLevelPermissionDataSet",
                "RowLevelPermissionTagConfiguration", "Tags"},
    "Theme": {"BaseThemeId", "Configuration", "Name", "Permissions", "Tags", "ThemeId", "VersionDescription"},
    "Analysis": {"AnalysisId", "Definition", "Name", "Parameters", "Permissions", "Tags", "ThemeArn",
                 "ValidationStrategy"},
    "Dashboard": {"DashboardId", "DashboardPublishOptions", "Definition", "Name", "Parameters", "Permissions",
                  "Tags", "ThemeArn", "ValidationStrategy", "VersionDescription"},
    "Folder": {"FolderId", "FolderType", "Name", "ParentFolderArn", "Permissions", "SharingModel", "Tags"},
    "VPCConnection": {"DnsResolvers", "Name", "RoleArn", "SecurityGroupIds", "SubnetIds", "Tags", "VPCConnectionId"},
    "RefreshSchedule": {"DataSetId", "Schedule"},
}

# CloudFormationOverridePropertyConfiguration members; property -> where it is in the properties
_OVERRIDES = ("VPCConnections", "RefreshSchedules", "DataSources", "DataSets", "Themes", "Analyses", "Dashboards",
              "Folders")
_PATHS = {
    "DisableSsl": ("SslProperties", "DisableSsl"), "SecretArn": ("Credentials", "SecretArn"),
    "Username": ("Credentials", "CredentialPair", "Username"), "Password": ("Credentials", "CredentialPair", "Password"),
    "StartAfterDateTime": ("Schedule", "StartAfterDateTime"),
    "RefreshFailureEmailAlertStatus": ("DataSetRefreshProperties", "FailureConfiguration", "EmailAlert", "AlertStatus"),
}


@cache
def _cfn_schemas() -> dict[str, dict[str, dict[str, Any]]]:
    """What CloudFormation takes, per resource type and nested definition (tools/gen_cfn_properties.py)."""
    return json.loads(files(__package__).joinpath("cfn_properties.json").read_text())


def prune(type_name: str, definition: str, value: Any) -> Any:
    """``value`` without the members CloudFormation's schema of ``type_name`` does not have
    (API members newer than the resource schemas), so the template deploys and lints."""
    props = _cfn_schemas()[type_name].get(definition)
    if props is None or not isinstance(value, dict):
        return value
    out = {}
    for name, item in value.items():
        if name not in props:
            continue
        if props[name] is None:
            out[name] = item
            continue
        kind, child = props[name]
        if kind == "s":
            out[name] = prune(type_name, child, item)
        elif kind == "l" and isinstance(item, list):
            out[name] = [prune(type_name, child, v) for v in item]
        elif kind == "m" and isinstance(item, dict):
            out[name] = {k: prune(type_name, child, v) for k, v in item.items()}
        else:
            out[name] = item
    return out


def logical_id(kind: a.AssetType, key: str) -> str:
    """Like the real exports: the id's first 20 alphanumerics and a 6-character hash."""
    digest = hashlib.sha1(f"{kind.name}/{key}".encode(), usedforsecurity=False).hexdigest()[:6].upper()
    return re.sub(r"[^A-Za-z0-9]", "", key)[:20] + digest


def _timestamps(shape: Shape, value: Any) -> Any:
    """Timestamps as ISO 8601 strings, as CloudFormation takes them."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {k: _timestamps(shape.members[k], v) if k in shape.members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_timestamps(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _timestamps(shape.value, v) for k, v in value.items()}
    if kind == "timestamp" and isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


class _Template:
    def __init__(self, ctx: RequestContext, chosen: Selection, spec: dict[str, Any]):
        self.ctx = ctx
        self.spec = spec
        config = spec.get("CloudFormationOverridePropertyConfiguration") or {}
        self.prefix = bool((config.get("ResourceIdOverrideConfiguration") or {}).get("PrefixForAllResources"))
        self.logical = {a.arn_of(ctx, kind, doc.key): logical_id(kind, doc.key) for kind, doc in chosen.ordered()}
        self.docs = {(kind.name, doc.key): doc for kind, doc in chosen.ordered()}
        self.parameters: dict[str, Any] = {}
        self.uses_identity_region = False
        self.overrides: dict[str, list[str]] = {}
        for member in _OVERRIDES:
            for entry in config.get(member) or []:
                self.overrides.setdefault(entry["Arn"], []).extend(entry["Properties"])

    def asset_id(self, value: str) -> Any:
        return {"Fn::Sub": f"${{{PREFIX}}}{value}"} if self.prefix else value

    def references(self, value: Any) -> Any:
        """ARNs of exported assets become ``Fn::GetAtt``; principals of this account ``Fn::Sub``."""
        if isinstance(value, dict):
            return {k: self.references(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.references(v) for v in value]
        if isinstance(value, str) and value in self.logical:
            return {"Fn::GetAtt": [self.logical[value], "Arn"]}
        return value

    def principal(self, value: str) -> Any:
        match = re.fullmatch(rf"arn:aws:quicksight:([a-z0-9-]+):{self.ctx.account}:(.+)", value)
        if not match:
            return value
        self.uses_identity_region = True
        return {"Fn::Sub": f"arn:${{AWS::Partition}}:quicksight:${{{IDENTITY_REGION}}}:${{AWS::AccountId}}:"
                           f"{match.group(2)}"}

    def parameterize(self, kind: a.AssetType, key: str, properties: dict[str, Any]) -> None:
        for prop in self.overrides.get(a.arn_of(self.ctx, kind, key), []):
            path = _PATHS.get(prop) or self._parameter_path(prop, properties)
            if path is None:
                continue
            holder = properties
            for step in path[:-1]:
                holder = holder.get(step) if isinstance(holder, dict) else None
            if not isinstance(holder, dict) or (path[-1] not in holder and prop != "Password"):
                continue  # nothing to parameterize: the asset does not set this property
            if prop == "Password":
                holder = properties.setdefault("Credentials", {}).setdefault("CredentialPair", {})
            current = holder.get(path[-1])
            name = re.sub(r"[^A-Za-z0-9]", "", f"{kind.name}{key}{prop}")
            parameter: dict[str, Any] = {"Type": "String", "Description": f"{prop} of {kind.name} {key}"}
            if prop == "Password":
                parameter["NoEcho"] = True
            elif isinstance(current, bool):
                parameter.update(AllowedValues=["true", "false"], Default=str(current).lower())
            elif isinstance(current, (int, float)):
                parameter.update(Type="Number", Default=str(current))
            elif isinstance(current, list):
                parameter.update(Type="CommaDelimitedList", Default=",".join(map(str, current)))
            elif current is not None:
                parameter["Default"] = str(current)
            self.parameters[name] = parameter
            holder[path[-1]] = {"Ref": name}

    @staticmethod
    def _parameter_path(prop: str, properties: dict[str, Any]) -> tuple[str, ...] | None:
        if prop in ("Name", "DnsResolvers", "RoleArn", "ParentFolderArn") and (prop in properties or prop == "Name"):
            return (prop,)
        for holder, inner in (properties.get("DataSourceParameters") or {}).items():  # e.g. AthenaParameters
            if isinstance(inner, dict) and prop in inner:
                return ("DataSourceParameters", holder, prop)
        return None

    def resource(self, kind: a.AssetType, key: str, body: dict[str, Any]) -> dict[str, Any]:
        request = {k: v for k, v in body.items() if not k.startswith("_") and k in PROPERTIES[kind.name]}
        request = prune(kind.name, "", _timestamps(create_shape(kind), request))
        properties: dict[str, Any] = {"AwsAccountId": {"Fn::Sub": "${AWS::AccountId}"}}
        resource: dict[str, Any] = {"Type": kind.cfn_type}
        if kind is a.REFRESH_SCHEDULE:
            schedule = dict(request.get("Schedule") or {})
            frequency = dict(schedule.get("ScheduleFrequency") or {})
            if "Timezone" in frequency:  # the one name CloudFormation spells differently from the API
                frequency["TimeZone"] = frequency.pop("Timezone")
                request["Schedule"] = {**schedule, "ScheduleFrequency": frequency}
            data_set = key.split("/", 1)[0]
            properties["DataSetId"] = self.asset_id(data_set)
            parent = self.logical.get(a.arn(self.ctx, a.DATA_SET, data_set))
            if parent:
                resource["DependsOn"] = [parent]
        else:
            properties[kind.id_member] = self.asset_id(key)
        for name, value in request.items():
            if name not in properties:
                properties[name] = self.references(value)
        if kind in (a.ANALYSIS, a.DASHBOARD) and "ValidationStrategy" not in properties:
            strict = (self.spec.get("ValidationStrategy") or {}).get("StrictModeForAllResources")
            properties["ValidationStrategy"] = {"Mode": "STRICT" if strict else "LENIENT"}
        if self.spec.get("IncludePermissions") and body.get("_permissions") and "Permissions" in PROPERTIES[kind.name]:
            properties["Permissions"] = [{"Actions": p["Actions"], "Principal": self.principal(p["Principal"])}
                                         for p in body["_permissions"]]
        if self.spec.get("IncludeFolderMemberships") and "FolderArns" in _cfn_schemas()[kind.name][""]:
            folders = memberships(self.ctx, kind, self.docs[(kind.name, key)])
            if folders:
                properties["FolderArns"] = self.references(folders)
        if self.spec.get("IncludeTags") and body.get("_tags") and "Tags" in PROPERTIES[kind.name]:
            properties["Tags"] = body["_tags"]
        self.parameterize(kind, key, properties)
        resource["Properties"] = dict(sorted(properties.items()))
        return resource


def write_template(ctx: RequestContext, chosen: Selection, spec: dict[str, Any], job_id: str, started: float) -> bytes:
    template = _Template(ctx, chosen, spec)
    resources = {logical_id(kind, doc.key): template.resource(kind, doc.key, doc.body)
                 for kind, doc in chosen.ordered()}
    parameters: dict[str, Any] = {}
    if template.uses_identity_region:
        parameters[IDENTITY_REGION] = {"Default": ctx.region, "Description": "Identity region for this account",
                                       "Type": "String"}
    if template.prefix:
        parameters[PREFIX] = {"Default": "", "Description": "Resource id prefix for all resources", "Type": "String"}
    parameters.update(template.parameters)
    when = datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%d %H:%M:%S")
    document = {"AWSTemplateFormatVersion": "2010-09-09",
                "Description": f"Generated by AWS QuickSight for {job_id} started at {when} UTC"}
    if parameters:
        document["Parameters"] = parameters
    document["Resources"] = resources
    return json.dumps(document, indent=1).encode()
