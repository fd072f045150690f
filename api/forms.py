"""The form of the profile page « Jetons d'API »."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from ctg import formatting
from ctg.forms import DateInput

from .models import DEFAULT_VALIDITY, MAX_VALIDITY


def expiry_moment(day: datetime.date) -> datetime.datetime:
    """A token valid « jusqu'au 31 mars 2026 » expires at the end of that day, local time."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Nom du jeton",
        max_length=100,
        help_text="Pour le reconnaître : le script ou l'outil qui l'utilise (ex. « Tableau "
        "de bord départemental »).",
    )
    expires_on = forms.DateField(
        label="Valable jusqu'au",
        widget=DateInput(),
        help_text="Un an au plus ; 90 jours par défaut.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.first_day = today
        self.last_day = (timezone.now() + MAX_VALIDITY).date() - datetime.timedelta(days=1)
        self.fields["expires_on"].initial = today + DEFAULT_VALIDITY
        self.fields["expires_on"].widget.attrs.update(
            min=today.isoformat(), max=self.last_day.isoformat()
        )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Donnez un nom au jeton.")
        return name

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day < self.first_day:
            raise forms.ValidationError("La date d'expiration ne peut pas être passée.")
        if day > self.last_day:
            raise forms.ValidationError(
                f"Un jeton est valable un an au plus : au plus tard le "
                f"{formatting.date(self.last_day)}."
            )
        return day

    @property
    def expires_at(self) -> datetime.datetime:
        return expiry_moment(self.cleaned_data["expires_on"])
