"""No client input, however malformed, gets a 500: every operation of the five
models, with bodies of the wrong types, junk and nothing at all."""

from __future__ import annotations

import json
import re

import pytest

from localexport.aws.models import SERVICES, service_model, signing_name

WRONG = {"string": 12, "integer": "x", "long": "x", "boolean": "yes", "float": "x", "double": "x",
         "structure": "s", "list": {"a": 1}, "map": [1], "timestamp": [], "blob": 5}


def _requests():
    for name in SERVICES:
        model = service_model(name)
        signer = signing_name(model)
        for op_name in model.operation_names:
            op = model.operation_model(op_name)
            shape = op.input_shape
            members = shape.members if shape else {}
            wrong = {k: WRONG.get(m.type_name, 1) for k, m in members.items()
                     if "location" not in m.serialization}
            for body in (b"", b"{}", b"[", json.dumps(wrong).encode(), b'{"a":' * 50 + b"1" + b"}" * 50):
                yield name, signer, op, body


CASES = list(_requests())


@pytest.mark.parametrize("service", SERVICES)
def test_no_operation_answers_500(wire, service):
    for name, signer, op, body in CASES:
        if name != service:
            continue
        headers = {"Authorization": f"AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/{signer}/aws4_request, "
                                    "SignedHeaders=host, Signature=0"}
        if service_model(name).protocol == "json":
            headers["X-Amz-Target"] = f"{service_model(name).metadata['targetPrefix']}.{op.name}"
            headers["Content-Type"] = "application/x-amz-json-1.1"
        uri = op.http["requestUri"]
        uri = re.sub(r"\{[^}]+\+\}", "a/b", uri)
        uri = re.sub(r"\{[^}]+\}", "ABCDEFGHIJ", uri)
        response = wire.http.request(op.http["method"], uri, content=body, headers=headers)
        assert response.status_code < 500 or response.status_code == 501, (name, op.name, body[:30], response.text)
        if response.status_code >= 400:
            assert response.headers.get("x-amzn-ErrorType") or "__type" in response.json(), (name, op.name)
