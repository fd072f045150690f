from django import forms

from .models import NOTE_MAX, TITLE_MAX


class AgendaItemForm(forms.Form):
    title = forms.CharField(label="Intitulé du point", max_length=TITLE_MAX)
    note = forms.CharField(
        label="Précision (facultatif)",
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AgendaActionForm(forms.Form):
    ACTIONS = ("add", "up", "down", "remove", "restore", "freeze", "unfreeze")

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    item = forms.CharField(max_length=40, required=False)
