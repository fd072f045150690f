from django import forms

from .models import SLUG_MAX, Publication


class PublicationForm(forms.Form):
    mode = forms.ChoiceField(
        label="Adresse de la page publique",
        choices=Publication.Mode.choices,
        widget=forms.RadioSelect,
    )
    slug = forms.CharField(
        label="Adresse lisible",
        required=False,
        max_length=SLUG_MAX,
        help_text=(
            "Utilisée quand l'adresse lisible est choisie : lettres minuscules sans accent, "
            "chiffres et tirets, par exemple ctg-quercy-rouergue. Une adresse lisible peut "
            "être devinée : elle ne répond qu'une fois la convention publiée."
        ),
    )
    noindex = forms.BooleanField(
        label="Demander aux moteurs de recherche de ne pas référencer la page",
        required=False,
        help_text="Balise robots et en-tête X-Robots-Tag « noindex, nofollow ».",
    )
    share_report_pdf = forms.BooleanField(
        label="Publier le PDF du dernier rapport d'avancement",
        required=False,
        help_text=(
            "Le PDF nomme les membres du comité qui ont donné leur avis sur les fiches et "
            "reprend leurs commentaires : ne le publiez qu'avec leur accord. Sans cette "
            "case, la page donne seulement la période et la date du rapport."
        ),
    )
    new_address = forms.BooleanField(
        label="Changer l'adresse secrète",
        required=False,
        help_text="L'ancienne adresse secrète cesse aussitôt de répondre.",
    )

    def clean_slug(self):
        return self.cleaned_data["slug"].strip().lower()

    def clean(self):
        data = super().clean()
        if data.get("mode") == Publication.Mode.SLUG and not data.get("slug"):
            self.add_error("slug", "Indiquez l'adresse lisible choisie.")
        return data
