"""The invitations panel of the Gouvernance tab: the form and the list of invitations, for
those who may invite (``invitation.can_invite``); nothing for the others."""

from django import template

from conventions.invitation_forms import InvitationForm
from conventions.services import invitation as invitations

register = template.Library()


@register.inclusion_tag("conventions/_invitations.html", takes_context=True)
def invitations_panel(context, form=None):
    access = context.get("access")
    if access is None or not invitations.can_invite(access):
        return {"show": False}
    return {
        "show": True,
        "convention": access.convention,
        "access": access,
        "form": form or InvitationForm(access=access),
        "invitations": list(invitations.invitations_visible(access=access)),
        "days": invitations.INVITATION_DAYS,
        "csrf_token": context.get("csrf_token"),
    }
