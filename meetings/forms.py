from django import forms

from .models import COMMENT_MAX, FOLLOW_UP_MAX, NOTE_MAX, TITLE_MAX


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


#: The session key where a refused decision waits to be shown again under its fields.
DECISION_DRAFT = "meetings_decision_draft"


class DecisionForm(forms.Form):
    """A point's decision as posted from the meeting page; the rules (a comment for
    « à revoir », the votes of a fiche) are the service's."""

    item = forms.CharField(max_length=40)
    caf_vote = forms.CharField(max_length=20, required=False)
    caf_comment = forms.CharField(max_length=COMMENT_MAX, required=False, strip=True)
    territory_vote = forms.CharField(max_length=20, required=False)
    territory_comment = forms.CharField(max_length=COMMENT_MAX, required=False, strip=True)
    follow_up = forms.CharField(max_length=FOLLOW_UP_MAX, required=False, strip=True)
