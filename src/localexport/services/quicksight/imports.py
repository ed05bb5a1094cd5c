"""Asset bundle import jobs: a .qs bundle (from the request body or S3) -> assets of this
account, each created or updated, with overrides, in one store transaction; ROLLBACK discards
it when the job fails."""

from __future__ import annotations

import io
import json
import re
import uuid
from typing import Any

from ...aws.errors import ValidationError
from ...aws.validation import SerializationError, validate
from ...core.archives import ArchiveError, open_zip
from ...core.jobs import JobFailed, JobOutcome, cut
from ...core.objects import ObjectError, S3Url
from ...core.runtime import JobName, RequestContext, Runtime
from ...core.store import Job
from . import assets as a
from . import bundle, checks, jobs, principals, versions
from .assets import op
from .errors import invalid

KIND = "quicksight.asset-bundle-import"
LABEL = "Asset bundle import job"
URL_SECONDS = 300
op.names_jobs(KIND)(lambda job: JobName(job.spec["AssetBundleImportJobId"]))
_ARN = re.compile(r"arn:aws:quicksight:[a-z0-9-]+:\d{12}:(datasource|dataset|theme|analysis|dashboard|folder|"
                  r"vpcConnection)/([\w-]+)")
_PRINCIPAL = re.compile(r"^(arn:aws:quicksight:[a-z0-9-]+:)\d{12}(:(?:user|group|namespace)/)")
# Data source types that connect without credentials (an IAM role or the account's own access).
NO_CREDENTIALS = {"ATHENA", "S3", "TIMESTREAM", "AWS_IOT_ANALYTICS", "GLUE"}
_OVERRIDE_MEMBERS = {"VPCConnections": a.VPC_CONNECTION, "DataSources": a.DATA_SOURCE, "DataSets": a.DATA_SET,
                     "Themes": a.THEME, "Analyses": a.ANALYSIS, "Dashboards": a.DASHBOARD, "Folders": a.FOLDER}


def _arn(ctx: RequestContext, job_id: str) -> str:
    return f"arn:aws:quicksight:{ctx.region}:{ctx.account}:asset-bundle-import-job/{job_id}"


@op("StartAssetBundleImportJob")
def start(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    a.check_account(ctx, params)
    source = params["AssetBundleImportSource"]
    if ("Body" in source) == ("S3Uri" in source):
        raise invalid("AssetBundleImportSource needs exactly one of Body or S3Uri.")
    spec = {k: v for k, v in params.items() if k not in ("AwsAccountId", "AssetBundleImportSource")}
    spec["FailureAction"] = params.get("FailureAction") or "DO_NOTHING"
    job_id = params["AssetBundleImportJobId"]
    if "Body" in source:
        key = f"quicksight/{jobs.engine_id(ctx, KIND, job_id)}/upload-{uuid.uuid4().hex}.qs"
        with ctx.runtime.artifacts.writer(key) as out:
            out.write(source["Body"])
        spec["_upload"] = key
    else:
        try:
            S3Url.parse(source["S3Uri"])
        except ValueError:
            raise invalid(f"{source['S3Uri']} is not an S3 URI.") from None
        spec["S3Uri"] = source["S3Uri"]
    # credentials in OverrideParameters are used by the job, never shown again
    secrets = {"OverrideParameters": params.get("OverrideParameters")} if params.get("OverrideParameters") else None
    spec["OverrideParameters"] = _without_passwords(params.get("OverrideParameters"))
    jobs.submit(ctx, KIND, job_id, spec, LABEL, secrets)
    return {"Arn": _arn(ctx, job_id), "AssetBundleImportJobId": job_id, "RequestId": ctx.request_id, "Status": 202}


def _without_passwords(overrides: dict[str, Any] | None) -> dict[str, Any] | None:
    if not overrides:
        return overrides
    clean = json.loads(json.dumps(overrides, default=str))
    for source in clean.get("DataSources") or []:
        pair = (source.get("Credentials") or {}).get("CredentialPair")
        if pair:
            pair.pop("Password", None)
    return clean


def _summary(ctx: RequestContext, job: Job) -> dict[str, Any]:
    return {"JobStatus": jobs.status(job), "Arn": _arn(ctx, job.spec["AssetBundleImportJobId"]),
            "CreatedTime": job.created_at, "AssetBundleImportJobId": job.spec["AssetBundleImportJobId"],
            "FailureAction": job.spec["FailureAction"]}


@op("DescribeAssetBundleImportJob")
def describe(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    a.check_account(ctx, params)
    job = jobs.load(ctx, KIND, params["AssetBundleImportJobId"], LABEL)
    spec = job.spec
    source = ({"S3Uri": spec["S3Uri"]} if "S3Uri" in spec
              else {"Body": ctx.runtime.urls.sign(ctx.base_url, spec["_upload"], URL_SECONDS)})
    result = job.result or {}
    return {**{k: v for k, v in spec.items() if not k.startswith("_") and k != "S3Uri"}, **_summary(ctx, job),
            "AwsAccountId": ctx.account, "AssetBundleImportSource": source, "Errors": jobs.errors(job),
            "RollbackErrors": result.get("rollbackErrors") or [], "Warnings": result.get("warnings") or [],
            "RequestId": ctx.request_id, "Status": 200}


@op("ListAssetBundleImportJobs")
def list_jobs(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    chunk, token = jobs.listing(ctx, KIND, params, _summary)
    return {"AssetBundleImportJobSummaryList": chunk, "NextToken": token, "RequestId": ctx.request_id, "Status": 200}


# -- the runner ---------------------------------------------------------------------------


class _Failed(Exception):
    def __init__(self, records: list[dict[str, Any]]):
        super().__init__(records)
        self.records = records


def _bundle_bytes(ctx: RequestContext, spec: dict[str, Any]) -> bytes:
    if "_upload" in spec:
        return ctx.runtime.artifacts.read(spec["_upload"])
    url = S3Url.parse(spec["S3Uri"])
    out = io.BytesIO()
    try:
        ctx.runtime.objects.download(ctx.account, url.bucket, url.key, out)
    except ObjectError as error:
        raise _Failed([jobs.error_record(None, "InvalidParameterValueException",
                                         f"Cannot read {spec['S3Uri']}: {error.code}: {error.message}")]) from None
    return out.getvalue()


def _read(ctx: RequestContext, spec: dict[str, Any]) -> list[bundle.Asset]:
    limits = ctx.runtime.limits
    try:
        entries = open_zip(_bundle_bytes(ctx, spec), None, limits.archive_entries, limits.archive_bytes)
    except ArchiveError as error:
        raise _Failed([jobs.error_record(None, "InvalidParameterValueException",
                                         f"The asset bundle cannot be read: {error}")]) from None
    assets, records = [], []
    for name, data in sorted(entries.items()):
        try:
            asset = bundle.read_member(name, data)
        except bundle.BundleError as error:
            records.append(jobs.error_record(None, "InvalidParameterValueException", str(error)))
            continue
        if asset is not None:
            assets.append(asset)
    if records:
        raise _Failed(records)
    if not assets:
        raise _Failed([jobs.error_record(None, "InvalidParameterValueException", "The asset bundle has no assets.")])
    rank = {t.name: i for i, t in enumerate(a.TYPES)}
    return sorted(assets, key=lambda x: rank[x.kind.name])


def _retarget(ctx: RequestContext, assets: list[bundle.Asset], prefix: str) -> None:
    """Ids get the prefix; ARNs of the bundle's assets (from any account) point at this account, and so do
    the users, groups and namespaces its permissions name (in the region they name: the identity region)."""
    inside = {(x.kind.arn_part, x.asset_id) for x in assets}

    def arn(match: re.Match) -> str:
        part, asset_id = match.group(1), match.group(2)
        return f"arn:aws:quicksight:{ctx.region}:{ctx.account}:{part}/" + (
            prefix + asset_id if (part, asset_id) in inside else asset_id)

    for x in assets:
        x.request = json.loads(_ARN.sub(arn, json.dumps(x.request)))
        x.folders = [_ARN.sub(arn, f) for f in x.folders]
        # users and groups are named alike across accounts (dev, prod): the bundle's now name this account's,
        # which must exist here (checked with the permissions)
        x.permissions = [{**grant, "Principal": _PRINCIPAL.sub(rf"\g<1>{ctx.account}\g<2>", grant["Principal"])}
                         for grant in x.permissions or []] or x.permissions
        if x.kind is a.REFRESH_SCHEDULE:
            x.request["DataSetId"] = prefix + x.request["DataSetId"]
            x.asset_id = f"{x.request['DataSetId']}/{x.request['Schedule']['ScheduleId']}"
        else:
            x.asset_id = prefix + x.asset_id
            x.request[x.kind.id_member] = x.asset_id


def _apply_overrides(assets: list[bundle.Asset], overrides: dict[str, Any]) -> None:
    by_key = {(x.kind.name, x.asset_id): x for x in assets}
    for member, kind in _OVERRIDE_MEMBERS.items():
        for entry in overrides.get(member) or []:
            x = by_key.get((kind.name, entry.get(kind.id_member)))
            if x is not None:
                x.request.update({k: v for k, v in entry.items() if k != kind.id_member})
    for entry in overrides.get("RefreshSchedules") or []:
        x = by_key.get(("RefreshSchedule", f"{entry['DataSetId']}/{entry['ScheduleId']}"))
        if x is not None and "StartAfterDateTime" in entry:
            x.request["Schedule"]["StartAfterDateTime"] = entry["StartAfterDateTime"]


def _override_list(overrides: dict[str, Any] | None, kind: a.AssetType, asset_id: str, value_key: str):
    member = next((m for m, k in _OVERRIDE_MEMBERS.items() if k is kind), None)
    for entry in (overrides or {}).get(member) or []:
        ids = entry.get(f"{kind.name}Ids") or []
        if "*" in ids or asset_id in ids:
            return entry.get(value_key)
    return None


def _problems(ctx: RequestContext, x: bundle.Asset, keys: set[tuple[str, str]], strict: bool,
              warnings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What stops one asset from being imported: a dependency (or folder) that is neither in the
    bundle nor in the account, a data source without the credentials it needs, an unsupported
    asset, a definition anomaly in strict mode (lenient: a warning)."""
    records = []
    asset_arn = a.arn_of(ctx, x.kind, x.asset_id)
    reason = checks.unsupported(x.kind, x.request)
    if reason:
        records.append(jobs.error_record(asset_arn, "InvalidParameterValueException", reason))
    for message in checks.anomalies(x.kind, x.asset_id, x.request):
        if strict:
            records.append(jobs.error_record(asset_arn, "InvalidParameterValueException", message))
        else:
            warnings.append({"Arn": asset_arn, "Message": message})
    refs = bundle.references(ctx, x.request) + x.folders
    if x.kind is a.REFRESH_SCHEDULE:
        refs.append(a.arn(ctx, a.DATA_SET, x.request["DataSetId"]))
    for ref in refs:
        kind, key = a.parse_arn(ctx, ref)
        if (kind.name, key) not in keys and a.find(ctx, kind, key) is None:
            records.append(jobs.error_record(asset_arn, "ResourceNotFoundException",
                                             f"{x.kind.name} {asset_arn} depends on {kind.name} {ref}, which is "
                                             "neither in the asset bundle nor in the account."))
    if x.kind is a.DATA_SOURCE and x.request.get("Type") not in NO_CREDENTIALS and not x.request.get("Credentials"):
        records.append(jobs.error_record(asset_arn, "InvalidParameterValueException",
                                         f"Data source {x.asset_id} ({x.request.get('Type')}) needs credentials: "
                                         "give a CredentialPair or SecretArn in OverrideParameters.DataSources."))
    return records


class _Discard(Exception):
    """Raised inside the apply's transaction to roll it back; carries the job's result."""

    def __init__(self, result: dict[str, Any]):
        super().__init__(result["status"])
        self.result = result


def make_runner(runtime: Runtime):
    def run(job: Job) -> JobOutcome:
        if job.result is not None:  # an earlier attempt committed before its process died: that is the outcome
            return JobOutcome(job.result)
        ctx = jobs.runner_context(runtime, job)
        spec = job.spec
        overrides = job.secrets.get("OverrideParameters") or spec.get("OverrideParameters") or {}
        try:
            assets = _read(ctx, spec)
        except _Failed as failed:
            return JobOutcome(_result(spec, failed.records))
        prefix = (overrides.get("ResourceIdOverrideConfiguration") or {}).get("PrefixForAllResources") or ""
        _retarget(ctx, assets, prefix)
        _apply_overrides(assets, overrides)
        if runtime.store.in_transaction():  # joined to a caller's, a ROLLBACK would not roll back
            raise RuntimeError("an asset bundle import cannot run inside a store transaction")
        try:
            # One transaction: a crash, an error or a ROLLBACK leaves none of it; the result is stored with
            # the assets, so recovery knows they are in, and a job failed meanwhile keeps nothing.
            with runtime.store.transaction():
                result = _result(spec, *_apply(ctx, spec, assets))
                if result["status"] == "FAILED_ROLLBACK_COMPLETED" or not runtime.store.update_job(
                        job.id, only_from=("running",), result=result):
                    raise _Discard(result)
        except _Discard as discarded:
            return JobOutcome(discarded.result)
        return JobOutcome(result)

    return run


def abandoned(job: Job, reasons: list[str]) -> JobOutcome:
    """A job recovery will not retry: done if its transaction committed, else none of it is in the account
    (and ``jobs.status`` shows a ROLLBACK import as FAILED_ROLLBACK_COMPLETED)."""
    if job.result is not None:
        return JobOutcome(job.result)
    raise JobFailed(*reasons)


def _apply(ctx: RequestContext, spec: dict[str, Any], assets: list[bundle.Asset]) -> tuple[list, list]:
    """Create or update each asset that has no problem; (errors, warnings)."""
    keys = {(x.kind.name, x.asset_id) for x in assets}
    override = spec.get("OverrideValidationStrategy")
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    for x in assets:
        if override is not None:
            strict = bool(override.get("StrictModeForAllResources"))
        else:  # the strategy the bundle carries
            strict = (x.request.get("ValidationStrategy") or {}).get("Mode") == "STRICT"
        permissions = _override_list(spec.get("OverridePermissions"), x.kind, x.asset_id, "Permissions")
        if permissions is not None:
            permissions = [{"Principal": p, "Actions": permissions["Actions"]} for p in permissions["Principals"]]
        else:
            permissions = x.permissions
        tags = _override_list(spec.get("OverrideTags"), x.kind, x.asset_id, "Tags") or x.tags
        problems = _invalid(ctx, x, permissions, tags) or _problems(ctx, x, keys, strict, warnings)
        if not problems and not all(principals.exists(ctx, grant["Principal"]) for grant in permissions or ()):
            problems = [jobs.error_record(a.arn_of(ctx, x.kind, x.asset_id), "InvalidParameterValueException",
                                          principals.INVALID_PRINCIPALS)]
        if problems:
            errors += problems
            keys.discard((x.kind.name, x.asset_id))
            continue
        before = a.find(ctx, x.kind, x.asset_id)
        if x.kind is a.DASHBOARD:  # an import publishes a new version of an existing dashboard
            if before is not None:
                versions.add(ctx, before, x.request, publish=True)
            a.put(ctx, x.kind, x.asset_id, {} if before else versions.start(ctx, x.request), permissions, tags,
                  create=False)
        else:
            a.put(ctx, x.kind, x.asset_id, x.request, permissions, tags, create=False)
    for x in assets:
        if x.folders and (x.kind.name, x.asset_id) in keys:
            _join_folders(ctx, x)
    return errors, warnings


def _invalid(ctx: RequestContext, x: bundle.Asset, permissions: list | None, tags: list | None) -> list[dict]:
    """The asset against its Create* call's model constraints: an import takes nothing the call would refuse."""
    request = {**x.request, "AwsAccountId": ctx.account, "Permissions": permissions or None, "Tags": tags or None}
    found: list[str] = []
    try:
        validate(bundle.create_shape(x.kind), request, "", found, a.op.validation)
        message = ValidationError([_short(m) for m in found]).message if found else None
    except SerializationError as error:
        message = error.message
    return [jobs.error_record(a.arn_of(ctx, x.kind, x.asset_id), "InvalidParameterValueException",
                              message)] if message else []


def _short(message: str) -> str:
    """A constraint message with the value it echoes cut: the field and the constraint are what it is for."""
    head, at = "Value '", message.rfind("' at '")
    if not message.startswith(head) or at < 0:
        return message
    return head + cut(message[len(head):at], 64) + message[at:]


def _join_folders(ctx: RequestContext, x: bundle.Asset) -> None:
    """Restore the folder memberships the bundle carries (IncludeFolderMemberships)."""
    member_type = next(k for k, v in a.MEMBER_TYPES.items() if v is x.kind)
    member = {"MemberId": x.asset_id, "MemberType": member_type}
    for folder_arn in x.folders:
        _, key = a.parse_arn(ctx, folder_arn)
        folder = a.load(ctx, a.FOLDER, key)
        if member not in folder.body.get("_members", []):
            a.put(ctx, a.FOLDER, key, {"_members": [*folder.body.get("_members", []), member]}, None, None,
                  create=False)


def _result(spec: dict[str, Any], errors: list[dict[str, Any]], warnings: list | None = None) -> dict[str, Any]:
    if not errors:
        status = "SUCCESSFUL"
    else:  # ROLLBACK: the runner discards the transaction, so nothing of the job stays
        status = "FAILED_ROLLBACK_COMPLETED" if spec["FailureAction"] == "ROLLBACK" else "FAILED"
    return {"status": status, "errors": jobs.bounded(errors), "rollbackErrors": [],
            "warnings": jobs.bounded(warnings or [])}
