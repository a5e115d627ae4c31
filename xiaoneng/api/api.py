"""The REST API, version 1, mounted at /api/v1/ (see ``docs/api.md``).

Every endpoint authenticates with a bearer token (personal or system, created on the token
screens) and runs behind ``pipeline.api_view``: body limits, rate limit, idempotency of POSTs
and JSON errors. The OpenAPI schema is generated from the endpoints; ``docs/openapi.json`` is
its committed copy (``xiaoneng openapi_schema``), and the interactive documentation at
/api/v1/docs is for signed-in staff."""

from __future__ import annotations

import copy
import json

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import path as django_path
from django.urls import reverse
from ninja import NinjaAPI
from ninja.openapi.docs import DocsBase
from ninja.openapi.urls import get_openapi_urls
from ninja.params.models import FileModel
from ninja.renderers import JSONRenderer
from ninja.utils import normalize_path, replace_path_param_notation

from xiaoneng.api import errors
from xiaoneng.api.endpoints import actions, cases, reference
from xiaoneng.api.pipeline import IDEMPOTENCY_HEADER, TokenAuth, api_view, not_found_view

DESCRIPTION = """\
The REST API of Xiaoneng (效能): register complaint cases, follow them through their
lifecycle, and read the ledger, units, categories and the working-day calendar.

**Authentication.** Every call sends `Authorization: Bearer <token>`. A personal token acts
as the person who created it; a system token as a service account. Both have exactly the
roles and unit scope of that account: a unit sees only the cases it has a part in, and a case
outside the scope answers 404.

**POST requests** carry an `Idempotency-Key` header (e.g. a new UUID per operation). Sending
the same request again with the same key returns the first answer (marked
`Idempotent-Replayed: true`) instead of acting twice; the same key with a different request
is refused with 422 `idempotency_key_reused`. Keys are remembered for 24 hours.

**Errors** are JSON: `{"code": "…", "message": "…", "fields": {"field": ["…"]}}` with a
stable `code` and a `message` in the language of `Accept-Language` (Simplified Chinese by
default, `en` for English). 401 no or bad token; 403 your roles do not allow it; 404 not
found or outside your scope; 409 the case's state does not allow it, or someone else changed
it (`conflict`, when you send the `version` you read); 413 body too large; 422 invalid
fields; 429 too many calls (see `Retry-After`).

**Limits.** Each token may make a limited number of calls per minute
(`X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`). JSON bodies are
limited to 1 MiB; uploaded files to the attachment limit.
"""


class Utf8JSONRenderer(JSONRenderer):
    """JSON with Chinese text as it is (readable with curl), not as \\u escapes."""

    json_dumps_params = {"ensure_ascii": False}


class StaffSwagger(DocsBase):
    """Swagger UI inside the staff layout, with its assets served from the installed
    django-ninja package (no CDN)."""

    def render_page(self, request, api, **kwargs):
        settings = {
            "url": self.get_openapi_url(api, kwargs),
            "layout": "BaseLayout",
            "deepLinking": True,
            "persistAuthorization": False,
            "tryItOutEnabled": False,
            "defaultModelsExpandDepth": -1,
        }
        return render(
            request,
            "api/docs.html",
            {"swagger_settings": json.dumps(settings), "api_title": api.title},
        )


class XiaonengAPI(NinjaAPI):
    """A NinjaAPI whose every path runs behind ``pipeline.api_view`` and whose schema
    documents the Idempotency-Key header of each POST."""

    def _get_urls(self):
        urls = get_openapi_urls(self)
        for bound in self._get_bound_routers():
            prefix = replace_path_param_notation(bound.prefix)
            for route_path, path_view in bound.path_operations.items():
                route = "/".join(
                    part for part in (prefix, replace_path_param_notation(route_path)) if part
                )
                route = normalize_path(route).lstrip("/")
                operations = path_view.operations
                view = api_view(
                    path_view.get_view(),
                    methods=frozenset(m for op in operations for m in op.methods),
                    uploads=any(
                        issubclass(model, FileModel) for op in operations for model in op.models
                    ),
                    replay=not any(
                        getattr(op.view_func, "never_replayed", False) for op in operations
                    ),
                )
                for operation in operations:
                    name = getattr(operation, "url_name", "") or self.get_operation_url_name(
                        operation, router=bound.template
                    )
                    urls.append(django_path(route, view, name=name))
        index = api_view(api_index, methods=frozenset({"GET"}))
        urls.append(django_path("", index, name="api-root"))
        return urls

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema = copy.deepcopy(dict(schema))
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                merged: dict[str, dict] = {}
                for status, answer in operation["responses"].items():
                    merged.setdefault(str(status), {}).update(answer)
                operation["responses"] = dict(sorted(merged.items()))
            post = operations.get("post")
            if post is None:
                continue
            post.setdefault("parameters", []).append(
                {
                    "in": "header",
                    "name": IDEMPOTENCY_HEADER,
                    "required": True,
                    "description": "A key of your choosing, new for each operation (e.g. a "
                    "UUID): a repeated request with the same key returns the first answer.",
                    "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
                }
            )
        return schema


def api_index(request):
    """/api/v1/ itself: where the schema and the documentation are."""
    return JsonResponse(
        {
            "name": "Xiaoneng API",
            "version": "1",
            "openapi": reverse("api:v1:openapi-json"),
            "docs": reverse("api:v1:openapi-view"),
        }
    )


api = XiaonengAPI(
    title="Xiaoneng API",
    version="1",
    description=DESCRIPTION,
    auth=TokenAuth(),
    renderer=Utf8JSONRenderer(),
    urls_namespace="api:v1",
    docs=StaffSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    docs_decorator=login_required,
)
errors.register_handlers(api)
api.add_router("", reference.router)
api.add_router("", cases.router)
api.add_router("", actions.router)

__all__ = ["api", "not_found_view"]
