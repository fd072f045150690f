"""Forms of the action plan (crispy-forms, Bootstrap 5, French labels).

Forms only validate input; the services in :mod:`actions.services` write.
"""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory

from conventions.models import Convention, Thematic
from ctg.forms import DateInput, HiddenFieldErrorsMixin, ReasonField
from diagnostics.models import Finding
from evaluation.models import SHARED_FIELDS, Indicator

from . import selectors, workflow
from .models import NUMBER_TAKEN, ActionSheet, Approval, FundingLine, Objective
from .services import FUNDING_FIELDS, INDICATOR_FIELDS


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class ObjectiveForm(forms.ModelForm):
    findings = forms.ModelMultipleChoiceField(
        label="Constats du diagnostic auxquels il répond",
        queryset=Finding.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Objective
        fields = ["thematic", "level", "parent", "stake", "title", "change_sought", "findings"]
        widgets = {"change_sought": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, convention: Convention, **kwargs):
        super().__init__(*args, **kwargs)
        self.convention = convention
        self.instance.convention = convention
        self.fields["thematic"].queryset = Thematic.objects.filter(is_active=True)
        parents = convention.objectives.filter(level=Objective.Level.GENERAL)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["parent"].help_text = "Pour un objectif opérationnel seulement."
        self.fields["stake"].queryset = convention.stakes.all()
        self.fields["findings"].queryset = Finding.objects.filter(
            diagnostic__convention=convention
        ).select_related("thematic")
        self.helper = _helper()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("level") == Objective.Level.GENERAL and cleaned.get("parent"):
            self.add_error(
                "parent", "Seul un objectif opérationnel se rattache à un objectif général."
            )
        return cleaned


class ActionSheetForm(HiddenFieldErrorsMixin, forms.ModelForm):
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)
    change_reason = ReasonField(
        label="Motif de la modification",
        help_text=(
            "Obligatoire si vous modifiez le fond d'une fiche soumise, validée ou en cours : "
            "une nouvelle version sera soumise au comité."
        ),
    )

    class Meta:
        model = ActionSheet
        fields = [
            "number",
            "title",
            "thematic",
            "other_thematics",
            "objective",
            "context",
            "goals",
            "description",
            "target_public",
            "lead",
            "lead_user",
            "partners",
            "communes",
            "start_date",
            "end_date",
            "expected_results",
            "no_funding",
        ]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "other_thematics": forms.CheckboxSelectMultiple,
            "communes": forms.CheckboxSelectMultiple,
            "context": forms.Textarea(attrs={"rows": 3}),
            "goals": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 4}),
            "partners": forms.Textarea(attrs={"rows": 2}),
            "expected_results": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, convention: Convention, **kwargs):
        super().__init__(*args, **kwargs)
        self.convention = convention
        self.instance.convention = convention
        self.fields["number"].required = False
        self.fields["number"].help_text = "Attribué automatiquement (FA-01, FA-02…) ; modifiable."
        if not self.instance.pk and not self.is_bound and not self.initial.get("number"):
            self.initial["number"] = selectors.next_sheet_number(convention=convention)
        offered = selectors.thematics_offered(convention=convention, sheet=self.instance)
        self.fields["thematic"].queryset = offered
        self.fields["other_thematics"].queryset = offered
        self.fields["objective"].queryset = convention.objectives.select_related("thematic")
        self.fields["communes"].queryset = selectors.communes_for(convention=convention)
        self.fields["lead_user"].queryset = selectors.lead_users_for(convention=convention)
        self.fields["lead"].help_text = "Personne ou structure qui pilote l'action."
        if self.instance.pk:
            self.initial.setdefault("revision", self.instance.revision)
        if not self.instance.pk or not workflow.is_versioned(self.instance):
            del self.fields["change_reason"]
        self.helper = _helper()

    def clean_number(self) -> str:
        number = (self.cleaned_data.get("number") or "").strip()
        if not number:
            return number
        taken = ActionSheet.objects.filter(convention=self.convention, number__iexact=number)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(NUMBER_TAKEN)
        return number

    def _get_validation_exclusions(self):
        # The number is checked above (the unique constraint also involves the convention).
        exclude = super()._get_validation_exclusions()
        exclude.add("number")
        return exclude


class FundingLineForm(forms.ModelForm):
    """A funding line: funder, year, nature (a select), amounts. A post without a nature
    (a page loaded before the field existed, a script) keeps the line's own nature, or
    « Fonctionnement » for a new line."""

    class Meta:
        model = FundingLine
        fields = list(FUNDING_FIELDS)
        localized_fields = ["planned_amount", "spent_amount"]
        widgets = {
            "year": forms.NumberInput(attrs={"min": 2000, "max": 2100}),
        }
        error_messages = {
            "nature": {
                "invalid_choice": "Choisissez « Fonctionnement » ou « Investissement ».",
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nature"].required = False
        self.fields["nature"].help_text = ""  # the two choices say it; the row stays short

    def _nature_sent(self) -> bool:
        return bool(self.data.get(self.add_prefix("nature")))

    def clean_nature(self) -> str:
        return (
            self.cleaned_data.get("nature") or self.instance.nature or FundingLine.Nature.OPERATING
        )

    def has_changed(self) -> bool:
        # An added row left empty is skipped even when its post has no nature.
        return any(name != "nature" or self._nature_sent() for name in self.changed_data)


class OwnRowsFormSet(BaseInlineFormSet):
    """An inline formset whose rows are the fiche's own.

    Django looks the id of a row up among *all* the rows of the model and turns an id it does
    not find among the fiche's into a new row: a tampered id (another convention's indicator,
    another fiche's funding line) became a copy on this fiche, and an id that is not a number
    gave the form back without a word (its error sits on a hidden field). Here every row of
    the form must carry the id of one of the fiche's rows, every added row none, and no hidden
    field may be wrong; otherwise the whole form is refused with :attr:`foreign_row_message`.
    """

    foreign_row_message = "Une ligne envoyée n'appartient pas à cette fiche"

    def _own_ids(self) -> set[str]:
        return {str(obj.pk) for obj in self.get_queryset()}

    def _tampered(self, index: int, form, own: set[str]) -> bool:
        submitted = (form.data.get(form.add_prefix(self.model._meta.pk.name)) or "").strip()
        if index < self.initial_form_count():
            if submitted not in own:
                return True
        elif submitted:
            return True
        return any(form[name].is_hidden for name in form.errors if name in form.fields)

    def clean(self):
        super().clean()
        if not self.is_bound:
            return
        own = self._own_ids()
        if any(self._tampered(i, form, own) for i, form in enumerate(self.forms)):
            raise forms.ValidationError(
                f"{self.foreign_row_message} : rechargez la page puis recommencez.",
                code="foreign_row",
            )


class BaseFundingFormSet(OwnRowsFormSet):
    foreign_row_message = "Une ligne de financement envoyée n'appartient pas à cette fiche"

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
                continue
            funder, year = form.cleaned_data.get("funder"), form.cleaned_data.get("year")
            if not funder or not year:
                continue
            key = (funder.strip().lower(), year)
            if key in seen:
                raise forms.ValidationError(
                    f"Le financeur « {funder} » a deux lignes pour l'année {year}."
                )
            seen.add(key)


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = Indicator
        fields = list(INDICATOR_FIELDS)
        localized_fields = ["baseline_value", "target_value"]
        widgets = {"baseline_date": DateInput(), "target_date": DateInput()}

    #: The help of a field an indicator takes from its shared indicator (read-only here).
    SHARED_HELP = "Défini par la Caf (indicateur partagé) : modifiable par elle seule."

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A linked indicator's definition is its shared indicator's (evaluation.shared):
        # shown, not edited; a disabled field keeps the value it has.
        if self.instance.shared_id is not None:
            for name in SHARED_FIELDS:
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = self.SHARED_HELP

    def _post_clean(self):
        # A new fiche has no id yet: validate the indicator as attached to it.
        instance = self.instance
        if instance.action_sheet_id is not None or instance.objective_id is not None:
            return super()._post_clean()
        model_clean = instance.clean

        def clean_as_attached():
            instance.action_sheet_id = -1
            try:
                model_clean()
            finally:
                instance.action_sheet_id = None

        instance.clean = clean_as_attached
        try:
            super()._post_clean()
        finally:
            del instance.clean


class BaseIndicatorFormSet(OwnRowsFormSet):
    foreign_row_message = "Un indicateur envoyé n'appartient pas à cette fiche"


#: Rows a fiche form takes per formset (funding lines, indicators): more is refused in French
#: without building them (a posted TOTAL_FORMS of 2,000 was a minute of a worker's time).
ROWS_MAX = 50

FundingFormSet = inlineformset_factory(
    ActionSheet,
    FundingLine,
    form=FundingLineForm,
    formset=BaseFundingFormSet,
    fk_name="sheet",
    extra=1,
    can_delete=True,
    max_num=ROWS_MAX,
    validate_max=True,
    absolute_max=ROWS_MAX,
)

IndicatorFormSet = inlineformset_factory(
    ActionSheet,
    Indicator,
    form=IndicatorForm,
    formset=BaseIndicatorFormSet,
    fk_name="action_sheet",
    extra=1,
    can_delete=True,
    max_num=ROWS_MAX,
    validate_max=True,
    absolute_max=ROWS_MAX,
)


def formset_rows(formset, fields) -> list[dict]:
    """The validated rows of an inline formset, as the services expect them."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data:
            continue
        pk = form.instance.pk if form.instance.pk else None
        if pk is None and not form.has_changed():
            continue
        row = {f: data.get(f) for f in fields if f in data}
        row["id"] = pk
        row["delete"] = bool(data.get("DELETE"))
        rows.append(row)
    return rows


class ApprovalForm(forms.Form):
    decision = forms.ChoiceField(
        label="Votre avis", choices=Approval.Decision.choices, widget=forms.RadioSelect
    )
    comment = ReasonField(
        label="Commentaire",
        noun="Le commentaire",
        rows=3,
        help_text="Obligatoire pour demander des modifications (« à revoir »).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("decision") == Approval.Decision.TO_REVIEW
            and not (cleaned.get("comment") or "").strip()
        ):
            self.add_error("comment", workflow.TRANSITIONS["send_back"].reason_missing)
        return cleaned


class ReasonForm(forms.Form):
    """The reason of a status change posted by a button of the fiche page (abandon, start…)."""

    reason = ReasonField()
