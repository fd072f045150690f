from django import forms
from django.core.validators import URLValidator

from ctg import formatting

from .content import ACCEPTED, KINDS, max_evidence_size
from .models import LINK_REFUSED


class LinkField(forms.URLField):
    """A web address: http or https only (no ``javascript:``, ``data:``, ``file:``…)."""

    default_error_messages = {"invalid": LINK_REFUSED}
    default_validators = [URLValidator(schemes=["http", "https"], message=LINK_REFUSED)]


ACCEPT = ",".join(f".{ext}" for kind in KINDS.values() for ext in kind.extensions)


class EvidenceForm(forms.Form):
    title = forms.CharField(
        label="Titre",
        max_length=200,
        help_text="Ce que prouve la pièce, ex. « Liste d'émargement de l'atelier du 12 mars ».",
    )
    file = forms.FileField(
        label="Fichier",
        required=False,
        max_length=255,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    url = LinkField(
        label="ou un lien",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="Une page ou un document en ligne (http:// ou https://), à la place d'un fichier.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            f"{ACCEPTED} ; {formatting.file_size(max_evidence_size())} au plus. Le contenu est vérifié : "
            "un fichier dont le contenu ne correspond pas à son extension est refusé."
        )

    def clean(self):
        cleaned = super().clean()
        has_file = bool(cleaned.get("file"))
        has_url = bool(cleaned.get("url"))
        if has_file and has_url:
            self.add_error("url", "Déposez un fichier ou indiquez un lien, pas les deux.")
        elif (
            not has_file
            and not has_url
            and not self.has_error("url")
            and not self.has_error("file")
        ):
            self.add_error("file", "Déposez un fichier ou indiquez un lien.")
        return cleaned
