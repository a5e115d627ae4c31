"""Forms of the portal: they parse and check what the public typed, in the reader's
language; the services apply the rules and write."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, time

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.cases.choices import RatingLevel, ReplyMethod, Solved
from xiaoneng.cases.protection import normalise_phone
from xiaoneng.cases.public import SUPPLEMENT_MAX_CHARS
from xiaoneng.core.forms import BootstrapMixin
from xiaoneng.portal.choices import BlockKind, StatisticsPeriod
from xiaoneng.portal.http import MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES
from xiaoneng.portal.models import PortalSettings
from xiaoneng.portal.selectors import category_label, public_categories, public_units

SUMMARY_MAX = 100
CONTENT_MIN, CONTENT_MAX = 10, 5000
COMMENT_MAX = 500
#: What the file chooser offers (the content decides in the end).
ACCEPT = "image/jpeg,image/png,image/gif,image/webp,application/pdf,audio/*"

_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_LANDLINE = re.compile(r"^0[0-9]{2,3}[0-9]{7,8}$")

# --- the one-time form token -----------------------------------------------------------------

_TOKEN_SALT = "xiaoneng.portal.complaint-form"
FORM_TOKEN_MAX_AGE = 12 * 3600


def form_token_issue() -> str:
    """A signed token carrying a fresh one-time nonce (nothing is stored until it is used)."""
    return signing.TimestampSigner(salt=_TOKEN_SALT).sign(secrets.token_urlsafe(24))


def form_token_nonce(token: str) -> str | None:
    """The nonce of a genuine token not older than ``FORM_TOKEN_MAX_AGE``, else None."""
    try:
        return signing.TimestampSigner(salt=_TOKEN_SALT).unsign(
            token or "", max_age=FORM_TOKEN_MAX_AGE
        )
    except signing.BadSignature:
        return None


# --- shared ----------------------------------------------------------------------------------


def _style(fields) -> None:
    """Bootstrap classes on the widgets (radio buttons are drawn by the templates)."""
    for field in fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput | forms.RadioSelect):
            continue
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


def _budget_values() -> dict:
    return {
        "count": MAX_FILES,
        "size": filesizeformat(MAX_FILE_BYTES),
        "total": filesizeformat(MAX_TOTAL_BYTES),
    }


class PortalForm(forms.Form):
    """A public form: Bootstrap classes, and a failed CSRF check reported as a form error
    (the person keeps what they typed and sends again)."""

    def __init__(self, *args, csrf_failed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.csrf_failed = csrf_failed
        _style(self.fields)

    def clean(self):
        data = super().clean()
        if self.csrf_failed:
            raise ValidationError(
                _(
                    "For your security the form could not be accepted (the page was open for "
                    "a long time, or your browser blocks cookies). Check your entries and send "
                    "the form again."
                ),
                code="csrf",
            )
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (empty when none was chosen)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = data if isinstance(data, list | tuple) else [data]
        files = [super(MultipleFileField, self).clean(item, initial) for item in items if item]
        if len(files) > MAX_FILES:
            raise ValidationError(
                _("Attach at most %(count)s files.") % {"count": MAX_FILES}, code="file_count"
            )
        if sum(f.size or 0 for f in files) > MAX_TOTAL_BYTES:
            raise ValidationError(
                _("The files together are larger than %(limit)s.")
                % {"limit": filesizeformat(MAX_TOTAL_BYTES)},
                code="file_total",
            )
        return files


def skipped_file_errors(skipped) -> list[str]:
    """Messages for the files the upload budget did not let through."""
    messages = []
    for item in skipped:
        if item.reason == "count":
            text = _("“%(name)s” was not received: attach at most %(count)s files.")
        elif item.reason == "size":
            text = _("“%(name)s” was not received: a file may have at most %(limit)s.")
        else:
            text = _("“%(name)s” was not received: the files together may have at most %(total)s.")
        messages.append(
            text
            % {
                "name": item.name,
                "count": MAX_FILES,
                "limit": filesizeformat(MAX_FILE_BYTES),
                "total": filesizeformat(MAX_TOTAL_BYTES),
            }
        )
    return messages


# --- filing ----------------------------------------------------------------------------------


class CategoryField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return category_label(obj)


class UnitField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ComplaintForm(PortalForm):
    """The complaint form anyone can use on a phone, named or anonymous."""

    IDENTITY_CHOICES = (
        ("named", _("In my name")),
        ("anonymous", _("Anonymously")),
    )

    identity = forms.ChoiceField(
        label=_("How do you file?"),
        choices=IDENTITY_CHOICES,
        initial="named",
        widget=forms.RadioSelect,
        help_text=_(
            "An anonymous complaint is handled too, but the office cannot call you back; "
            "you follow it here with your query code."
        ),
    )
    name = forms.CharField(label=_("Your name"), max_length=64, required=False)
    phone = forms.CharField(
        label=_("Mobile or phone number"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(label=_("E-mail (optional)"), required=False, max_length=254)
    address = forms.CharField(label=_("Postal address (optional)"), max_length=200, required=False)
    subject_unit = UnitField(
        label=_("Unit complained about"),
        queryset=None,
        required=False,
        empty_label=_("I do not know / not in the list"),
    )
    subject_persons = forms.CharField(
        label=_("Staff complained about (optional)"),
        max_length=100,
        required=False,
        help_text=_("A name, a staff number or the window, if you know it."),
    )
    category = CategoryField(label=_("What kind of problem?"), queryset=None)
    summary = forms.CharField(
        label=_("Title"),
        max_length=SUMMARY_MAX,
        help_text=_("One line, e.g. “Sent away three times at the social security window”."),
    )
    content = forms.CharField(
        label=_("What happened"),
        min_length=CONTENT_MIN,
        max_length=CONTENT_MAX,
        widget=forms.Textarea(attrs={"rows": 7}),
    )
    occurred_on = forms.DateField(
        label=_("When (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    place = forms.CharField(label=_("Where (optional)"), max_length=200, required=False)
    attachments = MultipleFileField(label=_("Photos, PDF or recordings (optional)"))
    reply_wanted = forms.BooleanField(label=_("I want a reply"), required=False, initial=True)
    reply_method = forms.ChoiceField(
        label=_("Reply by"),
        required=False,
        choices=[("", "—"), *ReplyMethod.choices],
        initial=ReplyMethod.PORTAL,
    )
    captcha = forms.CharField(
        label=_("Characters in the image"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    captcha_key = forms.CharField(widget=forms.HiddenInput, required=False)
    form_token = forms.CharField(widget=forms.HiddenInput, required=False)
    # A field people never see: bots that fill every field give themselves away.
    website = forms.CharField(required=False, label=_("Leave this field empty"))
    pledge = forms.BooleanField(
        label=_("What I report is true to the best of my knowledge."),
        error_messages={"required": _("Confirm that what you report is true.")},
    )

    def __init__(self, *args, skipped_files=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = public_categories()
        self.fields["category"].empty_label = _("Choose…")
        self.fields["subject_unit"].queryset = public_units().order_by("order", "code")
        self.skipped_files = list(skipped_files)
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        self.fields["content"].help_text = _(
            "Who, what, and what you expect. At most %(max)s characters."
        ) % {"max": CONTENT_MAX}
        self.fields["attachments"].help_text = (
            _(
                "Up to %(count)s files, at most %(size)s each and %(total)s together. The "
                "location is removed from photos."
            )
            % _budget_values()
        )
        self.fields["attachments"].widget.attrs["accept"] = ACCEPT

    def clean_phone(self):
        typed = self.cleaned_data.get("phone", "")
        phone = normalise_phone(typed)
        if (typed.strip() and not phone) or (
            phone and not (_MOBILE.match(phone) or _LANDLINE.match(phone))
        ):
            raise ValidationError(
                _("Enter an 11-digit mobile number, or a landline number with its area code."),
                code="phone",
            )
        return phone

    def clean_occurred_on(self):
        day = self.cleaned_data.get("occurred_on")
        if day and day > timezone.localdate():
            raise ValidationError(_("The date cannot lie in the future."), code="future")
        return day

    def clean_summary(self):
        return " ".join(self.cleaned_data.get("summary", "").split())

    def clean(self):
        data = super().clean()
        for message in skipped_file_errors(self.skipped_files):
            self.add_error("attachments", message)
        if data.get("website"):
            raise ValidationError(_("The form could not be accepted."), code="spam")
        anonymous = data.get("identity") == "anonymous"
        if anonymous:
            for name in ("name", "phone", "email", "address"):
                data[name] = ""
        else:
            if not (data.get("name") or "").strip():
                self.add_error("name", _("Give your name, or file anonymously."))
            if not data.get("phone") and "phone" not in self.errors:
                self.add_error(
                    "phone",
                    _("Give a phone number the office can reach you at, or file anonymously."),
                )
        method = data.get("reply_method") or ""
        if not data.get("reply_wanted"):
            data["reply_method"] = ""
        elif not method:
            self.add_error("reply_method", _("Choose how you want the reply."))
        elif anonymous and method != ReplyMethod.PORTAL:
            self.add_error(
                "reply_method", _("An anonymous complaint is answered on this portal only.")
            )
        elif method == ReplyMethod.EMAIL and not data.get("email"):
            self.add_error("email", _("Give your e-mail address for a reply by e-mail."))
        elif method == ReplyMethod.LETTER and not (data.get("address") or "").strip():
            self.add_error("address", _("Give your postal address for a reply by letter."))
        data["anonymous"] = anonymous
        return data


# --- following a case ------------------------------------------------------------------------


class LookupForm(PortalForm):
    code = forms.CharField(
        label=_("Query code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        label=_("Query password"),
        max_length=40,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )


class RatingForm(PortalForm):
    rating = forms.ChoiceField(
        label=_("How satisfied are you with the reply?"),
        choices=RatingLevel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how satisfied you are with the reply.")},
    )
    solved = forms.ChoiceField(
        label=_("Was your problem solved?"),
        choices=Solved.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether your problem was solved.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=COMMENT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SupplementForm(PortalForm):
    text = forms.CharField(
        label=_("What do you want to add?"),
        max_length=SUPPLEMENT_MAX_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    attachments = MultipleFileField(label=_("Photos, PDF or recordings (optional)"))

    def __init__(self, *args, skipped_files=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.skipped_files = list(skipped_files)
        self.fields["attachments"].help_text = (
            _("Up to %(count)s files, at most %(size)s each and %(total)s together.")
            % _budget_values()
        )
        self.fields["attachments"].widget.attrs["accept"] = ACCEPT

    def clean(self):
        data = super().clean()
        for message in skipped_file_errors(self.skipped_files):
            self.add_error("attachments", message)
        empty = not (data.get("text") or "").strip() and not data.get("attachments")
        if empty and not self.errors:
            self.add_error("text", _("Write what you want to add, or attach a file."))
        return data


class StatisticsForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Period"),
        choices=StatisticsPeriod.choices,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


# --- the office's screens --------------------------------------------------------------------


class BlockRuleForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Block"), choices=BlockKind.choices)
    value = forms.CharField(
        label=_("Value"),
        max_length=100,
        help_text=_("An IP address or network (203.0.113.0/24), a phone number, or a keyword."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)
    expires_on = forms.DateField(
        label=_("Until (inclusive, optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty to block until the rule is lifted."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()

    def clean_expires_on(self):
        day = self.cleaned_data.get("expires_on")
        if day and day < timezone.localdate():
            raise ValidationError(_("The date cannot lie in the past."), code="past")
        return day

    def expires_at(self) -> datetime | None:
        """The end of the chosen day, in the site's time zone."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day, time.max))


class PortalSettingsForm(BootstrapMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = PortalSettings
        fields = [
            "show_handler_names",
            "hotline",
            "email",
            "address",
            "address_en",
            "office_hours",
            "office_hours_en",
            "notice",
            "notice_en",
        ]
        widgets = {
            "notice": forms.Textarea(attrs={"rows": 3}),
            "notice_en": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()
