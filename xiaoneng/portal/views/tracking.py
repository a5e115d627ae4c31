"""Following a case: the lookup by query code and password (or the secret link), the case
page, rating the reply and adding information."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from xiaoneng.core.forms import apply_service_error
from xiaoneng.core.middleware import client_ip
from xiaoneng.portal import selectors, services
from xiaoneng.portal.forms import LookupForm, RatingForm, SupplementForm
from xiaoneng.portal.http import access_grant, access_granted, access_revoke, public_view
from xiaoneng.portal.views.common import render_private


def _denied_message(code: str) -> str:
    if code == "throttled":
        return _("Too many wrong attempts. Wait 15 minutes and try again.")
    return _(
        "The query code or password is wrong. Check both (they are on your receipt) and try again."
    )


@public_view()
def case_lookup(request):
    """Open a case with its query code and password."""
    if request.method == "POST":
        form = LookupForm(request.POST, csrf_failed=request.portal_csrf_failed)
        if form.is_valid():
            try:
                access = services.access_verify(
                    code=form.cleaned_data["code"],
                    password=form.cleaned_data["password"],
                    ip=client_ip(request),
                )
            except services.AccessDenied as exc:
                form.add_error(None, _denied_message(exc.code))
            else:
                access_grant(request, access.code)
                return redirect("portal:case_detail", code=access.code)
        return render_private(request, "portal/case_lookup.html", {"form": form}, status=400)
    code = services.normalise_code(request.GET.get("code", ""))
    form = LookupForm(initial={"code": code} if code else None)
    return render_private(request, "portal/case_lookup.html", {"form": form})


@public_view()
def case_link(request, token: str):
    """Open a case with the secret link of its receipt."""
    try:
        access = services.access_by_token(token=token, ip=client_ip(request))
    except services.AccessDenied as exc:
        form = LookupForm()
        if exc.code == "throttled":
            message = _denied_message(exc.code)
        else:
            message = _("This link is not valid. Open your case with its query code and password.")
        return render_private(
            request, "portal/case_lookup.html", {"form": form, "link_error": message}, status=404
        )
    access_grant(request, access.code)
    return redirect("portal:case_detail", code=access.code)


def _open_access(request, code: str):
    """The access of a case open in this browser, or None."""
    code = services.normalise_code(code)
    if not access_granted(request, code):
        return None
    return selectors.access_get(code=code)


def _to_lookup(code: str):
    return redirect(reverse("portal:case_lookup") + "?" + urlencode({"code": code}))


def _case_page(request, access, *, rating_form=None, supplement_form=None, status=200):
    view = selectors.case_view_for(access=access)
    context = {
        "access": access,
        "view": view,
        "ratings": selectors.access_ratings(access=access),
        "rating_form": rating_form or (RatingForm() if view.can_rate else None),
        "supplement_form": supplement_form or (SupplementForm() if view.is_open else None),
        "settings": selectors.portal_settings(),
    }
    return render_private(request, "portal/case_detail.html", context, status=status)


@public_view()
def case_detail(request, code: str):
    access = _open_access(request, code)
    if access is None:
        return _to_lookup(code)
    return _case_page(request, access)


@public_view()
def rating_create(request, code: str):
    access = _open_access(request, code)
    if access is None:
        return _to_lookup(code)
    if request.method != "POST":
        return redirect("portal:case_detail", code=access.code)
    form = RatingForm(request.POST, csrf_failed=request.portal_csrf_failed)
    if form.is_valid():
        try:
            services.rating_submit(
                access=access,
                rating=form.cleaned_data["rating"],
                solved=form.cleaned_data["solved"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Thank you. Your rating has reached the office."))
            return redirect("portal:case_detail", code=access.code)
    return _case_page(request, access, rating_form=form, status=400)


@public_view(uploads=True)
def supplement_create(request, code: str):
    access = _open_access(request, code)
    if access is None:
        return _to_lookup(code)
    if request.method != "POST":
        return redirect("portal:case_detail", code=access.code)
    form = SupplementForm(
        request.POST,
        request.FILES,
        csrf_failed=request.portal_csrf_failed,
        skipped_files=request.portal_upload.skipped,
    )
    if form.is_valid():
        try:
            services.supplement_submit(
                access=access,
                text=form.cleaned_data["text"],
                files=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Thank you. The information has been added to your case."))
            return redirect("portal:case_detail", code=access.code)
    form.files_dropped = bool(request.FILES) or bool(request.portal_upload.skipped)
    return _case_page(request, access, supplement_form=form, status=400)


@public_view()
def case_leave(request, code: str):
    """Close the case in this browser (on a shared computer)."""
    if request.method != "POST" or request.portal_csrf_failed:
        return redirect("portal:case_lookup")
    access_revoke(request, services.normalise_code(code))
    messages.info(request, _("The case is closed in this browser."))
    return redirect("portal:case_lookup")
