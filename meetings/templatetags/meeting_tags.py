"""The committee cycle on the meeting page (``conventions:meeting_detail``, whose view
lives in conventions, below this app): attendees, the agenda built by the tool, the
convocation and the meeting pack, read by :func:`meetings.selectors.meeting_panel`."""

from django import template

from meetings import selectors, services
from meetings.forms import AgendaItemForm
from meetings.models import Attendance

register = template.Library()


@register.inclusion_tag("meetings/_meeting_panel.html", takes_context=True)
def meeting_panel(context):
    meeting, convention, access = context["meeting"], context["convention"], context["access"]
    panel = selectors.meeting_panel(meeting=meeting, convention=convention)
    return {
        **panel,
        "meeting": meeting,
        "convention": convention,
        "access": access,
        "can_edit": access.can_edit_convention,
        "statuses": Attendance.Status.choices,
        "item_form": AgendaItemForm(),
        "resend_minutes": int(services.RESEND_WINDOW.total_seconds() // 60),
        "csrf_token": context.get("csrf_token"),
    }
