"""Forms of the diagnostic (crispy-forms, Bootstrap 5, French labels and messages)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from conventions.models import Collectivity, Convention, Thematic
from ctg import uploads
from ctg.forms import DateInput, HiddenFieldErrorsMixin

from . import selectors
from .imports import MAX_YEAR, MIN_YEAR, parse_decimal
from .models import Diagnostic, Finding, StatisticDefinition


class DiagnosticForm(HiddenFieldErrorsMixin, forms.ModelForm):
    """The header of the diagnostic; ``version`` carries the version it was loaded with."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    class Meta:
        model = Diagnostic
        fields = [
            "method",
            "start_date",
            "end_date",
            "summary",
            "participants_count",
            "participation",
            "sources",
        ]
        widgets = {
            "method": forms.Textarea(attrs={"rows": 3}),
            "start_date": DateInput(),
            "end_date": DateInput(),
            "summary": forms.Textarea(attrs={"rows": 5}),
            "participation": forms.Textarea(attrs={"rows": 3}),
            "sources": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "method": "Comment le diagnostic a été mené (données, entretiens, ateliers…).",
            "participation": "Qui a été consulté : habitants, partenaires, élus, agents…",
            "sources": "Ex. données Caf, Insee, analyse des besoins sociaux de la commune.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version if self.instance.pk else 0
        self.fields["participants_count"].error_messages["min_value"] = (
            "Le nombre de personnes consultées ne peut pas être négatif."
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "La fin du diagnostic ne peut pas précéder son début.")
        return cleaned

    def _post_clean(self):
        # The service validates the model; the form does not touch the instance.
        pass


class FindingForm(forms.Form):
    thematic = forms.ModelChoiceField(
        label="Thématique",
        queryset=Thematic.objects.none(),
        error_messages={
            "required": "Choisissez la thématique du constat.",
            "invalid_choice": "Cette thématique n'est pas retenue pour cette convention.",
        },
    )
    kind = forms.ChoiceField(
        label="Nature",
        choices=[("", "---------")] + Finding.Kind.choices,
        error_messages={"required": "Choisissez la nature du constat."},
    )
    text = forms.CharField(
        label="Constat",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Écrivez le constat."},
    )
    priority = forms.TypedChoiceField(
        label="Priorité",
        choices=Finding.Priority.choices,
        coerce=int,
        initial=Finding.Priority.MEDIUM,
    )
    source = forms.ChoiceField(
        label="Source", choices=[("", "Non précisée")] + Finding.Source.choices, required=False
    )

    def __init__(self, *args, convention: Convention, finding: Finding | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = convention.thematics.all()
        if finding is not None:
            allowed = Thematic.objects.filter(
                pk__in=list(allowed.values_list("pk", flat=True)) + [finding.thematic_id]
            )
        self.fields["thematic"].queryset = allowed.order_by("order", "label")

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if len(text) < 3:
            raise ValidationError("Le constat est trop court.")
        return text


class FrenchDecimalField(forms.CharField):
    """A number typed the French way: "1 234,5" or "12,5" (or "12.5")."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_decimal(value)
        except ValueError:
            raise ValidationError(
                "Saisissez un nombre, par exemple 1 234,5.", code="invalid"
            ) from None


class TerritoryStatisticForm(forms.Form):
    collectivity = forms.ModelChoiceField(
        label="Collectivité",
        queryset=Collectivity.objects.none(),
        error_messages={
            "required": "Choisissez la collectivité.",
            "invalid_choice": "Cette collectivité ne fait pas partie du territoire de la convention.",
        },
    )
    statistic = forms.ModelChoiceField(
        label="Statistique",
        queryset=StatisticDefinition.objects.order_by("label"),
        error_messages={
            "required": "Choisissez la statistique.",
            "invalid_choice": "Statistique inconnue.",
        },
    )
    year = forms.IntegerField(
        label="Année",
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
        error_messages={
            "required": "Indiquez l'année.",
            "invalid": "L'année doit être un nombre entier.",
            "min_value": f"L'année doit être comprise entre {MIN_YEAR} et {MAX_YEAR}.",
            "max_value": f"L'année doit être comprise entre {MIN_YEAR} et {MAX_YEAR}.",
        },
    )
    value = FrenchDecimalField(
        label="Valeur",
        help_text="Nombre, virgule décimale acceptée (ex. 12,5).",
        error_messages={"required": "Indiquez la valeur."},
    )
    source = forms.CharField(
        label="Source",
        max_length=200,
        required=False,
        help_text="Ex. Caf — données au 31 décembre, Insee RP.",
    )
    replace_open_data = forms.BooleanField(
        label="Remplacer la valeur des données ouvertes",
        required=False,
        help_text="Une valeur importée des données ouvertes Cafdata ne se modifie pas à la "
        "main ; cochez pour la remplacer, en indiquant pourquoi.",
    )
    override_reason = forms.CharField(
        label="Raison du remplacement",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Ex. chiffre corrigé par la Caf après vérification des places ouvertes.",
    )

    def __init__(self, *args, convention: Convention, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collectivity"].queryset = selectors.collectivities_of(convention=convention)
        self.fields["collectivity"].label_from_instance = lambda c: f"{c.name} ({c.code})"
        self.fields["statistic"].label_from_instance = lambda s: (
            f"{s.label} ({s.unit})" if s.unit else s.label
        )

    def clean_value(self):
        value = self.cleaned_data["value"]
        if value is not None:
            if abs(value) >= 10**12:
                raise ValidationError("Cette valeur est trop grande.")
            if value.as_tuple().exponent < -2:
                raise ValidationError("La valeur ne peut pas avoir plus de deux décimales.")
        return value

    def clean(self):
        cleaned = super().clean()
        reason = " ".join((cleaned.get("override_reason") or "").split())
        if cleaned.get("replace_open_data"):
            if len(reason) < 5:
                self.add_error(
                    "override_reason",
                    "Indiquez pourquoi vous remplacez la valeur des données ouvertes.",
                )
        else:
            reason = ""  # a reason without the box ticked replaces nothing
        cleaned["override_reason"] = reason
        return cleaned

    def service_data(self) -> dict:
        """The cleaned data as ``services.territory_statistic_save`` takes it."""
        data = dict(self.cleaned_data)
        data.pop("replace_open_data", None)
        return data


class StatisticImportForm(forms.Form):
    #: The kinds of file this import reads (``ctg.uploads``).
    accepted = (uploads.CSV, uploads.XLSX)

    file = forms.FileField(
        label="Fichier CSV ou XLSX",
        help_text="5 Mo au plus ; colonnes : code de la collectivité (INSEE ou SIREN), "
        "code de la statistique, année, valeur, source.",
        error_messages={
            "required": "Choisissez un fichier à importer.",
            "empty": "Le fichier est vide.",
        },
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        uploads.validate_import_file(upload, accepted=self.accepted)
        return upload


class CafdataImportForm(StatisticImportForm):
    accepted = (uploads.CSV,)

    file = forms.FileField(
        label="Fichier CSV Cafdata",
        help_text="Le fichier CSV téléchargé sur le portail Cafdata (séparateur « ; »), "
        "5 Mo au plus : filtrez-le sur votre département si besoin.",
        error_messages={
            "required": "Choisissez le fichier Cafdata à importer.",
            "empty": "Le fichier est vide.",
        },
    )
