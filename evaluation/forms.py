"""Forms of the evaluation pages: they validate input; :mod:`evaluation.services` writes."""

from __future__ import annotations

import copy

from django import forms

from actions.models import Objective
from conventions.models import Thematic
from ctg import uploads
from ctg.dates import validate_plausible_date
from ctg.forms import DateInput, ReasonField, value_field

from . import sources
from .models import Observation, ProgressMarker


class MeasurementForm(forms.Form):
    date = forms.DateField(
        label="Date de la mesure", widget=DateInput(), validators=[validate_plausible_date]
    )
    value = value_field("Valeur", help_text="Virgule décimale acceptée (12,5).")
    comment = forms.CharField(
        label="Commentaire", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, communes=(), adds_up: bool = False, **kwargs):
        """``communes``: those of an indicator broken down by commune, a value field each
        (``commune_<id>``) beside the total; ``adds_up``: the total may be left empty, the
        communes' sum (:mod:`evaluation.breakdown`)."""
        super().__init__(*args, **kwargs)
        self.communes = list(communes)
        if not self.communes:
            return
        total = self.fields["value"]
        for commune in self.communes:
            field = copy.deepcopy(total)
            field.label, field.required, field.help_text = commune.name, False, ""
            self.fields[f"commune_{commune.pk}"] = field
        total.label = "Total du territoire"
        if adds_up:
            total.required = False
            total.help_text = "Laissé vide, il est la somme des communes ; saisi, il doit l'égaler."
        self.order_fields(["date", "value", *(f"commune_{c.pk}" for c in self.communes)])

    def parts(self):
        """The communes' values entered (commune id → value), ``None`` for an indicator
        not broken down."""
        if not self.communes:
            return None
        return {
            c.pk: value
            for c in self.communes
            if (value := self.cleaned_data.get(f"commune_{c.pk}")) is not None
        }


class WorkbookUploadForm(forms.Form):
    file = forms.FileField(
        label="Classeur rempli (.xlsx)",
        help_text="Le classeur téléchargé depuis cette page, complété.",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        uploads.validate_import_file(file, accepted=(uploads.XLSX,))
        return file


class ChangeSoughtForm(forms.Form):
    title = forms.CharField(label="Changement recherché", max_length=255)
    actor = forms.CharField(label="Acteurs concernés", max_length=200, required=False)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    objective = forms.ModelChoiceField(
        label="Objectif", queryset=Objective.objects.none(), required=False
    )
    thematic = forms.ModelChoiceField(
        label="Thématique", queryset=Thematic.objects.filter(is_active=True), required=False
    )

    def __init__(self, *args, convention, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["objective"].queryset = convention.objectives.order_by("title")


class MarkerForm(forms.Form):
    level = forms.ChoiceField(label="Niveau", choices=ProgressMarker.Level.choices)
    text = forms.CharField(
        label="Marqueur de progrès",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Un comportement observable : « les familles … », « les partenaires … ».",
    )


class ObservationForm(forms.Form):
    date = forms.DateField(
        label="Date de l'observation", widget=DateInput(), validators=[validate_plausible_date]
    )
    degree = forms.ChoiceField(label="Constat", choices=Observation.Degree.choices)
    text = forms.CharField(label="Observation", widget=forms.Textarea(attrs={"rows": 3}))


class MeasurementEditForm(MeasurementForm):
    """A measurement's value and comment (its date stays: another date is another value);
    for a value of the Caf's open data, the reason that replaces it (``open_data``: the
    field is offered for those only; :mod:`evaluation.sources` says when it is needed)."""

    date = None
    override_reason = ReasonField(
        label=sources.OVERRIDE_LABEL, noun="La raison", help_text=sources.OVERRIDE_HELP
    )

    def __init__(self, *args, open_data: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not open_data:
            del self.fields["override_reason"]


class MeasurementDeleteForm(forms.Form):
    """Deleting a value of the Caf's open data needs the reason that replaces it."""

    override_reason = ReasonField(
        label=sources.OVERRIDE_LABEL, noun="La raison", help_text=sources.OVERRIDE_HELP
    )


class UnlockForm(forms.Form):
    reason = ReasonField(
        label="Motif du déverrouillage",
        noun="Le motif",
        required=True,
        error_messages={"required": "Indiquez le motif du déverrouillage."},
        help_text="Il figurera dans le prochain rapport, avec la valeur avant et après.",
    )


class MeasurementReturnForm(forms.Form):
    """The Caf sends a value back to its author: the reason is required."""

    return_comment = ReasonField(
        label="Motif du renvoi",
        noun="Le motif",
        rows=3,
        required=True,
        error_messages={"required": "Indiquez pourquoi la mesure est renvoyée."},
        help_text="Il est envoyé par e-mail à l'auteur de la mesure, qui la corrige.",
    )
