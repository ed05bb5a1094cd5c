"""What QuickSight checks in the assets a bundle carries, on export and on import."""

from __future__ import annotations

from typing import Any

from . import assets as a

# Data source types asset bundles cannot carry (AWS's asset bundle guide).
UNSUPPORTED_SOURCES = {"ADOBE_ANALYTICS", "GITHUB", "JIRA", "SALESFORCE", "SERVICENOW", "TWITTER"}


def anomalies(kind: a.AssetType, asset_id: str, body: dict[str, Any]) -> list[str]:
    """Definition problems the validation strategy decides about (lenient: warnings, strict:
    errors): here, visuals and fields that use a data set identifier the definition does not declare."""
    definition = body.get("Definition")
    if not definition:
        return []
    declared = {d["Identifier"] for d in a.declarations(definition)}
    return [f"{kind.name} {asset_id} uses the data set identifier {identifier}, which its definition does not "
            "declare." for identifier in sorted(_identifiers(definition) - declared)]


def _identifiers(value: Any) -> set[str]:
    """Every data set identifier a definition's visuals, filters and fields use."""
    if isinstance(value, dict):
        found = {v for k, v in value.items() if k == "DataSetIdentifier" and isinstance(v, str)}
        return found.union(*(_identifiers(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_identifiers(v) for v in value))
    return set()


def unsupported(kind: a.AssetType, body: dict[str, Any]) -> str | None:
    """Why an asset cannot go into a bundle, if it cannot."""
    if body.get("_failure"):  # AWS's words (cloud-intelligence-dashboards-framework#567)
        return (f"The {kind.name.lower()} has associated errors and cannot be exported. Call Describe{kind.name}"
                "Definition to see the errors.")
    if kind is a.DATA_SOURCE and body.get("Type") in UNSUPPORTED_SOURCES:
        return f"Data sources of type {body['Type']} are not supported by asset bundles."
    if kind is a.DATA_SET and any("UploadSettings" in (t.get("S3Source") or {})
                                  for t in (body.get("PhysicalTableMap") or {}).values()):
        return "Data sets from uploaded files are not supported by asset bundles."
    return None
