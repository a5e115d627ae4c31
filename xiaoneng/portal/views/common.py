"""Helpers of the portal's views."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from xiaoneng.portal.http import public_view


def render_private(request, template: str, context: dict, *, status: int = 200):
    """A page with a complainant's data or secrets: never stored by the browser or proxies."""
    response = render(request, template, context, status=status)
    add_never_cache_headers(response)
    return response


@public_view()
def not_found(request, *args, **kwargs):
    """The portal's own “not found” page (in its layout, in the reader's language)."""
    return render(request, "portal/not_found.html", status=404)
