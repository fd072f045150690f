"""Forms of the invitations and of « Mot de passe oublié ? ».

They validate and hand clean values to ``conventions.services.invitation``, which writes.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import PasswordResetForm

from ctg.forms import HiddenFieldErrorsMixin

from .models import Committee, Invitation
from .permissions import ConventionAccess
from .services import invitation as invitations


class InvitationForm(HiddenFieldErrorsMixin, forms.Form):
    email = forms.EmailField(
        label="Adresse e-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        error_messages={
            "invalid": "Saisissez une adresse e-mail valide (ex. prenom.nom@mairie.fr)."
        },
    )
    first_name = forms.CharField(label="Prénom", max_length=150, required=False)
    last_name = forms.CharField(label="Nom", max_length=150, required=False)
    function = forms.CharField(
        label="Fonction",
        max_length=200,
        required=False,
        help_text="Facultatif. Ex. « Maire adjointe à l'enfance », « Conseillère territoriale ».",
    )
    kind = forms.ChoiceField(
        label="Rôle sur la convention",
        choices=Invitation.Kind.choices,
        widget=forms.RadioSelect,
        initial=Invitation.Kind.MEMBER,
    )
    collectivity = forms.ModelChoiceField(
        label="Collectivité signataire",
        queryset=None,
        required=False,
        empty_label="— Choisir une collectivité —",
        help_text="Obligatoire pour un·e chargé·e de coopération ou un·e élu·e.",
    )
    committee = forms.ModelChoiceField(
        label="Instance",
        queryset=None,
        required=False,
        empty_label="— Choisir une instance —",
        help_text="Obligatoire pour un membre d'instance.",
    )
    side = forms.ChoiceField(
        label="Collège",
        choices=(),
        required=False,
        help_text="Pour un membre d'instance : Caf ou territoire.",
    )

    def __init__(self, *args, access: ConventionAccess, **kwargs):
        kwargs.setdefault("prefix", "invitation")
        super().__init__(*args, **kwargs)
        collectivities = invitations.invitable_collectivities(access=access)
        self.fields["collectivity"].queryset = collectivities
        self.fields["committee"].queryset = Committee.objects.filter(
            convention=access.convention
        ).order_by("kind", "name")
        sides = invitations.invitable_sides(access=access)
        self.fields["side"].choices = [("", "— Choisir un collège —"), *sides]
        if len(sides) == 1:
            self.fields["side"].initial = sides[0][0]
        if not access.can_edit_convention:
            self.fields[
                "collectivity"
            ].help_text = "Vous invitez les personnes de votre collectivité."
            self.fields["collectivity"].initial = access.user.collectivity_id

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in (Invitation.Kind.COORDINATOR, Invitation.Kind.ELECTED) and not data.get(
            "collectivity"
        ):
            self.add_error("collectivity", "Choisissez la collectivité de la personne invitée.")
        if kind == Invitation.Kind.MEMBER:
            if not data.get("committee"):
                self.add_error("committee", "Choisissez l'instance où la personne siégera.")
            if not data.get("side"):
                self.add_error("side", "Choisissez le collège : Caf ou territoire.")
        return data


class AccountPasswordResetForm(PasswordResetForm):
    """« Mot de passe oublié ? »: the e-mail leaves through the accounts' Celery task
    (``invitation.password_reset_request``), the same for every address typed."""

    email = forms.EmailField(
        label="Adresse e-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
        error_messages={"invalid": "Saisissez une adresse e-mail valide."},
    )

    def save(self, *args, **kwargs) -> None:
        invitations.password_reset_request(email=self.cleaned_data["email"])
