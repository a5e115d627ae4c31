"""The ledger (台账): the filtered, sortable list of every case the user may see, its Excel
export, its printable register and the major-issue register.

Who may open them: office roles, leaders, unit liaisons and unit heads (unit roles see their
own units' cases only, and no complainant column); anyone else gets a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoneng.cases.exports import (
    EXPORT_RETENTION,
    export_fits_inline,
    export_inline_rows,
    ledger_export_download,
    ledger_export_list,
    ledger_export_request,
)
from xiaoneng.cases.exports import ledger_export as export_service
from xiaoneng.cases.forms.ledger import LedgerFilterForm
from xiaoneng.cases.ledger import (
    LEDGER_ROLES,
    PAGE_SIZE,
    PRINT_LIMIT,
    SORTS,
    ledger_cases,
    ledger_page_cases,
    ledger_rows,
    major_register,
    major_rows,
)
from xiaoneng.cases.models import LedgerExport
from xiaoneng.cases.selectors import is_office, saved_view_list
from xiaoneng.cases.services import saved_view_delete, saved_view_save
from xiaoneng.cases.views.pages import _case_roles_required, _is_htmx
from xiaoneng.core.pagination import CappedPaginator

#: The columns a reader can sort the page by (header → ?sort= key).
SORTABLE = tuple(SORTS)


def _sort_links(request, current: str) -> dict[str, dict]:
    """For each sortable column: the query string that sorts by it (toggling the direction
    when it is the current one) and the current direction."""
    links = {}
    for key in SORTABLE:
        params = request.GET.copy()
        params.pop("page", None)
        direction = ""
        if current == key:
            direction, params["sort"] = "asc", "-" + key
        elif current == "-" + key:
            direction, params["sort"] = "desc", key
        else:
            params["sort"] = "-" + key if key in ("registered_at", "closed_at") else key
        links[key] = {"query": "?" + params.urlencode(), "direction": direction}
    return links


def _export_query(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@_case_roles_required(*LEDGER_ROLES)
def ledger(request):
    form = LedgerFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {"sort": "-registered_at"}
    qs = ledger_page_cases(ledger_cases(user=request.user, filters=filters))
    page_obj = CappedPaginator(qs, PAGE_SIZE, searching=bool(filters.get("q"))).get_page(
        request.GET.get("page")
    )
    rows = ledger_rows(cases=list(page_obj.object_list), user=request.user)
    context = {
        "filter_form": form if request.GET else LedgerFilterForm(),
        "page_obj": page_obj,
        "rows": rows,
        "show_complainant": is_office(request.user),
        "sort": filters["sort"],
        "sort_links": _sort_links(request, filters["sort"]),
        "export_query": _export_query(request),
        "saved_views": saved_view_list(user=request.user),
    }
    if _is_htmx(request):
        return render(request, "cases/partials/ledger_table.html", context)
    return render(request, "cases/ledger.html", context)


@require_POST
@_case_roles_required(*LEDGER_ROLES)
def saved_view_create(request):
    """Save the ledger's current filter under a name (the person's own list)."""
    query = request.POST.get("query", "")
    try:
        view = saved_view_save(user=request.user, name=request.POST.get("name", ""), query=query)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(f"{reverse('cases:ledger')}?{query}")
    messages.success(request, _("The view “%(name)s” is saved.") % {"name": view.name})
    return redirect(f"{reverse('cases:ledger')}?{view.query}")


@require_POST
@_case_roles_required(*LEDGER_ROLES)
def saved_view_remove(request, pk: int):
    from xiaoneng.cases.models import SavedView

    saved_view_delete(
        user=request.user, view=get_object_or_404(SavedView, pk=pk, user=request.user)
    )
    messages.success(request, _("The saved view is deleted."))
    return redirect("cases:ledger")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_GET
@_case_roles_required(*LEDGER_ROLES)
def ledger_export(request):
    """The filtered ledger as an Excel file, written at once when it is small enough; a
    larger one is offered to the background worker (a page with one button)."""
    form = LedgerFilterForm(request.GET)
    filters = form.filters()
    cases = ledger_cases(user=request.user, filters=filters)
    if not export_fits_inline(cases):
        return render(
            request,
            "cases/ledger_export_confirm.html",
            {"query": _export_query(request), "limit": export_inline_rows()},
        )
    out, _count = export_service(user=request.user, cases=cases, filters=form.audit_data())
    name = f"ledger-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX)


@require_http_methods(["GET", "POST"])
@_case_roles_required(*LEDGER_ROLES)
def ledger_exports(request):
    """The person's own exports written in the background (GET), or a new one (POST
    ``query``: the ledger's filter)."""
    if request.method == "POST":
        query = request.POST.get("query", "")
        form = LedgerFilterForm(QueryDict(query))
        try:
            ledger_export_request(
                user=request.user,
                query=query,
                filters=form.audit_data(),
                description=form.describe(),
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _(
                    "The export is being written in the background; it can be downloaded here "
                    "when it is ready."
                ),
            )
        return redirect("cases:ledger_exports")
    return render(
        request,
        "cases/ledger_exports.html",
        {
            "exports": ledger_export_list(user=request.user),
            "retention_days": EXPORT_RETENTION.days,
        },
    )


@require_GET
@_case_roles_required(*LEDGER_ROLES)
def ledger_export_status(request, pk: int):
    """One of the person's exports as a table row (polled while it is being written)."""
    export = get_object_or_404(ledger_export_list(user=request.user), pk=pk)
    return render(request, "cases/partials/ledger_export_row.html", {"export": export})


@require_GET
@_case_roles_required(*LEDGER_ROLES)
def ledger_export_file(request, pk: int):
    try:
        handle, name = ledger_export_download(user=request.user, pk=pk)
    except LedgerExport.DoesNotExist:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX)


@_case_roles_required(*LEDGER_ROLES)
def ledger_print(request):
    form = LedgerFilterForm(request.GET)
    filters = form.filters()
    qs = ledger_page_cases(ledger_cases(user=request.user, filters=filters))
    cases = list(qs[: PRINT_LIMIT + 1])
    truncated = len(cases) > PRINT_LIMIT
    rows = ledger_rows(cases=cases[:PRINT_LIMIT], user=request.user)
    return render(
        request,
        "cases/ledger_print.html",
        {
            "rows": rows,
            "truncated": truncated,
            "limit": PRINT_LIMIT,
            "filter_form": form,
            "printed_at": timezone.localtime(),
            "show_complainant": is_office(request.user),
        },
    )


@_case_roles_required(*LEDGER_ROLES)
def ledger_major(request):
    """The major-issue register (重大问题挂号销号台账): the major issues among the ledger's cases
    with their responsible leaders, milestones and close-out sign-offs."""
    form = LedgerFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {"sort": "-registered_at"}
    qs = major_register(user=request.user, filters=filters)
    page_obj = CappedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/ledger_major.html",
        {
            "filter_form": form if request.GET else LedgerFilterForm(),
            "page_obj": page_obj,
            "rows": major_rows(cases=list(page_obj.object_list)),
        },
    )


urlpatterns = [
    path("ledger/views/", saved_view_create, name="saved_view_create"),
    path("ledger/views/<int:pk>/delete/", saved_view_remove, name="saved_view_delete"),
    path("ledger/", ledger, name="ledger"),
    path("ledger/export.xlsx", ledger_export, name="ledger_export"),
    path("ledger/exports/", ledger_exports, name="ledger_exports"),
    path("ledger/exports/<int:pk>/", ledger_export_status, name="ledger_export_status"),
    path("ledger/exports/<int:pk>/file/", ledger_export_file, name="ledger_export_file"),
    path("ledger/print/", ledger_print, name="ledger_print"),
    path("ledger/major/", ledger_major, name="ledger_major"),
]
