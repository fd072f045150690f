"""Forms of the shared indicators (:mod:`evaluation.shared`): they validate input; the
services write."""

from __future__ import annotations

from django import forms

from conventions.models import Caf
from ctg.dates import validate_plausible_date
from ctg.forms import DateInput, ReasonField, value_field
from diagnostics import cafdata

from .models import SharedIndicator
from .shared import SHARED_INDICATOR_FIELDS

NO_BINDING = ""
BINDING_SEPARATOR = ":"


def binding_choices() -> list:
    """The series of the Caf's open data an indicator may be bound to, by data set (the
    registry of :mod:`diagnostics.cafdata`), as grouped choices « jeu:colonne »."""
    return [
        (NO_BINDING, "Aucune : valeurs saisies ou importées du classeur"),
        *(
            (
                dataset.label,
                [
                    (
                        f"{dataset.key}{BINDING_SEPARATOR}{series.column}",
                        f"{series.definition.label} ({series.column}, {series.unit})",
                    )
                    for series in dataset.series
                ],
            )
            for dataset in cafdata.DATASETS
        ),
    ]


def binding_value(dataset: str, column: str) -> str:
    return f"{dataset}{BINDING_SEPARATOR}{column}" if dataset and column else NO_BINDING


class SharedIndicatorForm(forms.ModelForm):
    """A shared indicator: identity, reference sheet and open-data binding (one select)."""

    caf = forms.ModelChoiceField(label="Caf", queryset=Caf.objects.none())
    binding = forms.ChoiceField(
        label="Série des données ouvertes",
        required=False,
        error_messages={"invalid_choice": "Cette série n'existe pas dans les données ouvertes."},
        help_text=(
            "Les imports de données ouvertes de la Caf alimentent alors les mesures de chaque "
            "convention qui suit cet indicateur."
        ),
    )

    class Meta:
        model = SharedIndicator
        fields = [
            f for f in SHARED_INDICATOR_FIELDS if f not in ("open_data_dataset", "open_data_column")
        ]
        widgets = {
            "definition": forms.Textarea(attrs={"rows": 3}),
            "calculation_method": forms.Textarea(attrs={"rows": 3}),
            "verification_means": forms.Textarea(attrs={"rows": 2}),
            "known_limits": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "code": "Court et stable (lettres, chiffres, tirets), unique dans la Caf : SDSF-PE-01.",
        }

    def __init__(self, *args, choose_caf: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["binding"].choices = binding_choices()
        if self.instance.pk:
            self.initial.setdefault(
                "binding",
                binding_value(self.instance.open_data_dataset, self.instance.open_data_column),
            )
        if choose_caf:
            self.fields["caf"].queryset = Caf.objects.order_by("name")
        else:
            del self.fields["caf"]

    def clean_binding(self) -> tuple[str, str]:
        value = self.cleaned_data.get("binding") or NO_BINDING
        if value == NO_BINDING:
            return ("", "")
        dataset, _, column = value.partition(BINDING_SEPARATOR)
        if cafdata.series(dataset, column) is None:
            raise forms.ValidationError("Cette série n'existe pas dans les données ouvertes.")
        return (dataset, column)

    def service_data(self) -> dict:
        """The cleaned values as :func:`evaluation.shared.shared_indicator_create` takes
        them."""
        data = {name: self.cleaned_data[name] for name in self._meta.fields}
        data["open_data_dataset"], data["open_data_column"] = self.cleaned_data["binding"]
        return data


class SharedLinkForm(forms.Form):
    """Link a shared indicator of the convention's Caf to a fiche: which one, and this
    territory's baseline and target."""

    shared = forms.ModelChoiceField(
        label="Indicateur partagé",
        queryset=SharedIndicator.objects.none(),
        error_messages={"invalid_choice": "Choisissez un indicateur partagé de la liste."},
    )
    baseline_value = value_field("Valeur de référence")
    baseline_date = forms.DateField(
        label="Date de référence", widget=DateInput(), validators=[validate_plausible_date]
    )
    target_value = value_field("Valeur cible")
    target_date = forms.DateField(
        label="Échéance de la cible", widget=DateInput(), validators=[validate_plausible_date]
    )
    responsible = forms.CharField(
        label="Personne responsable sur le territoire", max_length=200, required=False
    )
    change_reason = ReasonField(
        label="Motif de la modification",
        help_text=(
            "Obligatoire pour une fiche soumise, validée ou en cours : l'ajout d'un indicateur "
            "ouvre une nouvelle version soumise au comité."
        ),
    )

    def __init__(self, *args, offered, versioned: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shared"].queryset = offered
        self.fields["shared"].label_from_instance = lambda s: (
            f"{s.code} — {s.name}" + (f" ({s.unit})" if s.unit else "")
        )
        if not versioned:
            del self.fields["change_reason"]
