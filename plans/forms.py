from django import forms

from ctg import uploads


class PlanUploadForm(forms.Form):
    file = forms.FileField(
        label="Classeur du plan d'actions (.xlsx)",
        help_text="Le modèle ou l'export du plan, complété dans Excel ou LibreOffice.",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        uploads.validate_import_file(file, accepted=(uploads.XLSX,))
        return file
