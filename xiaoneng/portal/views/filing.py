"""Filing a complaint: the form, its CAPTCHA and unit search, and the receipt."""

from __future__ import annotations

from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from xiaoneng.core.forms import apply_service_error
from xiaoneng.core.middleware import client_ip
from xiaoneng.portal import selectors, services
from xiaoneng.portal.forms import ComplaintForm, form_token_issue, form_token_nonce
from xiaoneng.portal.http import public_view
from xiaoneng.portal.views.common import render_private

#: The fields whose values a fresh form (new CAPTCHA, no errors) takes over.
_KEPT = (
    "identity",
    "name",
    "phone",
    "email",
    "address",
    "subject_unit",
    "subject_persons",
    "category",
    "summary",
    "content",
    "occurred_on",
    "place",
    "reply_method",
    "form_token",
)


def _carried_over(post) -> dict:
    initial = {name: post.get(name, "") for name in _KEPT}
    initial["reply_wanted"] = bool(post.get("reply_wanted"))
    initial["pledge"] = bool(post.get("pledge"))
    return initial


def _form_page(request, form, *, files_dropped: bool = False, status: int = 200):
    """The form with a fresh CAPTCHA (the last one is used up or forgotten)."""
    challenge = services.captcha_issue(ip=client_ip(request))
    if form.is_bound:  # the answer to the old image is of no use with the new one
        form.data = form.data.copy()
        form.data["captcha"] = ""
    context = {
        "form": form,
        "challenge": challenge,
        "files_dropped": files_dropped,
        "unit_count": selectors.public_units().count(),
    }
    return render_private(request, "portal/complaint_form.html", context, status=status)


def _complaint(data) -> services.Complaint:
    return services.Complaint(
        category=data["category"],
        summary=data["summary"],
        content=data["content"],
        anonymous=data["anonymous"],
        name=data["name"],
        phone=data["phone"],
        email=data["email"],
        address=data["address"],
        subject_unit=data["subject_unit"],
        subject_persons=data["subject_persons"],
        place=data["place"],
        occurred_on=data["occurred_on"],
        reply_wanted=data["reply_wanted"],
        reply_method=data["reply_method"],
    )


def _receipt(request, filing: services.Filing):
    link = (
        request.build_absolute_uri(reverse("portal:case_link", args=[filing.token]))
        if filing.token
        else ""
    )
    context = {
        "filing": filing,
        "code": filing.code,
        "password": filing.password,
        "link": link,
        "lookup_url": request.build_absolute_uri(reverse("portal:case_lookup")),
        "settings": selectors.portal_settings(),
    }
    if filing.password:
        text = render_to_string("portal/receipt.txt", context, request=request)
        context["download"] = "data:text/plain;charset=utf-8," + quote(text)
    return render_private(request, "portal/complaint_receipt.html", context)


@public_view(uploads=True)
def complaint_create(request):
    """The complaint form (GET) and its submission (POST): the receipt, or the form again
    with every field as typed and a clear message (the files must be chosen again)."""
    if request.method != "POST":
        form = ComplaintForm(initial={"form_token": form_token_issue(), "reply_wanted": True})
        return _form_page(request, form)
    skipped = request.portal_upload.skipped
    files_dropped = bool(request.FILES) or bool(skipped)
    if "refresh_captcha" in request.POST:
        return _form_page(
            request, ComplaintForm(initial=_carried_over(request.POST)), files_dropped=files_dropped
        )
    form = ComplaintForm(
        request.POST,
        request.FILES,
        csrf_failed=request.portal_csrf_failed,
        skipped_files=skipped,
    )
    nonce = form_token_nonce(request.POST.get("form_token", ""))
    valid = form.is_valid()
    if nonce is None:
        form.add_error(
            None,
            _("This form was open for too long. Check your entries and send it again."),
        )
        form.data = form.data.copy()
        form.data["form_token"] = form_token_issue()
    elif valid:
        data = form.cleaned_data
        try:
            filing = services.complaint_submit(
                nonce=nonce,
                captcha_key=data["captcha_key"],
                captcha_answer=data["captcha"],
                ip=client_ip(request),
                complaint=_complaint(data),
                files=data["attachments"],
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            return _receipt(request, filing)
    services.captcha_discard(key=request.POST.get("captcha_key", ""))
    return _form_page(request, form, files_dropped=files_dropped, status=400)


@public_view()
def captcha_refresh(request):
    """A new CAPTCHA for the form (HTMX); the old one is forgotten."""
    services.captcha_discard(key=request.GET.get("old", ""))
    challenge = services.captcha_issue(ip=client_ip(request))
    return render_private(request, "portal/partials/captcha.html", {"challenge": challenge})


@public_view()
def unit_search(request):
    """The options of the unit picker matching the search (HTMX); the unit already chosen
    stays among them."""
    units = selectors.unit_search(q=request.GET.get("q", ""))
    selected = request.GET.get("subject_unit", "")
    chosen = None
    if selected.isdigit() and all(str(u.pk) != selected for u in units):
        chosen = selectors.public_units().filter(pk=int(selected)).first()
    return render(
        request,
        "portal/partials/unit_options.html",
        {"units": units, "chosen": chosen, "selected": selected},
    )
