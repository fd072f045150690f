"""The login form: log in with an e-mail address, errors in correct French."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class EmailAuthenticationForm(AuthenticationForm):
    error_messages = {
        "invalid_login": (
            "Adresse e-mail ou mot de passe incorrect. "
            "Attention aux majuscules et minuscules dans le mot de passe."
        ),
        "inactive": "Ce compte est désactivé.",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "Adresse e-mail"
        self.fields["username"].widget = forms.EmailInput(
            attrs={"autofocus": True, "autocomplete": "email"}
        )
        self.fields["password"].label = "Mot de passe"

    def clean_username(self) -> str:
        # Addresses are stored lower-cased (UserManager): "Claire@CAF82.fr" is the same person.
        return (self.cleaned_data.get("username") or "").strip().lower()
