"""Forms of the reference sheet of an indicator (:mod:`evaluation.reference`): they validate
input; the services write."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from ctg.forms import ReasonField, value_field

from . import reference
from .models import Indicator, IndicatorTarget
from .shared_forms import BINDING_SEPARATOR, NO_BINDING, binding_choices, binding_value

#: The texts of the sheet: (field, noun for the length refusal, rows).
TEXTS = (
    ("definition", "La définition", 3),
    ("calculation_method", "Le mode de calcul", 3),
    ("verification_means", "Le texte des moyens de vérification", 2),
    ("known_limits", "Le texte des limites connues", 2),
)
TEXT_MAX_LENGTH = 4000
UNKNOWN_SERIES = "Cette série n'existe pas dans les données ouvertes de la Caf."


def _model_field(name: str, **kwargs) -> forms.Field:
    return Indicator._meta.get_field(name).formfield(**kwargs)


class ReferenceSheetForm(forms.Form):
    """The sheet's fields: texts, person responsible, open-data binding (one select
    « Jeu de données › série (unité) »), aggregation and breakdown. The fields an indicator
    takes from its shared indicator are shown disabled."""

    def __init__(self, *args, indicator: Indicator, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicator = indicator
        for name, noun, rows in TEXTS:
            label = Indicator._meta.get_field(name).verbose_name
            self.fields[name] = ReasonField(
                label=label[:1].upper() + label[1:], noun=noun, rows=rows, limit=TEXT_MAX_LENGTH
            )
        self.fields["responsible"] = _model_field("responsible", label="Personne responsable")
        self.fields["binding"] = forms.ChoiceField(
            label="Série des données ouvertes",
            required=False,
            choices=self._binding_choices(),
            help_text=(
                "Jeu de données › série (unité). Les imports des données ouvertes de la Caf "
                "alimentent alors les mesures de l'indicateur."
            ),
            error_messages={"invalid_choice": UNKNOWN_SERIES},
        )
        self.fields["aggregation"] = _model_field("aggregation", label="Agrégation des valeurs")
        self.fields["breakdown"] = _model_field("breakdown", label="Ventilation")
        self.fields["definition"].help_text = "Ce que l'indicateur mesure, en une ou deux phrases."
        self.fields[
            "calculation_method"
        ].help_text = "Numérateur, dénominateur, périmètre, date d'observation."
        self.fields[
            "verification_means"
        ].help_text = (
            "Les pièces qui prouvent la valeur (liste d'inscrits, compte rendu, fichier Caf…)."
        )
        self.initial = {
            **{name: getattr(indicator, name) for name in reference.REFERENCE_FIELDS},
            "binding": binding_value(indicator.open_data_dataset, indicator.open_data_column),
            **self.initial,
        }
        locked = reference.locked_fields(indicator)
        words = reference.shared_words(indicator)
        for name, field in self.fields.items():
            source = ("open_data_dataset",) if name == "binding" else (name,)
            if locked.intersection(source):
                field.disabled = True
                field.help_text = words

    def _binding_choices(self) -> list:
        """The registry's series; a binding the registry no longer knows stays shown (and
        is refused if kept)."""
        choices = binding_choices()
        current = binding_value(self.indicator.open_data_dataset, self.indicator.open_data_column)
        known = {value for _, group in choices[1:] for value, _ in group}
        if current != NO_BINDING and current not in known:
            choices.append(("Inconnue", [(current, f"{current} (série inconnue du registre)")]))
        return choices

    def clean_binding(self) -> tuple[str, str]:
        value = self.cleaned_data.get("binding") or NO_BINDING
        dataset, _, column = value.partition(BINDING_SEPARATOR)
        if value != NO_BINDING:
            # The model's own check of a binding (the registry of diagnostics.cafdata).
            errors = Indicator(
                open_data_dataset=dataset, open_data_column=column
            ).clean_reference_sheet()
            if errors:
                raise forms.ValidationError(UNKNOWN_SERIES)
        return (dataset, column)

    def service_data(self) -> dict:
        """The cleaned values as :func:`evaluation.reference.indicator_reference_update`
        takes them."""
        data = {
            name: self.cleaned_data[name]
            for name in reference.REFERENCE_FIELDS
            if name in self.cleaned_data
        }
        data["open_data_dataset"], data["open_data_column"] = self.cleaned_data["binding"]
        return data


class YearlyTargetForm(forms.Form):
    year = forms.IntegerField(
        label="Année",
        required=False,
        min_value=1900,
        max_value=2100,
        error_messages={
            "invalid": "L'année doit être un nombre entier (exemple : 2024).",
            "min_value": "L'année doit être comprise entre 1900 et 2100.",
            "max_value": "L'année doit être comprise entre 1900 et 2100.",
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    value = value_field("Cible au 31 décembre", required=False, noun="La cible")

    def clean(self):
        cleaned = super().clean()
        year, value = cleaned.get("year"), cleaned.get("value")
        # A year without a value is a year without a target (the rows list every year).
        if value is not None and year is None and "year" not in self.errors:
            self.add_error("year", "Indiquez l'année de cette cible.")
        return cleaned

    def pair(self) -> tuple[int, Decimal] | None:
        data = getattr(self, "cleaned_data", None) or {}
        if data.get("year") is None or data.get("value") is None:
            return None
        return data["year"], data["value"]


class BaseYearlyTargetFormSet(forms.BaseFormSet):
    """The yearly targets of an indicator: a row per year (an empty row is no target),
    checked by :func:`evaluation.reference.target_refusals` (one target per year, years
    between the baseline and the target, direction-consistent)."""

    def __init__(self, *args, indicator: Indicator, **kwargs):
        self.indicator = indicator
        super().__init__(*args, **kwargs)

    def clean(self):
        if any(self.errors):
            return
        rows = [(form, pair) for form in self.forms if (pair := form.pair()) is not None]
        refusals = reference.target_refusals(self.indicator, [pair for _, pair in rows])
        for year, message in refusals:
            at = [form for form, pair in rows if pair[0] == year]
            if at:
                at[-1].add_error(None, message)
        general = [message for year, message in refusals if year is None]
        if general:
            raise forms.ValidationError(general)
        if refusals:
            raise forms.ValidationError(
                "Des cibles annuelles sont à corriger : voir les lignes signalées."
            )

    def pairs(self) -> list[tuple[int, Decimal]]:
        return [pair for form in self.forms if (pair := form.pair()) is not None]


YearlyTargetFormSet = forms.formset_factory(
    YearlyTargetForm,
    formset=BaseYearlyTargetFormSet,
    extra=0,
    max_num=reference.TARGETS_MAX,
    validate_max=True,
    absolute_max=reference.TARGETS_MAX,
)


def target_rows(indicator: Indicator, targets: list[IndicatorTarget]) -> list[dict]:
    """The formset's first rows: a row per year that may have a target (its target, if
    any), then the targets of other years (kept until corrected), by year; when the years
    are too many to list, the targets and three empty rows."""
    values = {t.year: t.value for t in targets}
    years = reference.target_years(indicator)
    if len(years) <= reference.TARGETS_MAX:
        listed = set(years) | set(values)
        return [{"year": y, "value": values.get(y)} for y in sorted(listed)][
            : reference.TARGETS_MAX
        ]
    rows = [{"year": y, "value": v} for y, v in sorted(values.items())]
    return rows + [{}] * min(3, reference.TARGETS_MAX - len(rows))
