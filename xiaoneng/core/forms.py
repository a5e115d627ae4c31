"""Form helpers shared by every staff screen."""

from django import forms
from django.core.exceptions import ValidationError


class BootstrapMixin:
    """Gives each widget its Bootstrap class (call ``style_fields`` at the end of __init__)."""

    def style_fields(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput | forms.CheckboxSelectMultiple):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


def apply_service_error(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: field errors on their fields when the form
    has them, everything else at the top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)
