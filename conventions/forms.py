"""Forms of the conventions app (crispy-forms, Bootstrap 5, French labels)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, Value, When

from conventions.models import Thematic
from ctg import uploads
from ctg.dates import validate_plausible_date
from ctg.forms import (
    DateInput,
    HiddenFieldErrorsMixin,
    ReasonField,
    add_service_errors,  # noqa: F401 - used as forms.add_service_errors
)

from .models import Caf, Collectivity, Convention, Signatory, User

# --- Reasons ----------------------------------------------------------------------------------

#: The longest reason or comment a form accepts (a phase change, a status change, an opinion, a
#: substantive edit). The audit history stores it whole; the bound keeps it a sentence or a
#: paragraph, not a pasted document.
# --- Convention -------------------------------------------------------------------------------


class ConventionForm(HiddenFieldErrorsMixin, forms.ModelForm):
    """Create or edit a convention; the hidden ``version`` is the optimistic-locking token."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Convention
        fields = [
            "name",
            "caf",
            "start_date",
            "end_date",
            "purpose",
            "vision",
            "horizon_year",
            "thematics",
            "territories",
            "previous",
            "reporting_frequency",
            "meeting_pack_days",
            "measurements_need_validation",
        ]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "vision": forms.Textarea(attrs={"rows": 4}),
            "thematics": forms.CheckboxSelectMultiple,
            "territories": forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        }
        help_texts = {
            "territories": "L'intercommunalité et les communes que la convention couvre.",
            "previous": "Pour un renouvellement : la convention que celle-ci prolonge.",
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        editing = self.instance.pk is not None
        if user.is_superuser:
            caf_id = self.instance.caf_id if editing else None
        else:
            # Caf staff work on their own Caf only: the field is not offered.
            del self.fields["caf"]
            caf_id = self.instance.caf_id if editing else user.caf_id
            if not editing:
                self.instance.caf_id = caf_id
        self.fields["thematics"].queryset = Thematic.objects.filter(is_active=True)
        # The intercommunalities first (a CTG usually covers one), then the communes.
        territories = Collectivity.objects.order_by(
            Case(When(kind=Collectivity.Kind.EPCI, then=Value(0)), default=Value(1)), "name"
        )
        previous = Convention.objects.select_related("caf").order_by("-start_date", "name")
        if caf_id:
            territories = territories.filter(caf_id=caf_id)
            previous = previous.filter(caf_id=caf_id)
        if editing:
            previous = previous.exclude(pk=self.instance.pk)
            self.fields["version"].initial = self.instance.version
        self.fields["territories"].queryset = territories
        self.fields["previous"].queryset = previous
        self.fields["previous"].empty_label = "— aucune (première convention) —"
        # A form posted without it (an older page, a script) keeps the convention's setting.
        self.fields["measurements_need_validation"].required = False

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None and cleaned.get("version") is None:
            raise ValidationError("Version du formulaire manquante : rechargez la page.")
        if not cleaned.get("measurements_need_validation"):
            cleaned["measurements_need_validation"] = self.instance.measurements_need_validation
        return cleaned

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        if "caf" not in data:
            data["caf"] = self.instance.caf
        return data


# --- Signatories ------------------------------------------------------------------------------

PARTNER_PREFIX = "partner:"
COLLECTIVITY_PREFIX = "collectivity:"


class SignatoryForm(forms.ModelForm):
    organisation = forms.ChoiceField(
        label="Organisation",
        help_text="Une collectivité du référentiel de la Caf, la Caf elle-même ou un partenaire.",
    )
    partner_name = forms.CharField(
        label="Nom du partenaire",
        required=False,
        max_length=200,
        help_text="Obligatoire pour « Autre partenaire » ; sinon le type de partenaire par défaut "
        "(ex. « MSA Midi-Pyrénées Nord »).",
    )

    class Meta:
        model = Signatory
        fields = [
            "role",
            "representative_civility",
            "representative_name",
            "representative_title",
            "resolution_reference",
            "resolution_date",
            "signed_on",
        ]
        widgets = {"resolution_date": DateInput(), "signed_on": DateInput()}
        labels = {
            "representative_civility": "Civilité du représentant",
            "representative_name": "Représenté·e par (nom)",
        }
        help_texts = {"representative_title": "Par exemple : Président, Maire, Directrice."}

    field_order = ["organisation", "partner_name"]

    def __init__(self, *args, convention: Convention, **kwargs):
        super().__init__(*args, **kwargs)
        self.convention = convention
        self.fields["representative_civility"].choices = [
            ("", "Non précisée"),
            *Signatory.Civility.choices,
        ]
        collectivities = Collectivity.objects.filter(caf_id=convention.caf_id).order_by(
            "kind", "name"
        )
        self.fields["organisation"].choices = [
            ("", "— choisir —"),
            ("Caf", [("caf", convention.caf.name)]),
            (
                "Collectivités du référentiel",
                [
                    (f"{COLLECTIVITY_PREFIX}{c.pk}", f"{c.name} ({c.get_kind_display()})")
                    for c in collectivities
                ],
            ),
            (
                "Partenaires",
                [(f"{PARTNER_PREFIX}{v}", label) for v, label in Signatory.PartnerKind.choices],
            ),
        ]
        self._collectivities = {str(c.pk): c for c in collectivities}
        instance = self.instance
        if instance.pk:
            if instance.collectivity_id:
                self.initial["organisation"] = f"{COLLECTIVITY_PREFIX}{instance.collectivity_id}"
            elif instance.caf_id:
                self.initial["organisation"] = "caf"
            else:
                kind = instance.partner_kind or Signatory.PartnerKind.OTHER
                self.initial["organisation"] = f"{PARTNER_PREFIX}{kind}"
                self.initial["partner_name"] = instance.partner_name

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation") or ""
        name = (cleaned.get("partner_name") or "").strip()
        values = {"collectivity": None, "caf": None, "partner_kind": "", "partner_name": ""}
        if organisation == "caf":
            values["caf"] = self.convention.caf
        elif organisation.startswith(COLLECTIVITY_PREFIX):
            values["collectivity"] = self._collectivities.get(
                organisation.removeprefix(COLLECTIVITY_PREFIX)
            )
        elif organisation.startswith(PARTNER_PREFIX):
            kind = organisation.removeprefix(PARTNER_PREFIX)
            if kind == Signatory.PartnerKind.OTHER and not name:
                self.add_error("partner_name", "Indiquez le nom du partenaire.")
            values["partner_kind"] = kind
            values["partner_name"] = name or Signatory.PartnerKind(kind).label
        if (
            organisation
            and organisation != "caf"
            and not organisation.startswith(PARTNER_PREFIX)
            and values["collectivity"] is None
        ):
            self.add_error("organisation", "Choisissez une collectivité du référentiel.")
        cleaned.update(values)
        # The model's own checks (one organisation, dates) run on a complete instance.
        for key, value in values.items():
            setattr(self.instance, key, value)
        return cleaned

    def service_data(self) -> dict:
        keys = [*self.Meta.fields, "collectivity", "caf", "partner_kind", "partner_name"]
        return {k: self.cleaned_data.get(k) for k in keys}


# --- Collectivities ---------------------------------------------------------------------------


class CollectivityForm(forms.ModelForm):
    class Meta:
        model = Collectivity
        fields = ["kind", "name", "code", "population", "parent_epci"]

    def __init__(self, *args, caf: Caf | None, **kwargs):
        super().__init__(*args, **kwargs)
        if caf is None:  # superuser creating: choose the Caf
            self.fields["caf"] = forms.ModelChoiceField(Caf.objects.all(), label="Caf")
        else:
            self.instance.caf = caf
        epcis = Collectivity.objects.filter(kind=Collectivity.Kind.EPCI).order_by("name")
        if caf is not None:
            epcis = epcis.filter(caf=caf)
        if self.instance.pk:
            epcis = epcis.exclude(pk=self.instance.pk)
        self.fields["parent_epci"].queryset = epcis
        self.fields["parent_epci"].help_text = "Pour une commune seulement."

    def clean_code(self):
        return (self.cleaned_data.get("code") or "").strip().upper()

    def clean(self):
        cleaned = super().clean()
        if "caf" in self.fields and cleaned.get("caf"):
            self.instance.caf = cleaned["caf"]
        return cleaned

    def service_data(self) -> dict:
        return {k: self.cleaned_data.get(k) for k in self.Meta.fields}


class CollectivityImportForm(forms.Form):
    file = forms.FileField(
        label="Fichier CSV",
        help_text="Colonnes : code ; nom ; type (commune ou EPCI) ; code EPCI ; population. "
        "Séparateur « ; » ou « , », encodage UTF-8.",
    )

    def __init__(self, *args, choose_caf: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if choose_caf:
            self.fields["caf"] = forms.ModelChoiceField(Caf.objects.all(), label="Caf")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        uploads.validate_import_file(upload, accepted=(uploads.CSV,))
        return upload


# --- Lifecycle --------------------------------------------------------------------------------


class TransitionForm(HiddenFieldErrorsMixin, forms.Form):
    to_phase = forms.ChoiceField(choices=Convention.Phase.choices, widget=forms.HiddenInput)
    reason = ReasonField()


class SignForm(forms.Form):
    signed_on = forms.DateField(
        label="Date de signature", widget=DateInput(), validators=[validate_plausible_date]
    )
    reason = ReasonField(label="Commentaire", noun="Le commentaire")
