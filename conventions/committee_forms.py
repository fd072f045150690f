"""Forms of the governance pages: committees, their members and meetings.

Plain forms: they validate and hand clean values to the services of
``conventions.services.governance``, which do the writes. Each edit form carries the
optimistic-locking token it was loaded with (``token``).
"""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone

from conventions.models import Thematic
from ctg.dates import validate_plausible_date
from ctg.forms import HiddenFieldErrorsMixin

from .models import Committee, Convention, Side, User
from .selectors import eligible_member_users

DATETIME_INPUT = "%Y-%m-%dT%H:%M"


class TokenMixin(HiddenFieldErrorsMixin, forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, required=False)


class CommitteeForm(TokenMixin):
    kind = forms.ChoiceField(label="Type d'instance", choices=Committee.Kind.choices)
    name = forms.CharField(
        label="Nom",
        max_length=200,
        required=False,
        help_text="Laissé vide, le nom du type est repris (ex. « Comité de pilotage »).",
    )
    thematic = forms.ModelChoiceField(
        label="Thématique (groupe thématique)",
        queryset=Thematic.objects.none(),
        required=False,
        empty_label="— Choisir une thématique —",
    )
    approvals_required_per_side = forms.IntegerField(
        label="Avis favorables requis par collège",
        min_value=1,
        max_value=20,
        initial=1,
        help_text="Nombre d'avis favorables nécessaires de chaque côté (Caf et territoire) "
        "pour valider une fiche action.",
        error_messages={"min_value": "Au moins un avis favorable par collège est requis."},
    )

    def __init__(self, *args, convention: Convention, **kwargs):
        super().__init__(*args, **kwargs)
        ids = set(convention.thematics.filter(is_active=True).values_list("pk", flat=True))
        if not ids:
            ids = set(Thematic.objects.filter(is_active=True).values_list("pk", flat=True))
        current = self.initial.get("thematic")
        if current:
            ids.add(getattr(current, "pk", current))
        self.fields["thematic"].queryset = Thematic.objects.filter(pk__in=ids).order_by(
            "order", "label"
        )

    def clean(self):
        data = super().clean()
        if data.get("kind") == Committee.Kind.THEMATIC and not data.get("thematic"):
            self.add_error("thematic", "Un groupe thématique doit avoir une thématique.")
        return data


def user_label(user: User) -> str:
    name = user.get_full_name() or user.email
    where = user.caf or user.collectivity
    return f"{name} — {user.email}" + (f" ({where})" if where else "")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return user_label(obj)


class CommitteeMemberForm(TokenMixin):
    side = forms.ChoiceField(
        label="Collège", choices=Side.choices, widget=forms.RadioSelect, initial=Side.CAF
    )
    user = UserChoiceField(
        label="Compte utilisateur",
        queryset=User.objects.none(),
        required=False,
        empty_label="— Pas de compte (membre sans accès à l'application) —",
        help_text="Personnes de la Caf de la convention ou d'une collectivité signataire. "
        "Un membre avec un compte peut donner son avis sur les fiches action.",
    )
    name = forms.CharField(
        label="Nom",
        max_length=200,
        required=False,
        help_text="Laissé vide, le nom du compte choisi est repris.",
    )
    function = forms.CharField(
        label="Fonction",
        max_length=200,
        required=False,
        help_text="Ex. « Maire adjointe à l'enfance », « Conseillère territoriale ».",
    )

    def __init__(self, *args, convention: Convention, current_user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        users = eligible_member_users(convention=convention)
        if current_user is not None:
            # A seat linked before (or by an administrator) keeps its account selectable.
            users = User.objects.filter(
                Q(pk__in=users.values("pk")) | Q(pk=current_user.pk)
            ).select_related("caf", "collectivity")
        self.fields["user"].queryset = users

    def clean(self):
        data = super().clean()
        if not (data.get("name") or "").strip() and not data.get("user"):
            self.add_error(
                "name", "Indiquez le nom du membre ou choisissez son compte utilisateur."
            )
        return data


class MeetingForm(TokenMixin):
    date = forms.DateTimeField(
        label="Date et heure",
        input_formats=[DATETIME_INPUT, "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
        error_messages={"invalid": "Saisissez une date et une heure valides."},
        validators=[validate_plausible_date],
    )
    location = forms.CharField(label="Lieu", max_length=200, required=False)
    agenda = forms.CharField(
        label="Ordre du jour", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    minutes = forms.CharField(
        label="Compte rendu", required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    decisions = forms.CharField(
        label="Décisions", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    @staticmethod
    def initial_for(meeting) -> dict:
        return {
            "date": timezone.localtime(meeting.date).strftime(DATETIME_INPUT),
            "location": meeting.location,
            "agenda": meeting.agenda,
            "minutes": meeting.minutes,
            "decisions": meeting.decisions,
        }
