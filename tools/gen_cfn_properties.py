"""Generate ``services/quicksight/cfn_properties.json``: which properties each
AWS::QuickSight resource type (and each of its nested definitions) takes in
CloudFormation, read from the resource schemas cfn-lint ships.

The CloudFormation writer prunes what CloudFormation does not know (API members
newer than the resource schemas), so exported templates pass cfn-lint.

    pip install cfn-lint && python tools/gen_cfn_properties.py
"""

from __future__ import annotations

import json
from pathlib import Path

from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

TYPES = ["Analysis", "Dashboard", "DataSet", "DataSource", "Theme", "Folder", "VPCConnection", "RefreshSchedule"]
OUT = Path(__file__).resolve().parents[1] / "src/localexport/services/quicksight/cfn_properties.json"


def _ref(node: dict) -> str | None:
    ref = node.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref.startswith("#/definitions/") else None


def _describe(node: dict) -> list | None:
    """[kind, definition]: "s" an object of that definition, "l" a list of them, "m" a map of them."""
    if _ref(node):
        return ["s", _ref(node)]
    if node.get("type") == "array" and isinstance(node.get("items"), dict) and _ref(node["items"]):
        return ["l", _ref(node["items"])]
    for key in ("patternProperties", "additionalProperties"):
        inner = node.get(key)
        if isinstance(inner, dict):
            values = list(inner.values()) if key == "patternProperties" else [inner]
            if values and isinstance(values[0], dict) and _ref(values[0]):
                return ["m", _ref(values[0])]
    return None


def main() -> None:
    out = {}
    for name in TYPES:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", f"AWS::QuickSight::{name}").schema
        definitions = {"": schema["properties"], **{k: v.get("properties", {}) for k, v in
                                                     schema.get("definitions", {}).items()}}
        out[name] = {d: {p: _describe(n) for p, n in props.items()} for d, props in definitions.items() if props}
    OUT.write_text(json.dumps(out, separators=(",", ":"), sort_keys=True))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
