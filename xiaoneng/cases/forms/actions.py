"""Forms of the lifecycle actions shown on the case page. They parse input; the services check
roles, states and the rules, and write. Forms whose service checks a version carry the case's
(or the assignment's) version in a hidden field, so that a stale page gets a conflict."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xiaoneng.cases import selectors
from xiaoneng.cases.choices import (
    AccountabilityKind,
    AssignmentRole,
    DispatchMode,
    Finding,
    LinkKind,
    ReturnRuling,
    Satisfaction,
    Solved,
    SupervisionLevel,
)
from xiaoneng.cases.services import UnitPart
from xiaoneng.core.forms import BootstrapMixin
from xiaoneng.org.selectors import unit_tree

_INDENT = "\u00a0\u00a0\u00a0\u00a0"
MAX_DAYS = 365
#: Rows of co-handling units the dispatch form offers (without JavaScript, a fixed number).
CO_ROWS = 3


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _days_field(label, help_text=None) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=False, min_value=1, max_value=MAX_DAYS, help_text=help_text
    )


class ObjectChoiceField(forms.TypedChoiceField):
    """Picks one of a list of objects (units, people) by primary key; cleans to the object."""

    def __init__(self, *, objects=(), label_of=str, empty_label="", **kwargs):
        super().__init__(coerce=self._object, empty_value=None, **kwargs)
        self.set_objects(objects, label_of=label_of, empty_label=empty_label)

    def set_objects(self, objects, *, label_of=str, empty_label="") -> None:
        self.objects = {str(obj.pk): obj for obj in objects}
        self.coerce = self._object  # bound to this copy of the field, not the form class's
        self.choices = [("", empty_label or "—")] + [
            (str(obj.pk), label_of(obj)) for obj in objects
        ]

    def _object(self, pk):
        return self.objects[pk]

    def prepare_value(self, value):
        return str(value.pk) if hasattr(value, "pk") else value

    def valid_value(self, value):
        return str(value) in self.objects


def unit_choices(tree) -> tuple[list, Callable]:
    """The active units in tree order, and a label that indents each under its parent."""
    depth = {unit.pk: d for unit, d in tree}
    return [unit for unit, _d in tree], lambda unit: _INDENT * depth[unit.pk] + unit.name


def _person_label(user) -> str:
    return f"{user.name}（{user.unit.name}）" if getattr(user, "unit", None) else user.name


def _radio_choices(choices):
    return forms.RadioSelect(choices=choices)


class ActionForm(BootstrapMixin, forms.Form):
    """A lifecycle action on ``case`` (or on ``assignment`` of it, or on ``obj``: a return or
    an extension request) by ``user``. ``error_aliases`` maps a service's error keys to the
    fields that show them."""

    error_aliases: dict[str, str] = {}
    versioned = False  # the service checks the case's version
    assignment_versioned = False  # the service checks the assignment's version

    def __init__(self, *args, case, user, assignment=None, obj=None, **kwargs):
        self.case, self.user, self.assignment, self.obj = case, user, assignment, obj
        super().__init__(*args, **kwargs)
        if self.versioned or self.assignment_versioned:
            self.fields["version"] = forms.IntegerField(
                widget=forms.HiddenInput,
                error_messages={"required": _("The form is incomplete. Reload the page.")},
            )
            target = assignment if self.assignment_versioned else case
            self.fields["version"].initial = target.version
        self.setup()
        self.style_fields()
        for field in self.fields.values():  # compact controls: the cards sit beside the case
            css = field.widget.attrs.get("class", "")
            for base in ("form-control", "form-select"):
                if base in css.split():
                    field.widget.attrs["class"] = f"{css} {base}-sm"

    def setup(self) -> None:
        """Fill the choices that depend on the case, the unit or the user."""

    def apply_service_error(self, exc: ValidationError) -> None:
        """Put a service's ValidationError on the form: field errors on their fields (through
        ``error_aliases``), everything else at the top."""
        if hasattr(exc, "error_dict"):
            for key, errors in exc.error_dict.items():
                field = self.error_aliases.get(key, key)
                target = field if field in self.fields else None
                for error in errors:
                    self.add_error(target, error)
        else:
            self.add_error(None, exc)


class DecisionForm(ActionForm):
    """Approve or refuse, with a note (required to refuse: the service says so)."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose approve or refuse.")},
    )
    note = forms.CharField(label=_("Note"), required=False, widget=_textarea(2))


# --- acceptance -------------------------------------------------------------------------------


class AcceptForm(ActionForm):
    versioned = True


class RejectForm(ActionForm):
    versioned = True
    reason = forms.CharField(
        label=_("Reason for not accepting"),
        widget=_textarea(),
        error_messages={"required": _("Give the reason for not accepting the case.")},
    )
    referral = forms.CharField(
        label=_("Referred to"),
        max_length=200,
        required=False,
        help_text=_("The body competent for the matter, if there is one."),
    )


# --- dispatch and supervision -------------------------------------------------------------------


class SupervisionFields(forms.Form):
    supervision_level = forms.ChoiceField(
        label=_("Supervision level"),
        choices=SupervisionLevel.choices,
        initial=SupervisionLevel.GENERAL,
        required=False,
    )
    supervision_text = forms.CharField(
        label=_("Requirements of the supervision notice"), required=False, widget=_textarea(2)
    )
    supervision_days = _days_field(
        _("Deadline of the notice (working days)"),
        help_text=_("Leave empty for the standard time limit."),
    )


class DispatchForm(ActionForm, SupervisionFields):
    versioned = True
    error_aliases = {"lead": "lead_unit", "co_units": "co_unit_1", "units": "lead_unit"}

    mode = forms.ChoiceField(
        label=_("Dispatch mode"),
        choices=DispatchMode.choices,
        initial=DispatchMode.TRANSFER,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a dispatch mode.")},
    )
    lead_unit = ObjectChoiceField(
        label=_("Handling unit (lead unit of a joint handling)"),
        required=False,
        help_text=_("When the office investigates itself, the office handles the case."),
    )
    lead_part = forms.CharField(label=_("Its part"), required=False, widget=_textarea(2))
    lead_days = _days_field(
        _("Handling time (working days)"), help_text=_("Leave empty for the standard time limit.")
    )

    def setup(self) -> None:
        units, label = unit_choices(unit_tree(include_inactive=False))
        self.fields["lead_unit"].set_objects(units, label_of=label)
        for row in range(1, CO_ROWS + 1):
            field = ObjectChoiceField(label=_("Co-handling unit"), required=False)
            field.set_objects(units, label_of=label)
            self.fields[f"co_unit_{row}"] = field
            self.fields[f"co_part_{row}"] = forms.CharField(
                label=_("Its part"), required=False, widget=_textarea(1)
            )
            self.fields[f"co_days_{row}"] = _days_field(_("Handling time (working days)"))

    @property
    def co_rows(self):
        return [
            (self[f"co_unit_{row}"], self[f"co_part_{row}"], self[f"co_days_{row}"])
            for row in range(1, CO_ROWS + 1)
        ]

    @property
    def has_more_co_rows(self) -> bool:
        """Whether a row after the first was filled in (its fold opens again)."""
        return self.is_bound and any(
            self.data.get(f"co_{name}_{row}")
            for row in range(2, CO_ROWS + 1)
            for name in ("unit", "part", "days")
        )

    def clean(self):
        data = super().clean()
        mode = data.get("mode")
        if mode == DispatchMode.INVESTIGATE:
            lead_unit = self.user.unit
            if lead_unit is None:
                raise ValidationError(_("Your account belongs to no unit."))
        else:
            lead_unit = data.get("lead_unit")
            if lead_unit is None and mode:
                self.add_error("lead_unit", _("Choose the handling unit."))
        co_units = []
        for row in range(1, CO_ROWS + 1):
            unit = data.get(f"co_unit_{row}")
            part = data.get(f"co_part_{row}") or ""
            days = data.get(f"co_days_{row}")
            if unit is not None:
                co_units.append(UnitPart(unit, part, days))
            elif part.strip() or days:
                self.add_error(f"co_unit_{row}", _("Choose the unit of this part."))
        if lead_unit is not None:
            data["lead"] = UnitPart(lead_unit, data.get("lead_part") or "", data.get("lead_days"))
        data["co_units"] = co_units
        return data


class SuperviseForm(ActionForm, SupervisionFields):
    versioned = True

    def setup(self) -> None:
        self.fields["supervision_level"].required = True
        self.fields["supervision_text"].required = True
        self.fields["supervision_text"].error_messages["required"] = _(
            "State what the supervision notice requires."
        )


# --- review, callback, redo, close-out ----------------------------------------------------------


class _RedoUnitsMixin:
    def _co_unit_choices(self, field: str) -> None:
        self.fields[field].choices = [
            (str(a.unit_id), a.unit.name) for a in selectors.case_co_assignments(case=self.case)
        ]
        if not self.fields[field].choices:
            del self.fields[field]


class ReviewForm(_RedoUnitsMixin, ActionForm):
    versioned = True
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("pass", _("Pass")), ("return", _("Return for redo"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose pass or return for redo.")},
    )
    reason = forms.CharField(
        label=_("Reasons for returning"),
        required=False,
        widget=_textarea(),
        help_text=_("Required when the case is returned for redo."),
    )
    redo_units = forms.TypedMultipleChoiceField(
        label=_("Co-handling units that redo their part too"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The lead unit always redoes its part."),
    )
    redo_days = _days_field(
        _("Time for the redo (working days)"),
        help_text=_("Leave empty for the standard time limit."),
    )

    def setup(self) -> None:
        self._co_unit_choices("redo_units")


class CallbackForm(ActionForm):
    versioned = True
    satisfaction = forms.ChoiceField(
        label=_("Is the complainant satisfied?"),
        choices=[("", "—"), *Satisfaction.choices],
        error_messages={"required": _("Record the complainant's satisfaction.")},
    )
    solved = forms.ChoiceField(
        label=_("Was the problem solved?"),
        choices=[("", "—"), *Solved.choices],
        required=False,
    )
    note = forms.CharField(label=_("Note"), required=False, widget=_textarea(2))


class RedoForm(_RedoUnitsMixin, ActionForm):
    versioned = True
    reason = forms.CharField(
        label=_("What must be redone"),
        widget=_textarea(),
        error_messages={"required": _("Say what must be redone.")},
    )
    units = forms.TypedMultipleChoiceField(
        label=_("Co-handling units that redo their part too"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The lead unit always redoes its part."),
    )
    days = _days_field(
        _("Time for the redo (working days)"),
        help_text=_("Leave empty for the standard time limit."),
    )

    def setup(self) -> None:
        self._co_unit_choices("units")


class CloseOutForm(ActionForm):
    versioned = True
    explanation = forms.CharField(label=_("Explanation"), required=False, widget=_textarea())

    def setup(self) -> None:
        if self.case.satisfaction == Satisfaction.DISSATISFIED:
            self.fields["explanation"].help_text = _(
                "Required: the complainant is dissatisfied. Explain why the case is closed anyway."
            )


class CloseRequestForm(ActionForm):
    versioned = True
    explanation = forms.CharField(
        label=_("How the issue was resolved"),
        widget=_textarea(),
        error_messages={"required": _("Summarise how the issue was resolved.")},
    )


class CloseSignoffForm(DecisionForm):
    versioned = True


# --- clocks ---------------------------------------------------------------------------------


class SuspendForm(ActionForm):
    versioned = True
    reason = forms.CharField(
        label=_("Reason for suspending the clock"),
        max_length=200,
        error_messages={"required": _("Give the reason for suspending the clock.")},
    )


class ResumeForm(ActionForm):
    versioned = True


class ExtensionDecideForm(DecisionForm):
    pass


# --- major issues, accountability, instructions, links --------------------------------------


class MarkMajorForm(ActionForm):
    versioned = True
    leader = ObjectChoiceField(
        label=_("Responsible leader"),
        error_messages={"required": _("Choose the responsible leader.")},
    )

    def setup(self) -> None:
        self.fields["leader"].set_objects(selectors.responsible_leaders(), label_of=_person_label)
        if self.case.major_leader_id and not self.is_bound:
            self.initial.setdefault("leader", str(self.case.major_leader_id))


class MilestoneForm(ActionForm):
    title = forms.CharField(
        label=pgettext_lazy("major issue", "Milestone"),
        max_length=200,
        error_messages={"required": _("Name the milestone.")},
    )
    due_on = forms.DateField(
        label=_("Due on"),
        widget=_date_input(),
        error_messages={"required": _("Give the milestone's date.")},
    )


class MilestoneReachForm(ActionForm):
    milestone = ObjectChoiceField(
        label=pgettext_lazy("major issue", "Milestone"),
        error_messages={"required": _("Choose the milestone.")},
    )
    evidence = forms.CharField(
        label=_("Evidence"),
        widget=_textarea(),
        error_messages={"required": _("Describe the evidence that the milestone is reached.")},
    )

    def setup(self) -> None:
        self.fields["milestone"].set_objects(
            selectors.milestones_open(case=self.case),
            label_of=lambda m: f"{m.title}（{m.due_on:%Y-%m-%d}）",
        )


class AccountabilityForm(ActionForm):
    kind = forms.ChoiceField(
        label=_("Measure"),
        choices=[("", "—"), *AccountabilityKind.choices],
        error_messages={"required": _("Choose the accountability measure.")},
    )
    unit = ObjectChoiceField(
        label=_("Unit"), error_messages={"required": _("Choose the unit held accountable.")}
    )
    person = ObjectChoiceField(
        label=_("Person (account)"),
        required=False,
        help_text=_("Or type the name below if the person has no account."),
    )
    person_name = forms.CharField(label=_("Person (name)"), max_length=64, required=False)
    decided_on = forms.DateField(
        label=_("Decision date"),
        widget=_date_input(),
        error_messages={"required": _("Give the date of the decision.")},
    )
    document_number = forms.CharField(label=_("Document number"), max_length=64, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=_textarea(2))

    def setup(self) -> None:
        units, label = unit_choices(unit_tree(include_inactive=False))
        self.fields["unit"].set_objects(units, label_of=label)
        self.fields["person"].set_objects(
            selectors.case_unit_members(case=self.case), label_of=_person_label
        )


class InstructForm(ActionForm):
    text = forms.CharField(
        label=_("Instruction"),
        widget=_textarea(4),
        error_messages={"required": _("Write the instruction.")},
    )


class _CaseNumberField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": "XN-2026-000123"}))
        super().__init__(**kwargs)


class LinkForm(ActionForm):
    other = _CaseNumberField(
        label=_("Register number of the other case"),
        error_messages={"required": _("Give the register number of the other case.")},
    )
    kind = forms.ChoiceField(
        label=_("Relation"),
        choices=[(k, LinkKind(k).label) for k in (LinkKind.RELATED, LinkKind.DUPLICATE)],
        initial=LinkKind.RELATED,
    )

    def clean_other(self):
        other = selectors.case_get_by_number(user=self.user, number=self.cleaned_data["other"])
        if other is None:
            raise ValidationError(_("There is no case with this register number."))
        return other


class MergeForm(ActionForm):
    versioned = True
    into = _CaseNumberField(
        label=_("Merge into the case with register number"),
        error_messages={"required": _("Give the register number of the case to merge into.")},
    )

    def clean_into(self):
        into = selectors.case_get_by_number(user=self.user, number=self.cleaned_data["into"])
        if into is None:
            raise ValidationError(_("There is no case with this register number."))
        return into


class RulingForm(ActionForm):
    """The office's ruling on a unit's return (``obj`` is the CaseReturn)."""

    ruling = forms.ChoiceField(
        label=_("Ruling"),
        choices=[
            (ReturnRuling.REDISPATCH, _("Re-dispatch to another unit")),
            (ReturnRuling.INSIST, _("The unit keeps the case")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a ruling.")},
    )
    new_unit = ObjectChoiceField(label=_("Unit that takes the case over"), required=False)
    new_days = _days_field(
        _("Its handling time (working days)"),
        help_text=_("Leave empty for the standard time limit."),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=_textarea(2))

    def setup(self) -> None:
        units, label = unit_choices(unit_tree(include_inactive=False))
        self.fields["new_unit"].set_objects(units, label_of=label)


# --- the unit's work on its assignment ----------------------------------------------------------


class _HandlerMixin:
    def _handler_choices(self) -> None:
        self.fields["handler"].set_objects(
            selectors.unit_handlers(unit_id=self.assignment.unit_id), label_of=lambda u: u.name
        )


class SignForm(_HandlerMixin, ActionForm):
    assignment_versioned = True
    handler = ObjectChoiceField(
        label=_("Handler"),
        required=False,
        help_text=_("Optional: who in the unit handles the case."),
    )

    def setup(self) -> None:
        self._handler_choices()


class AssignHandlerForm(_HandlerMixin, ActionForm):
    assignment_versioned = True
    handler = ObjectChoiceField(
        label=_("Handler"), error_messages={"required": _("Choose the handler.")}
    )

    def setup(self) -> None:
        self._handler_choices()
        if self.assignment.handler_id and not self.is_bound:
            self.initial.setdefault("handler", str(self.assignment.handler_id))


class ProgressForm(ActionForm):
    note = forms.CharField(
        label=_("Progress"),
        widget=_textarea(),
        error_messages={"required": _("Describe the progress.")},
    )


class ReturnForm(ActionForm):
    assignment_versioned = True
    reason = forms.CharField(
        label=_("Why the case is not your unit's business"),
        widget=_textarea(),
        error_messages={"required": _("Say why the case is not your unit's business.")},
    )


class ReplyForm(ActionForm):
    assignment_versioned = True
    reply_text = forms.CharField(
        label=_("Reply"),
        widget=_textarea(5),
        error_messages={"required": _("Write the reply.")},
    )
    finding = forms.ChoiceField(
        label=_("Finding"),
        choices=[("", "—"), *Finding.choices],
        error_messages={"required": _("State whether the complaint was substantiated.")},
    )
    measures = forms.CharField(label=_("Measures taken"), required=False, widget=_textarea(3))

    def setup(self) -> None:
        if self.assignment.role == AssignmentRole.CO:
            del self.fields["finding"]
        if not self.is_bound:
            # A redo starts from the reply the unit gave last time.
            for field in ("reply_text", "finding", "measures"):
                value = getattr(self.assignment, field)
                if value and field in self.fields:
                    self.initial.setdefault(field, value)


class HeadApproveForm(ActionForm):
    assignment_versioned = True


class HeadRejectForm(ActionForm):
    assignment_versioned = True
    note = forms.CharField(
        label=_("What the reply lacks"),
        widget=_textarea(),
        error_messages={"required": _("Say what the reply lacks.")},
    )


class ExtensionRequestForm(ActionForm):
    amount = forms.IntegerField(
        label=_("Extra working days"),
        min_value=1,
        max_value=MAX_DAYS,
        error_messages={"required": _("Ask for at least one working day.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=_textarea(),
        error_messages={"required": _("Give the reason for the extension.")},
    )
