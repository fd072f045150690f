"""Form helpers shared by every app."""

from django import forms
from django.core.exceptions import ValidationError

from ctg import formatting

REASON_MAX_LENGTH = 1000


class ReasonField(forms.CharField):
    """A free-text reason or comment: optional unless said, bounded by
    :data:`REASON_MAX_LENGTH` with a French message naming it (``noun``: « Le motif »)."""

    def __init__(
        self,
        *,
        label: str = "Motif",
        noun: str = "Le motif",
        rows: int = 2,
        limit: int = REASON_MAX_LENGTH,
        **kwargs,
    ):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": rows}))
        super().__init__(label=label, **kwargs)
        self.noun, self.limit = noun, limit
        self.widget.attrs["maxlength"] = str(limit)

    def validate(self, value):
        super().validate(value)
        if value and len(value) > self.limit:
            raise ValidationError(
                f"{self.noun} ne doit pas dépasser {formatting.number(self.limit, 0)} caractères "
                f"(il en compte {formatting.number(len(value), 0)}) : raccourcissez-le.",
                code="max_length",
            )


class DateInput(forms.DateInput):
    """The browser's date picker; the value in ISO format, as the picker expects it."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def value_field(
    label: str, *, required: bool = True, help_text: str = "", noun: str = "La valeur"
) -> forms.DecimalField:
    """A value as the models store it (14 digits, 2 decimals), typed the French way
    (« 12,5 »), with the French refusals: the one home of a value field in the forms."""
    return forms.DecimalField(
        label=label,
        required=required,
        help_text=help_text,
        max_digits=14,
        decimal_places=2,
        localize=True,
        error_messages={
            "invalid": f"{noun} doit être un nombre (exemple : 12,5).",
            "max_decimal_places": "Deux décimales au plus.",
            "max_digits": "Ce nombre est trop grand.",
            "max_whole_digits": "Ce nombre est trop grand.",
        },
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the fields it names, the rest
    (unknown fields, errors without a field) at the top of the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class HiddenFieldErrorsMixin:
    """A hidden field (version, token, target phase) has nowhere to show its error: a
    tampered or stale value would give back the form without any message. Its errors go
    to the top of the form instead."""

    def full_clean(self):
        super().full_clean()
        if not self.is_bound:
            return
        hidden = [
            name
            for name in list(self._errors or {})
            if name in self.fields and self.fields[name].widget.is_hidden
        ]
        for name in hidden:
            del self._errors[name]
            self.cleaned_data.pop(name, None)
        if hidden:
            self.add_error(
                None,
                "Le formulaire envoyé est incomplet ou a expiré : rechargez la page puis "
                "recommencez.",
            )


#: The largest database id (a bigint key): beyond it, nothing can match.
ID_MAX = 2**63 - 1


def parse_id(value: str | None) -> int | None:
    """An id from a query parameter (« ?thematique=12 »), or ``None`` for anything else: a
    5,000-digit number (``int()`` refuses it), « ² », a negative or a number beyond the
    database's integers."""
    if not value or not value.isascii() or not value.isdecimal() or len(value) > 19:
        return None
    number = int(value)
    return number if 0 < number <= ID_MAX else None
