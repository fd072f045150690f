"""The form of « Reprendre une convention existante » (a convention signed before the tool)."""

from __future__ import annotations

from django import forms

from ctg.forms import DateInput

from .forms import ConventionForm
from .models import Collectivity, Convention


class TakeoverForm(ConventionForm):
    """The convention's fields, plus its real phase, signature date and signatories."""

    phase = forms.ChoiceField(
        label="Phase actuelle",
        choices=Convention.Phase.choices,
        initial=Convention.Phase.IMPLEMENTATION,
        help_text="Où en est réellement la convention aujourd'hui.",
    )
    signed_on = forms.DateField(
        label="Signée le",
        required=False,
        widget=DateInput(),
        help_text="Obligatoire pour une convention signée (mise en œuvre, évaluation, échue).",
    )
    caf_signs = forms.BooleanField(label="La Caf est signataire", required=False, initial=True)
    signatories = forms.ModelMultipleChoiceField(
        label="Collectivités signataires",
        queryset=Collectivity.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text="Elles reçoivent la date de signature ; représentants et délibérations se "
        "complètent ensuite dans « Gouvernance ».",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["signatories"].queryset = self.fields["territories"].queryset
        self.order_fields(
            [
                "name",
                "caf",
                "phase",
                "start_date",
                "end_date",
                "signed_on",
                "caf_signs",
                "signatories",
            ]
        )

    def service_data(self) -> dict:
        data = super().service_data()
        for name in ("phase", "signed_on", "caf_signs", "signatories"):
            data.pop(name, None)
        return data
