"""The system administrator's screens for units and accounts, and the security
administrator's view of accounts and their administrator roles.

Everyone else gets a 404, not a 403: the screens do not reveal that they exist. Views parse
input and call selectors and services; GET never changes anything.
"""

from __future__ import annotations

import base64
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaoneng.org import imports
from xiaoneng.org.choices import ADMIN_ROLES, Role
from xiaoneng.org.forms import (
    ImportUploadForm,
    UnitForm,
    UserFilterForm,
    UserForm,
    UserRolesForm,
    admin_role_choices,
    apply_service_error,
    business_role_choices,
)
from xiaoneng.org.selectors import unit_get, unit_tree, user_get, user_list
from xiaoneng.org.services import (
    ImportApplyError,
    org_import_apply,
    temporary_password_generate,
    unit_create,
    unit_set_active,
    unit_update,
    user_create,
    user_reset_password,
    user_set_active,
    user_set_roles,
    user_update,
)

USERS_PER_PAGE = 50

#: Who may open each group of screens.
SYSTEM_ADMIN = (Role.SYSTEM_ADMIN,)
ACCOUNT_READERS = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN)


def role_required(*roles: str):
    """Signed-in users holding one of ``roles``; anyone else signed in gets a 404."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_role(*roles):
                raise Http404
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def _is_htmx(request) -> bool:
    """An HTMX request for a fragment (a history restore needs the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _get_unit(pk: int):
    unit = unit_get(pk=pk)
    if unit is None:
        raise Http404
    return unit


def _get_user(pk: int):
    user = user_get(pk=pk)
    if user is None:
        raise Http404
    return user


def _private(response: HttpResponse) -> HttpResponse:
    """Pages that show a password once must not be cached anywhere."""
    add_never_cache_headers(response)
    return response


def _grantable_roles(actor) -> list[tuple[str, str]]:
    """The roles whose checkboxes ``actor`` may change (三员分立)."""
    if actor.has_role(Role.SECURITY_ADMIN):
        return admin_role_choices()
    if actor.has_role(Role.SYSTEM_ADMIN):
        return business_role_choices()
    return []


# --- units -------------------------------------------------------------------------------


@role_required(*SYSTEM_ADMIN)
def unit_list(request):
    tree = unit_tree(with_member_counts=True)
    return render(request, "org/unit_list.html", {"tree": tree})


@role_required(*SYSTEM_ADMIN)
def unit_create_view(request):
    tree = unit_tree()
    if request.method == "POST":
        form = UnitForm(request.POST, tree=tree)
        if form.is_valid():
            data = form.cleaned_data
            try:
                unit = unit_create(
                    actor=request.user,
                    code=data["code"],
                    name=data["name"],
                    kind=data["kind"],
                    parent=data["parent"],
                    short_name=data["short_name"],
                    order=data["order"],
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The unit %(name)s was created.") % {"name": unit.name})
                return redirect("org:unit_list")
    else:
        initial = {"order": 0}
        parent_id = request.GET.get("parent", "")
        parent = unit_get(pk=int(parent_id)) if parent_id.isdigit() else None
        if parent is not None:
            initial["parent"] = parent
        form = UnitForm(initial=initial, tree=tree)
    return render(request, "org/unit_form.html", {"form": form, "unit": None})


@role_required(*SYSTEM_ADMIN)
def unit_update_view(request, pk: int):
    unit = _get_unit(pk)
    tree = unit_tree()
    if request.method == "POST":
        form = UnitForm(request.POST, tree=tree, unit=unit)
        if form.is_valid():
            data = form.cleaned_data
            try:
                unit = unit_update(
                    actor=request.user,
                    unit=unit,
                    version=data["version"],
                    parent=data["parent"],
                    code=data["code"],
                    name=data["name"],
                    short_name=data["short_name"],
                    kind=data["kind"],
                    order=data["order"],
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The unit %(name)s was saved.") % {"name": unit.name})
                return redirect("org:unit_list")
    else:
        form = UnitForm(
            initial={
                "parent": unit.parent,
                "code": unit.code,
                "name": unit.name,
                "short_name": unit.short_name,
                "kind": unit.kind,
                "order": unit.order,
                "version": unit.version,
            },
            tree=tree,
            unit=unit,
        )
    return render(request, "org/unit_form.html", {"form": form, "unit": unit})


def _unit_set_active(request, pk: int, *, active: bool):
    unit = _get_unit(pk)
    try:
        unit = unit_set_active(actor=request.user, unit=unit, active=active)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if active:
            messages.success(request, _("The unit %(name)s was reactivated.") % {"name": unit.name})
        else:
            messages.success(request, _("The unit %(name)s was deactivated.") % {"name": unit.name})
    return redirect("org:unit_list")


@role_required(*SYSTEM_ADMIN)
@require_POST
def unit_deactivate(request, pk: int):
    return _unit_set_active(request, pk, active=False)


@role_required(*SYSTEM_ADMIN)
@require_POST
def unit_activate(request, pk: int):
    return _unit_set_active(request, pk, active=True)


# --- accounts ----------------------------------------------------------------------------


@role_required(*ACCOUNT_READERS)
def user_list_view(request):
    tree = unit_tree()
    filter_form = UserFilterForm(request.GET or None, tree=tree)
    filters = filter_form.filters() if request.GET else {}
    page = Paginator(user_list(**filters), USERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filter_form": filter_form,
        "page_obj": page,
        "users": page.object_list,
        "can_manage": request.user.has_role(Role.SYSTEM_ADMIN),
    }
    template = "org/partials/user_table.html" if _is_htmx(request) else "org/user_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@role_required(*ACCOUNT_READERS)
def user_detail(request, pk: int):
    person = _get_user(pk)
    role_codes = {ra.role for ra in person.role_assignments.all()}
    actor = request.user
    context = {
        "person": person,
        "role_labels": [Role(code).label for code in Role.values if code in role_codes],
        "holds_admin_role": bool(role_codes & ADMIN_ROLES),
        "can_manage": actor.has_role(Role.SYSTEM_ADMIN),
        "can_edit_roles": bool(_grantable_roles(actor)) and actor.pk != person.pk,
        "is_self": actor.pk == person.pk,
    }
    return render(request, "org/user_detail.html", context)


@role_required(*SYSTEM_ADMIN)
def user_create_view(request):
    tree = unit_tree()
    if request.method == "POST":
        form = UserForm(request.POST, tree=tree, creating=True)
        if form.is_valid():
            data = form.cleaned_data
            generated = not data["password"]
            password = data["password"] or temporary_password_generate()
            try:
                person = user_create(
                    actor=request.user,
                    username=data["username"],
                    name=data["name"],
                    unit=data["unit"],
                    password=password,
                    phone=data["phone"],
                    email=data["email"],
                    title=data["title"],
                    roles=data["roles"],
                    additional_units=data["additional_units"],
                    language=data["language"],
                    must_change_password=True,
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                if not generated:
                    messages.success(
                        request,
                        _("The account %(username)s was created.") % {"username": person.username},
                    )
                    return redirect("org:user_detail", pk=person.pk)
                # Rendered in the response to the POST, never stored: shown this once.
                return _private(
                    render(
                        request,
                        "org/user_password.html",
                        {"person": person, "password": password, "created": True},
                    )
                )
    else:
        form = UserForm(tree=tree, creating=True)
    return render(request, "org/user_form.html", {"form": form, "person": None})


@role_required(*SYSTEM_ADMIN)
def user_update_view(request, pk: int):
    person = _get_user(pk)
    tree = unit_tree()
    if request.method == "POST":
        form = UserForm(request.POST, tree=tree, creating=False, user=person)
        if form.is_valid():
            data = form.cleaned_data
            try:
                person = user_update(
                    actor=request.user,
                    user=person,
                    version=data["version"],
                    additional_units=data["additional_units"],
                    name=data["name"],
                    phone=data["phone"],
                    email=data["email"],
                    title=data["title"],
                    unit=data["unit"],
                    language=data["language"],
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("The account %(username)s was saved.") % {"username": person.username},
                )
                return redirect("org:user_detail", pk=person.pk)
    else:
        form = UserForm(
            initial={
                "name": person.name,
                "phone": person.phone,
                "email": person.email,
                "title": person.title,
                "unit": person.unit,
                "additional_units": list(person.additional_units.all()),
                "language": person.language,
                "version": person.version,
            },
            tree=tree,
            creating=False,
            user=person,
        )
    return render(request, "org/user_form.html", {"form": form, "person": person})


@role_required(*ACCOUNT_READERS)
def user_roles_view(request, pk: int):
    """Business roles for the system administrator, administrator roles for the security
    administrator; the other roles the account holds are shown but cannot be changed here."""
    person = _get_user(pk)
    grantable = _grantable_roles(request.user)
    grantable_codes = {code for code, _label in grantable}
    held = {ra.role for ra in person.role_assignments.all()}
    if request.method == "POST":
        form = UserRolesForm(request.POST, grantable=grantable)
        if form.is_valid():
            roles = (held - grantable_codes) | set(form.cleaned_data["roles"])
            try:
                user_set_roles(
                    actor=request.user,
                    user=person,
                    roles=roles,
                    version=form.cleaned_data["version"],
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("The roles of %(username)s were saved.") % {"username": person.username},
                )
                return redirect("org:user_detail", pk=person.pk)
    else:
        form = UserRolesForm(
            initial={"roles": sorted(held & grantable_codes), "version": person.version},
            grantable=grantable,
        )
    other_roles = [Role(code).label for code in Role.values if code in held - grantable_codes]
    context = {
        "person": person,
        "form": form,
        "other_roles": other_roles,
        "grants_admin_roles": request.user.has_role(Role.SECURITY_ADMIN),
        "is_self": request.user.pk == person.pk,
    }
    return render(request, "org/user_roles.html", context)


def _user_set_active(request, pk: int, *, active: bool):
    person = _get_user(pk)
    try:
        person = user_set_active(actor=request.user, user=person, active=active)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if active:
            text = _("The account %(username)s was reactivated.")
        else:
            text = _("The account %(username)s was deactivated.")
        messages.success(request, text % {"username": person.username})
    return redirect("org:user_detail", pk=person.pk)


@role_required(*SYSTEM_ADMIN)
@require_POST
def user_deactivate(request, pk: int):
    return _user_set_active(request, pk, active=False)


@role_required(*SYSTEM_ADMIN)
@require_POST
def user_activate(request, pk: int):
    return _user_set_active(request, pk, active=True)


@role_required(*SYSTEM_ADMIN)
@require_POST
def user_password_reset(request, pk: int):
    person = _get_user(pk)
    password = temporary_password_generate(user=person)
    try:
        person = user_reset_password(actor=request.user, user=person, password=password)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("org:user_detail", pk=person.pk)
    # Rendered in the response to the POST, never stored: shown this once.
    return _private(
        render(
            request,
            "org/user_password.html",
            {"person": person, "password": password, "created": False},
        )
    )


# --- bulk import -------------------------------------------------------------------------


@role_required(*SYSTEM_ADMIN)
def import_template(request):
    response = HttpResponse(imports.import_template_build(), content_type=imports.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="xiaoneng-import-template.xlsx"'
    return response


@role_required(*SYSTEM_ADMIN)
def import_view(request):
    context = {
        "max_upload_mb": imports.MAX_UPLOAD_BYTES // (1024 * 1024),
        "max_unit_rows": imports.MAX_UNIT_ROWS,
        "max_staff_rows": imports.MAX_STAFF_ROWS,
        "errors": None,
        "result": None,
    }
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            parsed = imports.import_parse(form.cleaned_data["file"])
            if parsed.errors:
                context["errors"] = parsed.errors
            else:
                try:
                    result = org_import_apply(actor=request.user, parsed=parsed)
                except ImportApplyError as exc:
                    context["errors"] = exc.errors
                else:
                    context["result"] = result
                    if result.passwords:
                        workbook = imports.passwords_workbook_build(result.passwords)
                        context["passwords_xlsx"] = base64.b64encode(workbook).decode("ascii")
                    form = ImportUploadForm()
        context["form"] = form
        response = render(request, "org/import.html", context)
        return _private(response) if context["result"] else response
    context["form"] = ImportUploadForm()
    return render(request, "org/import.html", context)
