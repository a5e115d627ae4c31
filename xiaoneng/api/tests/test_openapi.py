"""The committed OpenAPI schema (docs/openapi.json) is the one the endpoints generate: a
change of the API without regenerating it fails here (`xiaoneng openapi_schema`)."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from xiaoneng.api.openapi import SCHEMA_PATH, schema_text


def test_the_committed_schema_has_not_drifted():
    committed = SCHEMA_PATH.read_text(encoding="utf-8")
    assert committed == schema_text(), (
        "docs/openapi.json differs from the API: run `xiaoneng openapi_schema` and commit it."
    )


def test_the_schema_documents_auth_errors_and_idempotency():
    schema = json.loads(schema_text())
    assert schema["info"]["title"] == "Xiaoneng API"
    assert schema["components"]["securitySchemes"] == {
        "TokenAuth": {"type": "http", "scheme": "bearer"}
    }
    register = schema["paths"]["/api/v1/cases"]["post"]
    assert sorted(register["responses"]) == [
        "201", "400", "401", "403", "404", "409", "413", "422", "429"
    ]  # fmt: skip
    [key] = [p for p in register["parameters"] if p["name"] == "Idempotency-Key"]
    assert key["in"] == "header" and key["required"] is True
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation["security"] == [{"TokenAuth": []}], (method, path)
            names = [p["name"] for p in operation.get("parameters", [])]
            assert ("Idempotency-Key" in names) == (method == "post"), (method, path)


def test_the_command_writes_and_checks_the_schema(tmp_path):
    target = tmp_path / "openapi.json"
    call_command("openapi_schema", output=str(target))
    assert target.read_text(encoding="utf-8") == schema_text()
    call_command("openapi_schema", output=str(target), check=True)
    target.write_text("{}", encoding="utf-8")
    with pytest.raises(CommandError, match="out of date"):
        call_command("openapi_schema", output=str(target), check=True)
