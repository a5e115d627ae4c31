"""The office director's configuration of the complaint centre: case settings, the category
tree and the time limits per stage."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaoneng.cases import services
from xiaoneng.cases.choices import Stage
from xiaoneng.cases.deadlines import DEFAULT_LIMITS, case_settings
from xiaoneng.cases.forms.settings import CaseSettingsForm, CategoryForm, TimeLimitForm
from xiaoneng.cases.models import Category, TimeLimit
from xiaoneng.core.forms import apply_service_error
from xiaoneng.org.choices import Role
from xiaoneng.org.services import ConflictError


def _director(request) -> None:
    if not request.user.has_role(Role.OFFICE_DIRECTOR):
        raise Http404


def _page(request, *, settings_form=None, category_form=None, limit_form=None, status=200):
    current = case_settings()
    return render(
        request,
        "cases/settings.html",
        {
            "settings_form": settings_form
            or CaseSettingsForm(instance=current, initial={"version": current.version}),
            "category_form": category_form or CategoryForm(),
            "limit_form": limit_form or TimeLimitForm(),
            "categories": Category.objects.select_related("parent").order_by("order", "code"),
            "limits": TimeLimit.objects.select_related("category").order_by(
                "stage", "category__code", "urgency"
            ),
            "defaults": [(Stage(stage).label, days) for stage, days in DEFAULT_LIMITS.items()],
        },
        status=status,
    )


@login_required
def settings_page(request):
    _director(request)
    return _page(request)


@login_required
@require_POST
def settings_update(request):
    _director(request)
    form = CaseSettingsForm(request.POST, instance=case_settings())
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            services.case_settings_update(actor=request.user, version=version, **data)
        except ConflictError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("The case settings are saved."))
            return redirect("cases:settings")
    return _page(request, settings_form=form, status=400)


@login_required
@require_POST
def category_create(request):
    _director(request)
    form = CategoryForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.category_create(
                actor=request.user,
                code=data["code"],
                name=data["name"],
                name_en=data["name_en"],
                parent=data["parent"],
                order=data["order"],
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The category is added."))
            return redirect("cases:settings")
    return _page(request, category_form=form, status=400)


@login_required
def category_update(request, pk: int):
    _director(request)
    category = get_object_or_404(Category, pk=pk)
    if request.method == "POST":
        form = CategoryForm(request.POST, editing=category, initial={"code": category.code})
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.category_update(
                    actor=request.user,
                    category=category,
                    name=data["name"],
                    name_en=data["name_en"],
                    parent=data["parent"],
                    order=data["order"],
                    is_active=data["is_active"],
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The category is saved."))
                return redirect("cases:settings")
    else:
        form = CategoryForm(
            editing=category,
            initial={
                "code": category.code,
                "name": category.name,
                "name_en": category.name_en,
                "parent": category.parent,
                "order": category.order,
                "is_active": category.is_active,
            },
        )
    return render(request, "cases/category_form.html", {"form": form, "category": category})


@login_required
@require_POST
def time_limit_set(request):
    _director(request)
    form = TimeLimitForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.time_limit_set(
                actor=request.user,
                stage=data["stage"],
                amount=data["amount"],
                unit=data["unit"],
                category=data["category"],
                urgency=data["urgency"] or "",
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The time limit is saved."))
            return redirect("cases:settings")
    return _page(request, limit_form=form, status=400)


@login_required
@require_POST
def time_limit_delete(request, pk: int):
    _director(request)
    services.time_limit_delete(actor=request.user, rule=get_object_or_404(TimeLimit, pk=pk))
    messages.success(request, _("The time limit is removed; the general rule applies again."))
    return redirect("cases:settings")


urlpatterns = [
    path("settings/", settings_page, name="settings"),
    path("settings/update/", settings_update, name="settings_update"),
    path("settings/categories/", category_create, name="category_create"),
    path("settings/categories/<int:pk>/", category_update, name="category_update"),
    path("settings/time-limits/", time_limit_set, name="time_limit_set"),
    path("settings/time-limits/<int:pk>/delete/", time_limit_delete, name="time_limit_delete"),
]
