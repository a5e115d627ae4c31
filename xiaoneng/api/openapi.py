"""The OpenAPI schema of /api/v1/ as committed in ``docs/openapi.json``: generated from the
endpoints in English, with a stable layout, so that a change of the API shows as a diff."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.utils import translation

SCHEMA_PATH = Path(settings.BASE_DIR) / "docs" / "openapi.json"


def schema_text() -> str:
    from xiaoneng.api.api import api

    with translation.override("en"):
        schema = api.get_openapi_schema()
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
