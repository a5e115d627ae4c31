"""The staff screens of the Open311 interface: the office director sets it up (settings,
services and their questions); the system administrator issues, renews and revokes the API
keys of the clients. Everyone else gets a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoneng.core.forms import apply_service_error
from xiaoneng.open311 import selectors as sel
from xiaoneng.open311 import services
from xiaoneng.open311.forms import AttributeForm, ClientForm, ServiceForm, SettingsForm
from xiaoneng.open311.models import ServiceAttribute
from xiaoneng.org.choices import Role

CONFIG_ROLE, CLIENT_ROLE = Role.OFFICE_DIRECTOR, Role.SYSTEM_ADMIN


def _require(user, *roles: str) -> None:
    if not user.has_role(*roles):
        raise Http404


def _service_or_404(pk: int):
    service = sel.service_list(active_only=False).filter(pk=pk).first()
    if service is None:
        raise Http404
    return service


@login_required
@require_GET
def manage(request):
    _require(request.user, CONFIG_ROLE, CLIENT_ROLE)
    return render(
        request,
        "open311/manage.html",
        {
            "settings": sel.settings_get(),
            "services": sel.service_list(active_only=False),
            "clients": sel.client_list(),
            "can_configure": request.user.has_role(CONFIG_ROLE),
            "can_manage_clients": request.user.has_role(CLIENT_ROLE),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def settings_update(request):
    _require(request.user, CONFIG_ROLE)
    current = sel.settings_get()
    if request.method == "POST":
        form = SettingsForm(request.POST, instance=sel.settings_get())
        if form.is_valid():
            data = {f: form.cleaned_data[f] for f in services.SETTINGS_FIELDS}
            try:
                services.settings_update(
                    actor=request.user, version=form.cleaned_data["version"], **data
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The Open311 settings are saved."))
                return redirect("open311:manage")
    else:
        form = SettingsForm(instance=current, initial={"version": current.version})
    status = 400 if request.method == "POST" else 200
    return render(request, "open311/settings_form.html", {"form": form}, status=status)


def _service_data(form: ServiceForm) -> dict:
    return {f: form.cleaned_data[f] for f in services.SERVICE_FIELDS}


@login_required
@require_http_methods(["GET", "POST"])
def service_create(request):
    _require(request.user, CONFIG_ROLE)
    form = ServiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service = services.service_create(
                actor=request.user,
                service_code=form.cleaned_data["service_code"],
                **_service_data(form),
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The service is added."))
            return redirect("open311:service_update", pk=service.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "open311/service_form.html", {"form": form, "service": None}, status=status
    )


def _service_page(request, service, *, form=None, attribute_form=None, status=200):
    return render(
        request,
        "open311/service_form.html",
        {
            "service": service,
            "form": form or ServiceForm(instance=service, initial={"version": service.version}),
            "attributes": sel.service_attributes(service=service),
            "attribute_form": attribute_form
            or AttributeForm(initial={"order": len(sel.service_attributes(service=service)) + 1}),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def service_update(request, pk: int):
    _require(request.user, CONFIG_ROLE)
    service = _service_or_404(pk)
    if request.method == "GET":
        return _service_page(request, service)
    form = ServiceForm(request.POST, instance=_service_or_404(pk))
    if form.is_valid():
        try:
            services.service_update(
                actor=request.user,
                service=service,
                version=form.cleaned_data["version"],
                **_service_data(form),
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The service is saved."))
            return redirect("open311:service_update", pk=service.pk)
    return _service_page(request, service, form=form, status=400)


def _save_attribute(request, service, form: AttributeForm, attribute=None) -> bool:
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        services.attribute_save(
            actor=request.user,
            service=service,
            attribute=attribute,
            code=data["code"],
            description=data["description"],
            order=data["order"],
            datatype=data["datatype"],
            variable=data["variable"],
            required=data["required"],
            datatype_description=data["datatype_description"],
            values=data["values"],
        )
    except ValidationError as exc:
        apply_service_error(form, exc)
        return False
    return True


@login_required
@require_POST
def attribute_create(request, pk: int):
    _require(request.user, CONFIG_ROLE)
    service = _service_or_404(pk)
    form = AttributeForm(request.POST)
    if _save_attribute(request, service, form):
        messages.success(request, _("The question is added."))
        return redirect("open311:service_update", pk=service.pk)
    return _service_page(request, service, attribute_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def attribute_update(request, pk: int, attribute_pk: int):
    _require(request.user, CONFIG_ROLE)
    service = _service_or_404(pk)
    attribute = get_object_or_404(ServiceAttribute, pk=attribute_pk, service=service)
    if request.method == "POST":
        form = AttributeForm(request.POST)
        if _save_attribute(request, service, form, attribute):
            messages.success(request, _("The question is saved."))
            return redirect("open311:service_update", pk=service.pk)
        status = 400
    else:
        form, status = AttributeForm(initial=AttributeForm.initial_for(attribute)), 200
    return render(
        request,
        "open311/attribute_form.html",
        {"form": form, "service": service, "attribute": attribute},
        status=status,
    )


@login_required
@require_POST
def attribute_delete(request, pk: int, attribute_pk: int):
    _require(request.user, CONFIG_ROLE)
    service = _service_or_404(pk)
    attribute = get_object_or_404(ServiceAttribute, pk=attribute_pk, service=service)
    services.attribute_delete(actor=request.user, attribute=attribute)
    messages.success(request, _("The question is removed."))
    return redirect("open311:service_update", pk=service.pk)


def _key_page(request, issued: services.IssuedKey, *, new_client: bool):
    response = render(
        request,
        "open311/client_key.html",
        {"client": issued.client, "key": issued.key, "new_client": new_client},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def client_create(request):
    _require(request.user, CLIENT_ROLE)
    if request.method == "POST":
        form = ClientForm(request.POST)
        if form.is_valid():
            try:
                issued = services.client_create(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    contact=form.cleaned_data["contact"],
                    unit=form.cleaned_data["unit"],
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                return _key_page(request, issued, new_client=True)
        status = 400
    else:
        default = sel.receiving_unit_default() or request.user.unit
        form, status = ClientForm(initial={"unit": default}), 200
    return render(request, "open311/client_form.html", {"form": form}, status=status)


def _client_or_404(pk: int):
    client = sel.client_get(pk=pk)
    if client is None:
        raise Http404
    return client


@login_required
@require_POST
def client_rotate_key(request, pk: int):
    _require(request.user, CLIENT_ROLE)
    issued = services.client_rotate_key(actor=request.user, client=_client_or_404(pk))
    return _key_page(request, issued, new_client=False)


@login_required
@require_POST
def client_revoke(request, pk: int):
    _require(request.user, CLIENT_ROLE)
    try:
        client = services.client_revoke(actor=request.user, client=_client_or_404(pk))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The key of %(name)s is revoked.") % {"name": client.name})
    return redirect("open311:manage")
